package sweep

import (
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// ReportVersion is the version of the JSON report's layout.
const ReportVersion = "1"

// ExpiringWithin is how soon an expiry is reported as coming (the issue
// lists evidence that expires within it).
const ExpiringWithin = 30 * 24 * time.Hour

// Report is what one sweep found, recipe by recipe. Every string in it that
// came from a recipe or a bundle is untrusted: renderers escape it.
type Report struct {
	ReportVersion   string    `json:"reportVersion"`
	GeneratedAt     time.Time `json:"generatedAt"`
	VerifierVersion string    `json:"verifierVersion"`
	// TrustRootDigest and PolicyDigest identify the trust root and the signer
	// policy the sweep judged by ("" when there was none).
	TrustRootDigest string `json:"trustRootDigest"`
	PolicyDigest    string `json:"policyDigest"`
	// MaxAgeDays is the policy's maximum age of evidence; 0: no limit.
	MaxAgeDays int      `json:"maxAgeDays"`
	Counts     Counts   `json:"counts"`
	Recipes    []Recipe `json:"recipes"`
	Notes      []string `json:"notes,omitempty"`
	Cache      Cache    `json:"cache"`
}

// Counts tally the recipes of a report by state.
type Counts struct {
	Recipes int `json:"recipes"`
	Passed  int `json:"passed"`
	Failing int `json:"failing"`
	Invalid int `json:"invalid"`
	Error   int `json:"error"`
	// Missing: recipes without evidence.
	Missing int `json:"missing"`
	// Expiring: passed evidence that expires within ExpiringWithin.
	Expiring int `json:"expiring"`
}

// Cache says how many bundles the content cache saved from re-verification.
type Cache struct {
	Hits   int `json:"hits"`
	Misses int `json:"misses"`
}

// Recipe is one recipe (or orphan bundle) of the sweep.
type Recipe struct {
	Name       string `json:"name"`
	RecipePath string `json:"recipePath,omitempty"`
	BundlePath string `json:"bundlePath,omitempty"`
	// PointerPath is the AICR pointer file of a pointer row (one row per
	// pointer; BundlePath is then empty) and Pointer what it claims: the
	// pinned artifact, the signer and its source slug.
	PointerPath string               `json:"pointerPath,omitempty"`
	Pointer     *comment.PointerInfo `json:"pointer,omitempty"`
	// result is a pointer row's verification, for corroboration.
	result  *verify.Result
	Outcome comment.Outcome `json:"outcome"`
	// Verdict is set for every outcome but missing.
	Verdict verify.Verdict `json:"verdict,omitempty"`
	// Detail is the one-line reason for the verdict.
	Detail string `json:"detail"`
	// BundleDigest and RecipeDigest are the sha256 of the bundle file and of
	// the recipe file as read (not canonical), to tell what changed.
	BundleDigest string `json:"bundleDigest,omitempty"`
	RecipeDigest string `json:"recipeDigest,omitempty"`
	// Signers are the verified signers of the evidence; IndependentSigners
	// counts those the policy trusts, by source (corroboration).
	Signers            []Signer   `json:"signers,omitempty"`
	IndependentSigners int        `json:"independentSigners"`
	AttestedAt         *time.Time `json:"attestedAt,omitempty"`
	// AgeDays is whole days since attestedAt; ExpiresAt is attestedAt plus
	// the maximum age (nil without one) and DaysLeft whole days until then
	// (negative: expired).
	AgeDays   *int       `json:"ageDays,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	DaysLeft  *int       `json:"daysLeft,omitempty"`
	// Fingerprint is the fingerprint and criteria check: its one line and
	// the per-criterion rows.
	Fingerprint *verify.Check          `json:"fingerprint,omitempty"`
	Phases      []verify.PhaseInfo     `json:"phases,omitempty"`
	Coverage    []schema.PhaseCoverage `json:"coverage,omitempty"`
	Match       *comment.RecipeMatch   `json:"match,omitempty"`
	// Checks are the verifier's checks, in order.
	Checks []verify.Check `json:"checks,omitempty"`
	// Cached: the verification came from the cache (only freshness was recomputed).
	Cached bool `json:"cached,omitempty"`
	// VerdictSince is when the recipe's verdict (or "no evidence") was first
	// seen, as far as the previous reports go, and Change why it changed
	// then (e.g. "trust root changed"). A sweep without a previous report
	// sets VerdictSince to its own time and no Change.
	VerdictSince *time.Time `json:"verdictSince,omitempty"`
	Change       string     `json:"change,omitempty"`
}

// Signer is one signer of a recipe's evidence.
type Signer struct {
	Identity string `json:"identity"`
	Issuer   string `json:"issuer"`
	// Class and Label are the policy entry that trusts the signer ("": not trusted).
	Class   string `json:"class,omitempty"`
	Label   string `json:"label,omitempty"`
	Source  string `json:"source,omitempty"`
	Allowed bool   `json:"allowed"`
}

// Expiring reports whether the recipe's evidence passed and expires within ExpiringWithin of now.
func (r *Recipe) Expiring(now time.Time) bool {
	return r.Verdict == verify.VerdictPassed && r.ExpiresAt != nil && r.ExpiresAt.Sub(now) <= ExpiringWithin
}

// Missing reports whether the row is no evidence: a recipe without any, or
// an unsigned, pending AICR pointer (it names nothing to verify yet).
func (r *Recipe) Missing() bool {
	return r.Outcome == comment.OutcomeMissing || r.Outcome == comment.OutcomePending
}

func (rep *Report) tally() {
	c := Counts{Recipes: len(rep.Recipes)}
	for i := range rep.Recipes {
		r := &rep.Recipes[i]
		if r.Missing() {
			c.Missing++
			continue
		}
		switch r.Verdict {
		case verify.VerdictPassed:
			c.Passed++
			if r.Expiring(rep.GeneratedAt) {
				c.Expiring++
			}
		case verify.VerdictFailing:
			c.Failing++
		case verify.VerdictError:
			c.Error++
		default:
			c.Invalid++
		}
	}
	rep.Counts = c
}
