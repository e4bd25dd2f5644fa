// Package emit is the emitter: it snapshots the cluster and its GPUs, packages
// the canonical recipe, the snapshot, the CTRF reports and a BOM into a format v1
// evidence bundle, and signs it keyless with Sigstore.
package emit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/client-go/kubernetes"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/bom"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/gpu"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/signing"
	"github.com/aicr/verify-evidence/internal/snapshot"
	"github.com/aicr/verify-evidence/internal/snapshot/scrub"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Exit codes of emit.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 64
	// ExitAborted: the user declined to publish their login identity
	// (interactive keyless signing, see [ErrAborted]).
	ExitAborted = 2
)

// ErrAborted is returned (wrapped) by [Run] when the user does not confirm
// that the identity of an interactive login may be published.
var ErrAborted = errors.New("aborted")

// ErrNeedsYes is returned (wrapped) by [Run] when an interactive login would
// publish the user's identity but stdin is not a terminal to ask on and --yes
// was not given; a usage error.
var ErrNeedsYes = errors.New("--yes required")

// Limits on emit's inputs.
const (
	MaxCTRFBytes     = 16 << 20
	MaxBOMBytes      = 16 << 20
	MaxSnapshotBytes = 16 << 20
)

// Options are emit's flags.
type Options struct {
	Recipe        string
	RecipeName    string
	Results       string
	BOM           string
	Kubeconfig    string
	Snapshot      string
	SnapshotOut   string
	Out           string
	Sign          string
	IdentityToken string
	FulcioURL     string
	RekorURL      string
	RekorVersion  uint
	TSAURL        string
	SigningConfig string
	TrustedRoot   string
	Redact        string
	NVML          string
	Interactive   bool
	Yes           bool
	Quiet         bool
	AICRVersion   string
	AttestedAt    string
	// Push is the repository "oci://<registry>/<repository>" to push the
	// bundle to in AICR's OCI form; "" pushes nothing.
	Push string
	// PlainHTTP pushes over HTTP (a loopback registry only).
	PlainHTTP bool
	// PointerDir is the root of the recipes repository the pointer file is
	// written under (recipes/evidence/…) after a push.
	PointerDir string
	// PrivateDomains are DNS domains minimal redaction scrubs wherever they
	// appear, besides the cluster's own (see clusterDomains).
	PrivateDomains []string
}

const usageText = `emit — package and sign AICR recipe evidence

Usage:
  emit --recipe FILE --results DIR [--bom FILE] [--kubeconfig FILE | in-cluster]
       [--snapshot FILE] [--out evidence-bundle.tar.gz] [--sign keyless|none]
       [--identity-token FILE] [--signing-config FILE]
       [--fulcio-url URL] [--rekor-url URL] [--rekor-version 1|2] [--tsa-url URL]
       [--redact minimal|full] [--nvml auto|off|required] [--yes] [--quiet]
       [--push oci://REGISTRY/REPOSITORY [--pointer-dir DIR] [--plain-http]]

--results holds the CTRF reports deployment.json, performance.json and
conformance.json (any subset, at least one). Without --snapshot, the cluster is
read with client-go (--kubeconfig, $KUBECONFIG, ~/.kube/config, or in-cluster)
and the GPUs of this machine with NVML (--nvml auto skips when NVML is absent).
The bundle is written atomically to --out. Keyless signing takes the identity
token from --identity-token, $SIGSTORE_ID_TOKEN, the GitHub Actions OIDC token
(permissions: id-token: write), or an interactive login, in that order.

An interactive login publishes who you are: the identity you log in with
(usually your e-mail address) is written into the signing certificate and the
public Rekor transparency log, permanently, and the bundle is published in a
public PR. emit says so and asks [y/N] before the login starts; --yes accepts
without asking (needed when stdin is not a terminal). Exit 2: not accepted.

--push also publishes the bundle the way AICR's tool does: an OCI artifact
tagged <recipe>-<12 hex of the bundle's manifest digest>, its Sigstore bundle
as an OCI referrer (signed over the artifact pushed), and the pointer file
recipes/evidence/<recipe>/<source>/sha256-<digest>.yaml under --pointer-dir,
to commit to the recipes repository (recipes/evidence/<recipe>.yaml when
unsigned). Registry credentials come from the docker config, or GITHUB_TOKEN
for ghcr.io.
`

// Parse reads emit's command line; the error names the flag at fault.
func Parse(args []string, stderr io.Writer) (*Options, error) {
	fs := flag.NewFlagSet("emit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText, "\nFlags:\n"); fs.PrintDefaults() }
	o := &Options{}
	fs.StringVar(&o.Recipe, "recipe", "", "resolved recipe `FILE` (kind: RecipeResult)")
	fs.StringVar(&o.RecipeName, "recipe-name", "", "recipe name (default: the recipe's metadata.name, else AICR's name from its criteria and selected profile)")
	fs.StringVar(&o.Results, "results", "", "`DIR` with the CTRF reports <phase>.json")
	fs.StringVar(&o.BOM, "bom", "", "CycloneDX 1.6 JSON `FILE` (default: generated from the recipe's componentRefs)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig `FILE` (default $KUBECONFIG, ~/.kube/config, in-cluster)")
	fs.StringVar(&o.Snapshot, "snapshot", "", "reuse this snapshot `FILE` instead of reading the cluster")
	fs.StringVar(&o.SnapshotOut, "snapshot-out", "", "also write the raw (unredacted) snapshot to `FILE`")
	fs.StringVar(&o.Out, "out", "evidence-bundle.tar.gz", "output bundle `FILE`")
	fs.StringVar(&o.Sign, "sign", "keyless", "keyless or none")
	fs.StringVar(&o.IdentityToken, "identity-token", "", "OIDC identity token `FILE` for keyless signing")
	fs.StringVar(&o.SigningConfig, "signing-config", "", "Sigstore signing config `FILE` choosing Fulcio, Rekor and the TSA (default: the public-good one, through TUF)")
	fs.StringVar(&o.FulcioURL, "fulcio-url", "", "Fulcio `URL` (default: from the signing config)")
	fs.StringVar(&o.RekorURL, "rekor-url", "", "Rekor `URL` (default: from the signing config)")
	fs.UintVar(&o.RekorVersion, "rekor-version", 0, "Rekor API version, 1 or 2 (default: 1 with --rekor-url, else the signing config's highest, v2 preferred; 2 needs a TSA)")
	fs.StringVar(&o.TSAURL, "tsa-url", "", "RFC 3161 timestamp authority `URL` (default: from the signing config)")
	fs.StringVar(&o.TrustedRoot, "trusted-root", "", "verify the signed bundle against this trusted_root.json `FILE` before writing it")
	fs.StringVar(&o.Redact, "redact", "minimal", "minimal or full")
	fs.StringVar(&o.NVML, "nvml", "auto", "auto, off or required")
	fs.BoolVar(&o.Interactive, "interactive", true, "allow an interactive Sigstore login when stderr is a terminal")
	fs.BoolVar(&o.Yes, "yes", false, "accept that an interactive login's identity (your e-mail) becomes public, without asking")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress output")
	fs.StringVar(&o.AICRVersion, "aicr-version", "", "version of the AICR tooling that ran the validation (recorded in the predicate)")
	fs.StringVar(&o.Push, "push", "", "also push the bundle in AICR's OCI form to `oci://REGISTRY/REPOSITORY` and write its pointer file")
	fs.BoolVar(&o.PlainHTTP, "plain-http", false, "push over HTTP (a loopback registry only)")
	fs.StringVar(&o.PointerDir, "pointer-dir", ".", "root `DIR` of the recipes repository the pointer file is written under (with --push)")
	fs.StringVar(&o.AttestedAt, "attested-at", "", "RFC 3339 time to record as attestedAt (default now; for reproducible bundles)")
	fs.Func("private-domain", "a private DNS `DOMAIN` (e.g. acme-corp.com) to scrub from everything published, besides the cluster's own domains; repeatable", func(v string) error {
		for _, d := range strings.Split(v, ",") {
			d = strings.Trim(strings.TrimSpace(d), ".")
			if d == "" || !strings.Contains(d, ".") || strings.ContainsAny(d, " /:@") {
				return fmt.Errorf("%q: want a DNS domain such as acme-corp.com", v)
			}
			o.PrivateDomains = append(o.PrivateDomains, d)
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.Recipe == "":
		return nil, errors.New("--recipe is required")
	case o.Results == "":
		return nil, errors.New("--results is required")
	case o.Sign != "keyless" && o.Sign != "none":
		return nil, fmt.Errorf("--sign %q: want keyless or none", o.Sign)
	case o.Redact != "minimal" && o.Redact != "full":
		return nil, fmt.Errorf("--redact %q: want minimal or full", o.Redact)
	case o.NVML != "auto" && o.NVML != "off" && o.NVML != "required":
		return nil, fmt.Errorf("--nvml %q: want auto, off or required", o.NVML)
	case o.RekorVersion > 2:
		return nil, fmt.Errorf("--rekor-version %d: want 1 or 2", o.RekorVersion)
	case o.RekorVersion == 2 && o.TSAURL == "" && o.SigningConfig == "":
		return nil, errors.New("--rekor-version 2 needs --tsa-url (or a --signing-config that lists a timestamp authority): Rekor v2 entries carry no signed time")
	}
	if o.Push != "" {
		repo, err := oci.ParseRepository(o.Push)
		if err != nil {
			return nil, fmt.Errorf("--push %w", err)
		}
		if o.PlainHTTP && !oci.LoopbackRegistry(repo.Registry) {
			return nil, fmt.Errorf("--plain-http with --push %s: plain HTTP only to a loopback registry (127.0.0.1, ::1, localhost)", o.Push)
		}
	} else if o.PlainHTTP {
		return nil, errors.New("--plain-http is for --push")
	}
	return o, nil
}

// Env is what emit needs from its surroundings; tests replace the parts.
type Env struct {
	Stderr   io.Writer
	Terminal bool
	Getenv   func(string) string
	Now      func() time.Time
	// OpenGPU opens NVML; nil means gpu.Open.
	OpenGPU func() (gpu.Reader, func(), error)
	// Cluster builds the snapshot of the cluster; nil means client-go with Options.Kubeconfig.
	Cluster func(ctx context.Context, o *Options, p *Progress) (*fingerprint.Snapshot, error)
	// Signer overrides keyless signing (tests); nil means signing.NewSigner with the resolved token source.
	Signer assemble.Signer
	// Tokens resolves the identity token source; nil means signing.Resolve.
	Tokens func(signing.ResolveOptions) (signing.TokenSource, error)
	// Stdin is where the answer to the interactive-login question is read;
	// StdinTerminal says whether it is a terminal (without one, and without
	// --yes, an interactive login is refused rather than asked about).
	Stdin         io.Reader
	StdinTerminal bool
}

// Run emits one bundle. Every failure is one line naming the input at fault.
func Run(ctx context.Context, o *Options, env Env) error {
	p := NewProgress(env.Stderr, env.Terminal, o.Quiet)
	if o.Redact == "full" {
		p.Warn("--redact full: the raw snapshot (node names, addresses, provider ids), the CTRF reports and the BOM are published as given, in a public PR and forever; nothing is redacted")
	}
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	attestedAt := now().UTC().Truncate(time.Second)
	if o.AttestedAt != "" {
		t, err := time.Parse(time.RFC3339, o.AttestedAt)
		if err != nil {
			return fmt.Errorf("--attested-at: %w", err)
		}
		attestedAt = t.UTC().Truncate(time.Second)
		if attestedAt.After(now().Add(verify.MaxClockSkew)) {
			return fmt.Errorf("--attested-at %s is in the future: a verifier rejects attestedAt later than the signing time + %s", o.AttestedAt, verify.MaxClockSkew)
		}
	}
	recipe, err := readFile(o.Recipe, schema.MaxRecipeBytes, "--recipe")
	if err != nil {
		return err
	}
	canon, err := schema.Canonical(recipe)
	if err != nil {
		return fmt.Errorf("--recipe %s: %w", o.Recipe, err)
	}
	// What the cluster tells (its domains, its node names) is known once it
	// is read; --private-domain is known now: the name is checked with both.
	name, rule, err := recipeName(o, canon, scrubOptions(o, nil))
	if err != nil {
		return err
	}
	if o.Push != "" {
		if err := checkAICRIdentity(canon, name, p); err != nil {
			return err
		}
		// The pointer is written last, after the push: a wrong folder
		// fails now, before anything leaves the machine.
		if fi, err := os.Stat(o.PointerDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("--pointer-dir %s: not a folder (the recipes repository checkout the pointer file is written under)", o.PointerDir)
		}
	}
	declared, err := schema.DeclaredPhases(canon.Root)
	if err != nil {
		return fmt.Errorf("--recipe %s: %w", o.Recipe, err)
	}
	// Read and check the reports before the cluster: a wrong --results
	// fails at once. They are redacted once the cluster's domains are known.
	ctrf, err := readCTRF(o.Results)
	if err != nil {
		return err
	}
	// Find the identity token source before the long work, so a missing token
	// fails at once; the token itself is fetched right before signing.
	var signer assemble.Signer
	if o.Sign == "keyless" {
		if signer, err = newSigner(ctx, o, env, p); err != nil {
			return err
		}
	}
	raw, err := rawSnapshot(ctx, o, env, p)
	if err != nil {
		return err
	}
	rawBytes, err := snapshot.Marshal(raw)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if o.SnapshotOut != "" {
		// The raw snapshot names nodes, addresses and serials: owner only.
		if err := writeAtomically("--snapshot-out", o.SnapshotOut, 0o600, func(w io.Writer) error { _, err := w.Write(rawBytes); return err }); err != nil {
			return err
		}
	}
	// One scrubber configuration for everything published.
	public := scrubOptions(o, raw)
	if err := checkPublicName(name, public); err != nil {
		return err
	}
	if rules := pushScrubRules(o.Push, public); len(rules) > 0 {
		p.Warn("--push: the registry and repository are published in the pointer, the signed subject and the bundle, and the scrubber would change them (rules %s): a private registry's name goes into a public PR; push to a public registry", strings.Join(rules, ", "))
	}
	// Shown once the name is known to hold no node name (progress may land
	// in a public log).
	p.Step("recipe name %s (from %s)", name, rule)
	if rules := recipeScrubRules(canon.Root, public); len(rules) > 0 {
		p.Warn("recipe.yaml is published verbatim (it is the signed subject) and is not redacted; the scrubber would change values in it (rules %s): remove private data from the recipe before publishing", strings.Join(rules, ", "))
	}
	shipped, applied := raw, []string(nil)
	var scrubOpts []scrub.Option
	if o.Redact == "minimal" {
		scrubOpts = public
		if shipped, applied, err = snapshot.Redact(raw, "minimal", scrubOpts...); err != nil {
			return fmt.Errorf("snapshot redaction: %w", err)
		}
		ctrfRules, err := redactCTRF(o.Results, ctrf, scrubOpts)
		if err != nil {
			return err
		}
		applied = append(applied, ctrfRules...)
	}
	shippedBytes, err := snapshot.Marshal(shipped)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	bomBytes, bomRules, err := loadBOM(o, canon.Bytes, name, attestedAt, scrubOpts)
	if err != nil {
		return err
	}
	applied = append(applied, bomRules...)
	aicrVersion := orDefault(o.AICRVersion, "verify-evidence-emit")
	if o.Redact == "minimal" {
		sc := scrub.New(scrubOpts...)
		aicrVersion = sc.String(aicrVersion)
		applied = append(applied, sc.Applied()...)
	}
	in := assemble.Inputs{
		Recipe: recipe, RecipeName: name, Snapshot: shippedBytes, RawSnapshot: rawBytes, BOM: bomBytes, CTRF: ctrf,
		AttestedAt: attestedAt, AICRVersion: aicrVersion,
	}
	if o.Redact == "minimal" {
		in.Redaction = &schema.Redaction{Policy: "minimal", Version: "v1", Applied: sortedUnique(applied)}
	}
	b, err := assemble.Build(in)
	if err != nil {
		return err
	}
	if err := checkFingerprintSurvives(b, rawBytes, shippedBytes); err != nil {
		return err
	}
	for _, w := range evidenceWarnings(declared, ctrf, b.Predicate.CriteriaMatch) {
		p.Warn("%s", w)
	}
	var ptr *pointer.File
	switch {
	case o.Push != "":
		if ptr, err = publish(ctx, o, b, name, signer, p); err != nil {
			return err
		}
	case o.Sign == "keyless":
		p.Step("signing the Statement keyless (Fulcio certificate, Rekor entry)")
		if err := b.Sign(ctx, signer); err != nil {
			return err
		}
		if s, ok := signer.(*signing.Signer); ok {
			iss, sub := s.Identity()
			p.Step("signed as %s (issuer %s)", sub, iss)
		}
	default:
		p.Step("not signing (--sign none): verify will report this bundle as unsigned")
	}
	p.Step("writing %s", shownPath(o.Out))
	if err := writeAtomically("--out", o.Out, 0o644, b.Write); err != nil {
		return err
	}
	p.Step("wrote %s: recipe %s (sha256 %s), %d phase report(s), attested %s", shownPath(o.Out), name, b.Predicate.Recipe.Digest, len(ctrf), b.Predicate.AttestedAt)
	if ptr != nil {
		rel, err := writePointer(o.PointerDir, ptr)
		if err != nil {
			return err
		}
		p.Step("wrote the pointer %s: commit it to the recipes repository", rel)
	}
	return nil
}

// recipeName is --recipe-name, else the recipe's metadata.name, else AICR's
// name for the recipe (schema.AICRRecipeName: its criteria and selected
// profile), and the rule that named it, for progress.
func recipeName(o *Options, canon *schema.CanonicalRecipe, opts []scrub.Option) (name, rule string, err error) {
	name, rule = o.RecipeName, "--recipe-name"
	if name == "" {
		name, rule = canon.Header().Name, "the recipe's metadata.name"
	}
	if name == "" {
		if name, err = schema.AICRRecipeName(canon); err != nil {
			return "", "", fmt.Errorf("--recipe %s: %w (set --recipe-name)", o.Recipe, err)
		}
		rule = "AICR's rule: the criteria and selected profile"
	}
	if !schema.ValidRecipeName(name) {
		return "", "", fmt.Errorf("recipe name %q: want lowercase letters, digits, '.', '_' and '-' (set --recipe-name)", scrub.New(opts...).String(name))
	}
	if err := checkPublicName(name, opts); err != nil {
		return "", "", err
	}
	return name, rule, nil
}

// checkPublicName refuses a recipe name the scrubber configured with opts
// would change. The name is the subject name, the tag and the pointer path:
// published as is, never redacted. It is refused without printing it (the
// log may be public).
func checkPublicName(name string, opts []scrub.Option) error {
	sc := scrub.New(opts...)
	if sc.String(name) != name {
		return fmt.Errorf("recipe name holds what looks like private data (%s): it is published as the subject name and cannot be redacted; set --recipe-name to another name", strings.Join(sc.Applied(), ", "))
	}
	return nil
}

// pushScrubRules returns the ids of the scrubber's rules that would change
// the --push reference (registry and repository), sorted; nil without
// --push or for a loopback registry (a local test registry).
func pushScrubRules(push string, opts []scrub.Option) []string {
	repo, err := oci.ParseRepository(push)
	if push == "" || err != nil || oci.LoopbackRegistry(repo.Registry) {
		return nil
	}
	sc := scrub.New(opts...)
	sc.String(strings.TrimPrefix(push, oci.Scheme))
	return sc.Applied()
}

// scrubOptions configures the one scrubber of everything emit publishes:
// the cluster's domains and --private-domain (clusterDomains) and the node
// names of the raw snapshot (nil before the cluster is read).
func scrubOptions(o *Options, raw *fingerprint.Snapshot) []scrub.Option {
	return []scrub.Option{
		scrub.WithPrivateDomains(clusterDomains(o, raw)...),
		scrub.WithNodeNames(snapshot.NodeNames(raw)...),
	}
}

// recipeScrubRules returns the ids of the scrubber's rules that would change
// a scalar (key or value) of the canonical recipe, sorted; nil when none.
// Public URLs (chart repositories) are expected in a recipe and not counted.
func recipeScrubRules(root *yaml.Node, opts []scrub.Option) []string {
	sc := scrub.NewPublicURLs(opts...)
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.ScalarNode {
			sc.String(n.Value)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return sc.Applied()
}

// shownPath is how progress names a file: its base name only, since the
// directory may hold the user's name ("/home/alice/…") and progress may land
// in a public CI log.
func shownPath(path string) string { return filepath.Base(path) }

// readCTRF reads and validates the phase reports in dir, by phase.
func readCTRF(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, phase := range schema.Phases() {
		p := filepath.Join(dir, phase+".json")
		b, err := readFile(p, MaxCTRFBytes, "--results")
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := schema.CheckCTRFSummary(b); err != nil {
			return nil, fmt.Errorf("--results %s: %w", p, err)
		}
		out[phase] = b
	}
	if len(out) == 0 {
		return nil, noCTRFError(dir)
	}
	return out, nil
}

// redactCTRF minimises every report in place (RedactCTRF) and returns the
// ids of the redaction rules applied.
func redactCTRF(dir string, reports map[string][]byte, opts []scrub.Option) ([]string, error) {
	var rules []string
	for _, phase := range schema.Phases() {
		b, ok := reports[phase]
		if !ok {
			continue
		}
		b, r, err := RedactCTRF(b, opts...)
		if err != nil {
			return nil, fmt.Errorf("--results %s: %w", filepath.Join(dir, phase+".json"), err)
		}
		reports[phase] = b
		rules = append(rules, r...)
	}
	return rules, nil
}

// noCTRFError says why --results DIR gave no CTRF report: the folder is missing, is not a
// folder, is empty, or holds no file of a known phase (its first names are listed).
func noCTRFError(dir string) error {
	var want []string
	for _, phase := range schema.Phases() {
		want = append(want, phase+".json")
	}
	wantText := "want " + strings.Join(want, ", ")
	if n := len(want); n > 1 {
		wantText = "want " + strings.Join(want[:n-1], ", ") + " and/or " + want[n-1]
	}
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--results %s: no CTRF report: no such folder", dir)
	case err != nil:
		return fmt.Errorf("--results %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("--results %s: no CTRF report: not a folder (%s)", dir, wantText)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("--results %s: %w", dir, err)
	}
	defer f.Close()
	const shown = 5
	names, err := f.Readdirnames(64) // enough to tell empty from not, and to show a few
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("--results %s: %w", dir, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("--results %s: no CTRF report: the folder is empty (%s)", dir, wantText)
	}
	sort.Strings(names)
	more := ""
	if len(names) > shown {
		more = ", …"
		names = names[:shown]
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return fmt.Errorf("--results %s: no CTRF report: no file of a known phase; the folder holds %s%s (%s)", dir, strings.Join(quoted, ", "), more, wantText)
}

// rawSnapshot reads --snapshot or the cluster, then merges live GPU facts.
func rawSnapshot(ctx context.Context, o *Options, env Env, p *Progress) (*fingerprint.Snapshot, error) {
	var s *fingerprint.Snapshot
	if o.Snapshot != "" {
		b, err := readFile(o.Snapshot, MaxSnapshotBytes, "--snapshot")
		if err != nil {
			return nil, err
		}
		if s, err = fingerprint.ParseSnapshot(b); err != nil {
			return nil, fmt.Errorf("--snapshot %s: %w", o.Snapshot, err)
		}
		p.Step("using snapshot %s", shownPath(o.Snapshot))
	} else {
		cluster := env.Cluster
		if cluster == nil {
			cluster = clusterSnapshot
		}
		var err error
		if s, err = cluster(ctx, o, p); err != nil {
			return nil, err
		}
	}
	if o.NVML == "off" {
		return s, nil
	}
	open := env.OpenGPU
	if open == nil {
		open = gpu.Open
	}
	r, closeNVML, err := open()
	if err != nil {
		if errors.Is(err, gpu.ErrUnavailable) && o.NVML == "auto" {
			p.Step("NVML not available on this machine, GPU facts come from the snapshot only (%v)", err)
			return s, nil
		}
		return nil, fmt.Errorf("--nvml %s: %w", o.NVML, err)
	}
	defer closeNVML()
	p.Step("reading GPU facts with NVML")
	facts, err := r.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("--nvml %s: %w", o.NVML, err)
	}
	setSubtype(s, "GPU", gpu.Measurement(facts))
	if o.Redact == "full" {
		setSubtype(s, "GPU", gpu.DevicesMeasurement(facts))
	}
	return s, nil
}

// clusterSnapshot reads the cluster with client-go.
func clusterSnapshot(ctx context.Context, o *Options, p *Progress) (*fingerprint.Snapshot, error) {
	cfg, err := snapshot.LoadConfig(o.Kubeconfig)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	// Never the API server's address: progress may land in a public CI log.
	p.Step("listing the cluster's nodes")
	s, err := snapshot.Collect(ctx, client, snapshot.Options{Progress: func(n int) { p.Update("%d nodes listed", n) }})
	p.Done()
	if err != nil {
		return nil, fmt.Errorf("cluster snapshot: %w", err)
	}
	return s, nil
}

// setSubtype replaces (or adds) one subtype of a measurement type.
func setSubtype(s *fingerprint.Snapshot, typ string, sub fingerprint.Subtype) {
	for i := range s.Measurements {
		m := &s.Measurements[i]
		if m.Type != typ {
			continue
		}
		for j := range m.Subtypes {
			if m.Subtypes[j].Subtype == sub.Subtype {
				m.Subtypes[j] = sub
				return
			}
		}
		m.Subtypes = append(m.Subtypes, sub)
		return
	}
	s.Measurements = append(s.Measurements, fingerprint.Measurement{Type: typ, Subtypes: []fingerprint.Subtype{sub}})
}

// loadBOM reads and validates --bom, minimised under --redact minimal (with
// the rules applied), or generates one from the recipe (public by
// construction: it holds only what the published recipe says).
func loadBOM(o *Options, canonicalRecipe []byte, name string, at time.Time, opts []scrub.Option) ([]byte, []string, error) {
	if o.BOM == "" {
		b, err := bom.FromRecipe(canonicalRecipe, name, at)
		if err != nil {
			return nil, nil, fmt.Errorf("--bom not given and %w", err)
		}
		return b, nil, nil
	}
	b, err := readFile(o.BOM, MaxBOMBytes, "--bom")
	if err != nil {
		return nil, nil, err
	}
	if _, err := bom.Parse(b); err != nil {
		return nil, nil, fmt.Errorf("--bom %s: %w", o.BOM, err)
	}
	if o.Redact != "minimal" {
		return b, nil, nil
	}
	b, rules, err := bom.Minimize(b, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("--bom %s: %w", o.BOM, err)
	}
	return b, rules, nil
}

// checkFingerprintSurvives makes sure minimisation kept what the verifier
// recomputes the fingerprint from.
func checkFingerprintSurvives(b *assemble.Bundle, raw, shipped []byte) error {
	fromShipped, err := fingerprint.Compute(shipped)
	if err != nil {
		return fmt.Errorf("redacted snapshot: %w", err)
	}
	if diffs := fingerprint.CompareFingerprint(b.Predicate.Fingerprint, fromShipped); len(diffs) > 0 {
		// Name the reading only: its values hold what was scrubbed, and
		// this message may land in a public CI log.
		field, _, _ := strings.Cut(diffs[0], ": ")
		return fmt.Errorf("redaction changed the fingerprint the verifier will recompute: %s holds what the scrubber removes (values not shown; see the raw snapshot, --snapshot-out)", field)
	}
	return nil
}

// newSigner resolves the identity token source and builds the keyless signer.
func newSigner(ctx context.Context, o *Options, env Env, p *Progress) (assemble.Signer, error) {
	if env.Signer != nil {
		return env.Signer, nil
	}
	resolve := env.Tokens
	if resolve == nil {
		resolve = signing.Resolve
	}
	tokens, err := resolve(signing.ResolveOptions{
		TokenFile: o.IdentityToken, Getenv: env.Getenv,
		Interactive: o.Interactive && env.Terminal, Stderr: env.Stderr,
	})
	if err != nil {
		return nil, err
	}
	if signing.IsInteractive(tokens) {
		if err := confirmPublicIdentity(ctx, o, env); err != nil {
			return nil, err
		}
	}
	cfg := signing.Config{FulcioURL: o.FulcioURL, RekorURL: o.RekorURL, RekorVersion: uint32(o.RekorVersion), TSAURL: o.TSAURL,
		Progress: func(step string) { p.Step("%s", step) }}
	if o.TrustedRoot != "" {
		tr, err := trust.FromFile(o.TrustedRoot)
		if err != nil {
			return nil, fmt.Errorf("--trusted-root: %w", err)
		}
		cfg.TrustedRoot = tr
	}
	if o.SigningConfig != "" || cfg.NeedsSigningConfig() {
		if o.SigningConfig == "" {
			p.Step("reading the public-good Sigstore signing config (TUF)")
		}
		if err := cfg.LoadSigningConfig(ctx, o.SigningConfig, ""); err != nil {
			if o.SigningConfig != "" {
				return nil, fmt.Errorf("--signing-config: %w", err)
			}
			return nil, err
		}
	}
	p.Step("identity token from %s", tokens.Name())
	return signing.NewSigner(cfg, tokens)
}

// readFile reads a regular file of at most limit bytes; errors name the flag.
func readFile(path string, limit int64, flagName string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s: not a regular file", flagName, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s: larger than %d bytes", flagName, path, limit)
	}
	return b, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// identityNotice is printed before an interactive login.
const identityNotice = `emit: keyless signing will log you in interactively. The identity you log in with
emit: (usually your e-mail address) is written into the signing certificate and into
emit: the public Rekor transparency log, where it stays permanently: it cannot be
emit: removed. The bundle, with that certificate, is then published in a public PR.
emit: To sign without a personal identity, use a GitHub Actions workflow instead.
`

// maxAnswer bounds the answer read from stdin.
const maxAnswer = 1024

// confirmPublicIdentity says that an interactive login publishes the user's
// identity and asks for a y/yes on stdin, unless --yes; it never waits on a
// stdin that is not a terminal.
func confirmPublicIdentity(ctx context.Context, o *Options, env Env) error {
	w := env.Stderr
	if w == nil {
		w = io.Discard
	}
	fmt.Fprint(w, identityNotice)
	if o.Yes {
		fmt.Fprintln(w, "emit: --yes given: going ahead with the login")
		return nil
	}
	if !env.StdinTerminal || env.Stdin == nil {
		return fmt.Errorf("%w: an interactive login publishes your identity and stdin is not a terminal to ask on; pass --yes to accept, or sign with --identity-token FILE or $%s", ErrNeedsYes, signing.EnvSigstoreIDToken)
	}
	fmt.Fprint(w, "emit: publish your login identity and continue? [y/N] ")
	type answer struct {
		s   string
		err error
	}
	ch := make(chan answer, 1)
	go func() { s, err := readLine(env.Stdin); ch <- answer{s, err} }()
	var a answer
	select {
	case <-ctx.Done():
		fmt.Fprintln(w)
		return fmt.Errorf("%w: interactive signing not confirmed (%v)", ErrAborted, ctx.Err())
	case a = <-ch:
	}
	switch strings.ToLower(strings.TrimSpace(a.s)) {
	case "y", "yes":
		return nil
	}
	if a.err != nil && a.s == "" {
		fmt.Fprintln(w)
	}
	return fmt.Errorf("%w: interactive signing not confirmed, nothing was signed or published (answer y, or pass --yes)", ErrAborted)
}

// readLine reads one line byte by byte, so that nothing after it is taken
// from stdin (the browser login may read a pasted code later).
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < maxAnswer {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			return b.String(), err
		}
	}
	return b.String(), nil
}
