package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/statuspage"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// sweepOptions are the flags of verify-evidence sweep: the verifier's
// (trust root, policy, pins, max age) and where recipes, evidence and the
// reports are.
type sweepOptions struct {
	verifyOptions
	recipePaths stringList
	evidenceDir string
	cacheDir    string
	concurrency int
	jsonOut     string
	markdownOut string
	pageDir     string
	// registryPlainHTTP and maxPointerPulls configure the pulls of the
	// artifacts AICR pointer files pin.
	registryPlainHTTP stringList
	maxPointerPulls   int
}

func (o *sweepOptions) register(fs *flag.FlagSet) {
	o.verifyOptions.register(fs)
	fs.Var(&o.recipePaths, "recipe-paths", "glob `PATTERN` of recipe files, ** for any folders (repeatable; default recipes/**/*.yaml)")
	fs.StringVar(&o.evidenceDir, "evidence-dir", diff.DefaultEvidenceDir, "`DIR` with one <recipe-name>/evidence-bundle.tar.gz per recipe")
	fs.StringVar(&o.cacheDir, "cache", "", "cache `DIR` of verifications by bundle, trust root, policy and verifier version")
	fs.IntVar(&o.concurrency, "concurrency", sweep.DefaultConcurrency, "bundles verified at once")
	fs.StringVar(&o.jsonOut, "json", "", "also write the JSON report to `FILE`")
	fs.StringVar(&o.markdownOut, "markdown", "", "also write the Markdown report to `FILE`")
	fs.Var(&o.registryPlainHTTP, "registry-plain-http", "`HOST:PORT` of a loopback registry that the artifacts of AICR pointer files are pulled from over plain HTTP (repeatable; any other registry is reached over HTTPS)")
	fs.IntVar(&o.maxPointerPulls, "max-pointer-pulls", sweep.DefaultMaxPointerPulls, "most artifacts pulled for AICR pointer files in one sweep (a warm cache pulls none)")
	fs.StringVar(&o.pageDir, "page", "", "write the status page (index.html, report.json, badges/) to `DIR`")
}

func runSweep(ctx context.Context, args []string, stdio IO) int {
	fs := newFlagSet("sweep", stdio)
	var o sweepOptions
	o.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPassed
		}
		return ExitUsage
	}
	usage := func(err error) int {
		fmt.Fprintf(stdio.Stderr, "verify-evidence sweep: %v\n", err)
		return ExitUsage
	}
	checkoutDir := "."
	switch len(pos) {
	case 0:
	case 1:
		checkoutDir = pos[0]
	default:
		return usage(errors.New("want at most one CHECKOUT argument"))
	}
	if o.recipe != "" {
		return usage(errors.New("--recipe is for verify: a sweep reads each recipe from the checkout"))
	}
	format := strings.ToLower(o.out.format)
	if format != "text" && format != "markdown" && format != "json" {
		return usage(fmt.Errorf("unknown format %q: want markdown or json", o.out.format))
	}
	if o.concurrency < 1 || o.concurrency > 64 {
		return usage(errors.New("--concurrency: want 1 to 64"))
	}
	for _, h := range o.registryPlainHTTP {
		if !pointercheck.LoopbackRegistry(h) {
			return usage(fmt.Errorf("--registry-plain-http: %q is not a registry on loopback (127.0.0.1:PORT, [::1]:PORT or localhost:PORT): any other registry is reached over HTTPS only", h))
		}
	}
	if o.maxPointerPulls < 1 {
		return usage(errors.New("--max-pointer-pulls: want at least 1"))
	}
	cfg, err := o.sweepConfig(ctx, checkoutDir, stdio)
	if err != nil {
		return usage(err)
	}
	rep, err := sweep.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "verify-evidence sweep: %v\n", err)
		return ExitError
	}
	if err := writeSweep(rep, format, o, stdio); err != nil {
		fmt.Fprintf(stdio.Stderr, "verify-evidence sweep: %v\n", err)
		return ExitError
	}
	c := rep.Counts
	fmt.Fprintf(stdio.Stderr, "verify-evidence sweep: %d recipes: %d passed, %d failing, %d invalid, %d error, %d without evidence, %d expiring within 30 days (%d verified, %d from the cache)\n",
		c.Recipes, c.Passed, c.Failing, c.Invalid, c.Error, c.Missing, c.Expiring, rep.Cache.Misses, rep.Cache.Hits)
	return ExitCode(worstVerdict(rep))
}

// sweepConfig builds the sweep's configuration from the flags: the verifier
// exactly as verify builds it, and the digests that key the cache.
func (o *sweepOptions) sweepConfig(ctx context.Context, checkoutDir string, stdio IO) (sweep.Config, error) {
	pol, err := o.buildPolicy()
	if err != nil {
		return sweep.Config{}, err
	}
	var policyFile []byte
	if o.policyFile != "" {
		if policyFile, err = source.ReadSmall(o.policyFile, policy.MaxPolicyBytes); err != nil {
			return sweep.Config{}, err
		}
	}
	cfg := sweep.Config{
		Root:            checkoutDir,
		Layout:          diff.Config{RecipeGlobs: o.recipePaths, EvidenceDir: o.evidenceDir},
		Verify:          verify.Config{Policy: pol, MaxAge: o.maxAge.d, RequireFullCoverage: o.fullCoverage || pol.RequiresFullCoverage(), IgnoreSCT: o.ignoreSCT},
		Registry:        pointercheck.Registry{PlainHTTP: pointercheck.PlainHTTPList(o.registryPlainHTTP)},
		MaxPointerPulls: o.maxPointerPulls,
		VerifierVersion: sweep.VerifierVersion(cmp.Or(stdio.Version, defaultVersion)),
		Concurrency:     o.concurrency,
		CacheDir:        o.cacheDir,
		PolicyDigest: sweep.PolicyDigest(policyFile, sweep.WithIgnoreSCT(struct {
			Pins         policy.Pins
			AllowAny     bool
			FullCoverage bool
		}{policy.Pins{Issuers: o.issuers, IdentityRegexps: o.identityRegexp, Require: o.require.requirements()}, o.allowAny, o.fullCoverage}, o.ignoreSCT)),
	}
	var tr *root.TrustedRoot
	if o.trustedRoot != "" {
		tr, err = trust.FromFile(o.trustedRoot)
		if err != nil && !errors.Is(err, trust.ErrUnavailable) {
			return cfg, err
		}
	} else {
		tr, err = trust.FromTUF(ctx, o.tufCache)
	}
	switch {
	case err != nil:
		cfg.Verify.TrustError = err // every bundle: could not decide
	case tr == nil:
		cfg.Verify.TrustError = errors.New("no trust material")
	default:
		cfg.Verify.Trust = tr
		if cfg.TrustRootDigest, err = sweep.TrustRootDigest(tr); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// writeSweep writes the report to stdout (or --output) and to the extra
// files asked for.
func writeSweep(rep *sweep.Report, format string, o sweepOptions, stdio IO) error {
	write := func(w io.Writer, json bool) error {
		if json {
			return sweep.WriteJSON(w, rep)
		}
		return sweep.WriteMarkdown(w, rep)
	}
	toFile := func(p string, json bool) error {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		err = write(f, json)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if o.out.output != "" {
		if err := toFile(o.out.output, format == "json"); err != nil {
			return err
		}
	} else if err := write(stdio.Stdout, format == "json"); err != nil {
		return err
	}
	if o.jsonOut != "" {
		if err := toFile(o.jsonOut, true); err != nil {
			return err
		}
	}
	if o.markdownOut != "" {
		if err := toFile(o.markdownOut, false); err != nil {
			return err
		}
	}
	if o.pageDir != "" {
		if err := statuspage.WriteDir(o.pageDir, rep); err != nil {
			return err
		}
	}
	return nil
}

// worstVerdict is the worst verdict of the sweep's recipes (recipes without
// evidence are listed, not failures).
func worstVerdict(rep *sweep.Report) verify.Verdict {
	v := verify.VerdictPassed
	for _, r := range rep.Recipes {
		if r.Verdict != "" {
			v = v.Worse(r.Verdict)
		}
	}
	return v
}
