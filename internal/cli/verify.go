package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/report"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// DefaultMaxAge is the default --max-age: evidence older than a year is stale.
const DefaultMaxAge = 365 * 24 * time.Hour

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// ageFlag is a duration flag that also accepts whole days ("365d").
type ageFlag struct{ d time.Duration }

func (a *ageFlag) String() string { return formatMaxAge(a.d) }
func (a *ageFlag) Set(v string) error {
	d, err := verify.ParseMaxAge(v)
	if err != nil {
		return err
	}
	a.d = d
	return nil
}

// verifyOptions are the flags of verify-evidence verify.
type verifyOptions struct {
	out            outputFlags
	recipe         string
	trustedRoot    string
	tufCache       string
	policyFile     string
	issuers        stringList
	identityRegexp stringList
	allowAny       bool
	maxAge         ageFlag
	fullCoverage   bool
	ignoreSCT      bool
	require        requirementFlags
	src            sourceFlags
}

// sourceFlags are the flags of the OCI and pointer input forms (inspect and verify).
type sourceFlags struct {
	plainHTTP, allowUnpinnedTag bool
	pointerPath                 string
}

func (s *sourceFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.plainHTTP, "plain-http", false, "talk plain HTTP to the OCI registry (loopback test registries only)")
	fs.BoolVar(&s.allowUnpinnedTag, "allow-unpinned-tag", false, "accept an oci:// reference by tag alone (tags move; the report shows the digest pulled)")
	fs.StringVar(&s.pointerPath, "pointer-path", "", "the pointer file's repository `PATH` (recipes/evidence/<recipe>/<source>/sha256-<hex>.yaml), checked against the pointer; default: the path given")
}

func (s sourceFlags) remote() source.RemoteOptions {
	return source.RemoteOptions{OCI: oci.Options{PlainHTTP: s.plainHTTP, AllowUnpinnedTag: s.allowUnpinnedTag}, PointerPath: s.pointerPath}
}

// requirementFlags are the certificate-extension requirements of the
// command-line pins (policy.Requirements; docs/signer-policy.md).
type requirementFlags struct {
	policy.Requirements
	triggers stringList
}

func (r *requirementFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.SourceRepositoryURI, "certificate-source-repository-uri", "", "pins require the certificate's source repository `URL` (exact)")
	fs.StringVar(&r.SourceRepositoryIdentifier, "certificate-source-repository-identifier", "", "pins require the certificate's numeric source repository `ID` (survives a rename; a re-created repository has another)")
	fs.StringVar(&r.SourceRepositoryOwnerIdentifier, "certificate-source-repository-owner-identifier", "", "pins require the certificate's numeric repository owner `ID`")
	fs.StringVar(&r.SourceRepositoryRef, "certificate-source-repository-ref", "", "pins require the certificate's source `REF`, e.g. refs/heads/main")
	fs.StringVar(&r.BuildSignerURI, "certificate-build-signer-uri", "", "pins require the certificate's signing workflow `URI` (for a reusable workflow: the called one)")
	fs.StringVar(&r.BuildConfigURI, "certificate-build-config-uri", "", "pins require the certificate's top-level workflow `URI` (for a reusable workflow: the caller)")
	fs.Var(&r.triggers, "certificate-build-trigger", "pins require the certificate's triggering `EVENT` to be one of these, e.g. push (repeatable)")
	fs.StringVar(&r.RunnerEnvironment, "certificate-runner-environment", "", "pins require the certificate's runner `ENVIRONMENT`: github-hosted or self-hosted")
}

// requirements returns the requirements the flags give.
func (r *requirementFlags) requirements() policy.Requirements {
	req := r.Requirements
	req.BuildTriggers = r.triggers
	return req
}

func (o *verifyOptions) register(fs *flag.FlagSet) {
	o.out.register(fs)
	o.maxAge.d = DefaultMaxAge
	fs.StringVar(&o.recipe, "recipe", "", "also check that the bundle's recipe is the canonical form of `FILE`")
	fs.StringVar(&o.trustedRoot, "trusted-root", "", "pinned Sigstore trusted_root.json `FILE` (offline); default: public-good root through TUF")
	fs.StringVar(&o.tufCache, "tuf-cache", "", "TUF cache `DIR` (default ~/.sigstore/root)")
	fs.StringVar(&o.policyFile, "policy", "", "signer policy YAML `FILE`")
	fs.Var(&o.issuers, "certificate-oidc-issuer", "trusted OIDC `ISSUER`, exact (repeatable)")
	fs.Var(&o.identityRegexp, "certificate-identity-regexp", "trusted certificate identity, an anchored `REGEXP` ^…$ (repeatable)")
	fs.BoolVar(&o.allowAny, "allow-any-signer", false, "trust any Fulcio identity (for local checks only; the report says so)")
	fs.Var(&o.maxAge, "max-age", "oldest attestedAt accepted, e.g. 365d or 720h; 0 disables")
	fs.BoolVar(&o.ignoreSCT, "insecure-ignore-sct", false, "do not require a signed certificate timestamp (cosign's flag): for a private Sigstore instance without a certificate-transparency log; the report says so")
	fs.BoolVar(&o.fullCoverage, "require-full-coverage", false, "a check the recipe declares under validation without a test of its name in the phase's CTRF report makes the bundle failing")
	o.require.register(fs)
	o.src.register(fs)
}

// buildPolicy combines the policy file and the command-line pins.
func (o *verifyOptions) buildPolicy() (*policy.Policy, error) {
	flags, err := policy.FromPins(policy.Pins{Class: policy.ClassCommandLine, Issuers: o.issuers, IdentityRegexps: o.identityRegexp, Require: o.require.requirements()})
	if err != nil {
		return nil, err
	}
	p := flags
	if o.policyFile != "" {
		b, err := source.ReadSmall(o.policyFile, policy.MaxPolicyBytes)
		if err != nil {
			return nil, argError("--policy", o.policyFile, err)
		}
		fp, err := policy.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.policyFile, err)
		}
		p = policy.Merge(p, fp)
	}
	if o.allowAny {
		p = policy.Merge(p, policy.AllowAny())
	}
	return p, nil
}

func runVerify(ctx context.Context, args []string, stdio IO) int {
	fs := newFlagSet("verify", stdio)
	var o verifyOptions
	o.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPassed
		}
		return ExitUsage
	}
	usage := func(err error) int {
		fmt.Fprintf(stdio.Stderr, "verify-evidence verify: %v\n", err)
		return ExitUsage
	}
	if len(pos) != 1 {
		return usage(errors.New("want exactly one BUNDLE argument"))
	}
	format, err := report.ParseFormat(o.out.format)
	if err != nil {
		return usage(err)
	}
	pol, err := o.buildPolicy()
	if err != nil {
		return usage(err)
	}
	cfg := verify.Config{Policy: pol, MaxAge: o.maxAge.d, RequireFullCoverage: o.fullCoverage || pol.RequiresFullCoverage(), IgnoreSCT: o.ignoreSCT}
	if o.trustedRoot != "" {
		tr, err := trust.FromFile(o.trustedRoot)
		if err != nil && !errors.Is(err, trust.ErrUnavailable) {
			return usage(err)
		}
		cfg.Trust, cfg.TrustError = tr, err
	} else {
		tr, err := trust.FromTUF(ctx, o.tufCache)
		cfg.Trust, cfg.TrustError = tr, err
	}
	if cfg.Trust == nil && cfg.TrustError == nil {
		cfg.TrustError = errors.New("no trust material")
	}
	var recipe []byte
	if o.recipe != "" {
		if recipe, err = source.ReadSmall(o.recipe, 1<<20); err != nil {
			return usage(argError("--recipe", o.recipe, err))
		}
	}
	return checkBundle(ctx, "verify", cfg, pos[0], verify.Options{Recipe: recipe, RecipeName: o.recipe}, o.src, format, o.out.output, stdio)
}

// verifySource opens BUNDLE in any input form (internal/source: "-" for a
// tar.gz on stdin, a tar.gz file, a bundle directory, oci://…, a pointer
// file) and runs the pipeline.
// The error is the user's mistake in naming BUNDLE (no such file, a symlink,
// a FIFO, a directory that is not a bundle): a usage error, not a verdict.
func verifySource(ctx context.Context, v *verify.Verifier, mode, arg string, opts verify.Options, flags sourceFlags, stdio IO) (*verify.Result, error) {
	src, err := source.Open(arg, stdio.Stdin, flags.remote())
	if err != nil && argumentError(err) {
		return nil, argError("BUNDLE", arg, err)
	}
	if err != nil {
		return verify.InputError(arg, mode, err), nil
	}
	defer src.Close()
	return source.Verify(ctx, v, src, opts), nil
}
