// Package verify runs the checks of format v1 §6 over an evidence bundle and
// says, check by check, what was verified and what verdict follows.
package verify

import (
	"time"

	"github.com/aicr/verify-evidence/internal/maxage"
	"github.com/aicr/verify-evidence/internal/schema"
)

// Status is the outcome of one check.
type Status string

// Check statuses.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	// StatusError means the check could not be carried out (I/O, trust material).
	StatusError Status = "error"
)

// Verdict is the overall outcome for a bundle (format v1 §6).
type Verdict string

// Verdicts, from best to worst. A result's verdict only ever gets worse as
// checks run: see Verdict.Worse.
const (
	// VerdictPassed: verified, every phase passed, criteria matched.
	VerdictPassed Verdict = "passed"
	// VerdictFailing: verified, but the evidence shows a failed, pending or errored
	// test, or a criteria mismatch.
	VerdictFailing Verdict = "failing"
	// VerdictError: the verifier could not decide (I/O, trust root unavailable, usage).
	VerdictError Verdict = "error"
	// VerdictInvalid: integrity, signature, identity or schema is broken.
	VerdictInvalid Verdict = "invalid"
)

func (v Verdict) rank() int {
	switch v {
	case VerdictPassed:
		return 0
	case VerdictFailing:
		return 1
	case VerdictError:
		return 2
	case VerdictInvalid:
		return 3
	}
	return 3
}

// Worse returns the worse of v and w. Invalid outranks error, so a tampered bundle
// is never reported as "could not decide" because some other step also failed
// transiently; error outranks failing, because failing needs a verified bundle.
func (v Verdict) Worse(w Verdict) Verdict {
	if w.rank() > v.rank() {
		return w
	}
	return v
}

// Row is a key/value detail line under a check.
type Row struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Check is one named step of the pipeline and what it found.
type Check struct {
	// Name is the stable identifier of the check, e.g. "manifest".
	Name string `json:"name"`
	// Title is a human heading for the check.
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Detail is one line that says what was found.
	Detail string `json:"detail"`
	Rows   []Row  `json:"rows,omitempty"`
	// Verdict is what this check contributes when it fails.
	Verdict Verdict `json:"verdict,omitempty"`
}

// Result says what was verified about one bundle and the verdict.
type Result struct {
	// Bundle names the input (a path or "-").
	Bundle string `json:"bundle"`
	// Mode is "inspect" (no signature) or "verify".
	Mode    string  `json:"mode"`
	Verdict Verdict `json:"verdict"`
	// Summary is the one-line reason for the verdict.
	Summary string  `json:"summary"`
	Checks  []Check `json:"checks"`

	Recipe     *RecipeInfo    `json:"recipe,omitempty"`
	Archive    *ArchiveInfo   `json:"archive,omitempty"`
	Phases     []PhaseInfo    `json:"phases,omitempty"`
	AttestedAt *time.Time     `json:"attestedAt,omitempty"`
	Predicate  *PredicateInfo `json:"predicate,omitempty"`
	Signature  *SignatureInfo `json:"signature,omitempty"`
	// Coverage says, per phase the recipe declares under validation, which
	// declared checks have a test of that name in the phase's CTRF report. It is
	// set when the CTRF reports passed their integrity checks.
	Coverage []schema.PhaseCoverage `json:"coverage,omitempty"`

	// CanonicalRecipe is the bundle's recipe as read in the one pass over the
	// archive, for callers that compare it with another recipe.
	CanonicalRecipe *schema.CanonicalRecipe `json:"-"`
}

// RecipeInfo identifies the recipe the bundle is evidence for.
type RecipeInfo struct {
	Name string `json:"name"`
	// Digest is the canonical digest computed from the bundle's recipe.yaml.
	Digest string `json:"digest"`
}

// ArchiveInfo summarises the archive that was read.
type ArchiveInfo struct {
	// Form is how the bundle was given: "tar.gz" (the format's archive) or
	// "directory" (an unpacked bundle, as AICR writes it); see internal/source.
	Form            string `json:"form,omitempty"`
	Files           int    `json:"files"`
	Bytes           int64  `json:"bytes"`
	CompressedBytes int64  `json:"compressedBytes"`
}

// PhaseInfo is the count of outcomes of one validation phase.
type PhaseInfo struct {
	Phase   string `json:"phase"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
	Pending int    `json:"pending"`
	Other   int    `json:"other"`
}

// PredicateInfo carries the predicate facts a reader wants at a glance.
type PredicateInfo struct {
	Type string `json:"type"`
	// Dialect is the predicate's shape: "format-v1" or "aicr" (format §11).
	Dialect       string `json:"dialect,omitempty"`
	SchemaVersion string `json:"schemaVersion"`
	AICRVersion   string `json:"aicrVersion"`
	// Source says where the Statement was read from: the DSSE payload of the
	// attestation or the unsigned statement.intoto.json.
	Source string `json:"source"`
	// EvidenceDigests are the digests the predicate signs over the evidence
	// itself: the manifest's and each phase's CTRF report's, sorted. Two
	// bundles sharing one are (in part) the same run's evidence.
	EvidenceDigests []string `json:"evidenceDigests,omitempty"`
}

// SignatureInfo says what the signature check established about the signer.
type SignatureInfo struct {
	Signed bool `json:"signed"`
	// Verified is true only when the signature was checked and holds.
	Verified bool `json:"verified"`
	// Identity is the certificate's SAN; Issuer its OIDC issuer.
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// SourceRepository, SourceRef and Workflow come from the Fulcio certificate extensions.
	SourceRepository string `json:"sourceRepository,omitempty"`
	SourceRef        string `json:"sourceRef,omitempty"`
	SourceDigest     string `json:"sourceDigest,omitempty"`
	Workflow         string `json:"workflow,omitempty"`
	RunInvocation    string `json:"runInvocation,omitempty"`
	// LogIndex and LogID locate the Rekor entry.
	LogIndex int64  `json:"logIndex,omitempty"`
	LogID    string `json:"logID,omitempty"`
	// SignedAt is the verified signing time; TimeSource says which log or TSA vouched for it.
	SignedAt   *time.Time `json:"signedAt,omitempty"`
	TimeSource string     `json:"timeSource,omitempty"`
	// Class is the signer's class in the policy ("" when not allowed); Label the entry's label.
	Class string `json:"class,omitempty"`
	Label string `json:"label,omitempty"`
	// Source is SourceSlug(issuer, identity).
	Source string `json:"source,omitempty"`
	// Allowed says whether the signer policy trusts this signer.
	Allowed bool `json:"allowed"`
	// SCTIgnored is true when the certificate's SCT was not required
	// (--insecure-ignore-sct, a Sigstore instance without a CT log).
	SCTIgnored bool `json:"sctIgnored,omitempty"`
	// Artifact is the OCI artifact the signed subject names (AICR's subject
	// form, "<registry>/<repository>:<tag>@sha256:<hex>"); ArtifactPulled says
	// whether its digest was compared with a manifest pulled from a registry.
	Artifact       string `json:"artifact,omitempty"`
	ArtifactPulled bool   `json:"artifactPulled,omitempty"`
}

func (r *Result) add(c Check) {
	if c.Status == StatusFailed || c.Status == StatusError {
		if c.Verdict == "" {
			if c.Status == StatusError {
				c.Verdict = VerdictError
			} else {
				c.Verdict = VerdictInvalid
			}
		}
		before := r.Verdict
		r.Verdict = r.Verdict.Worse(c.Verdict)
		if r.Verdict != before || r.Summary == "" {
			r.Summary = c.Title + ": " + c.Detail
		}
	}
	r.Checks = append(r.Checks, c)
}

// Check returns the check with the given name, if it ran.
func (r *Result) Check(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// FirstFailure returns the first check that failed or errored, if any.
func (r *Result) FirstFailure() (Check, bool) {
	for _, c := range r.Checks {
		if c.Status == StatusFailed || c.Status == StatusError {
			return c, true
		}
	}
	return Check{}, false
}

// InputError is the result for a bundle that could not even be opened: the
// verifier could not decide, so the verdict is error, never invalid.
func InputError(name, mode string, err error) *Result {
	res := &Result{Bundle: name, Mode: mode, Verdict: VerdictPassed}
	res.add(Check{Name: CheckArchive, Title: titles[CheckArchive], Status: StatusError, Verdict: VerdictError, Detail: err.Error()})
	return res
}

// ParseMaxAge parses a maximum age: a Go duration ("8760h") or whole days
// ("365d"); see package maxage.
func ParseMaxAge(v string) (time.Duration, error) { return maxage.Parse(v) }
