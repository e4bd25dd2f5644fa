package verify_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// aicrUnsigned maps each unsigned bundle AICR's own tool wrote to the verdict
// inspect must give (issue 9's "Done when" matrix).
var aicrUnsigned = map[string]verify.Verdict{
	"v1-eks-minimal":         verify.VerdictPassed,
	"v1-eks-full":            verify.VerdictPassed,
	"v1-eks-failed-phase":    verify.VerdictFailing,
	"v2-aks-profile-minimal": verify.VerdictPassed,
	"cli-publish-nosign":     verify.VerdictPassed,
}

// inspectForm inspects arg (a directory or a tar.gz) through the source layer.
func inspectForm(t *testing.T, arg string) *verify.Result {
	t.Helper()
	v, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(arg, nil, source.RemoteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return v.VerifyFrom(t.Context(), src.Load, verify.Options{Name: src.Name, Form: src.Form})
}

// packDir packs dir the way people pack a folder: tar -C dir -czf b.tar.gz .
func packDir(t *testing.T, dir string) string {
	t.Helper()
	tgz := filepath.Join(t.TempDir(), "bundle.tar.gz")
	if out, err := exec.Command("tar", "-C", dir, "-czf", tgz, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return tgz
}

func TestAICRUnsignedBundlesInEveryForm(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar is not installed")
	}
	for name, want := range aicrUnsigned {
		t.Run(name, func(t *testing.T) {
			dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+name+"/summary-bundle")
			for _, arg := range []string{dir, packDir(t, dir)} {
				res := inspectForm(t, arg)
				if res.Verdict != want {
					t.Errorf("%s (%s): verdict %s, want %s\n%s", name, res.Archive.Form, res.Verdict, want, tamperDescribe(res))
				}
				if res.Predicate == nil || res.Predicate.Dialect != "aicr" {
					t.Fatalf("%s: predicate %+v, want the aicr dialect", name, res.Predicate)
				}
				// The manifest's and the CTRF reports' digests (corroboration
				// groups rows that share one).
				if n := len(res.Predicate.EvidenceDigests); n != 1+len(res.Phases) {
					t.Errorf("%s: %d evidence digests %v, want the manifest's and one per phase (%d)", name, n, res.Predicate.EvidenceDigests, len(res.Phases))
				}
			}
		})
	}
}

// copyDir copies a bundle directory (regular files only) for tampering.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

func TestAICRTamperedCopiesAreInvalid(t *testing.T) {
	orig := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-minimal/summary-bundle")
	edit := func(t *testing.T, dir, file, from, to string) {
		t.Helper()
		p := filepath.Join(dir, file)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), from, to, 1)
		if s == string(b) {
			t.Fatalf("%s: %q not found", file, from)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, file, from, to string
		check, detail        string
	}{
		{"CTRF byte", "ctrf/deployment.json", `"passed"`, `"failed"`, verify.CheckManifest, "ctrf/deployment.json"},
		{"snapshot shows another GPU", "snapshot.yaml", "model: h100", "model: h200", verify.CheckManifest, "snapshot.yaml"},
		{"claim of a GPU the snapshot contradicts", "statement.intoto.json", `"gpuModel":{"source":"gpu.hardware.model", "value":"h100"}`, `"gpuModel":{"source":"gpu.hardware.model", "value":"h200"}`, verify.CheckFingerprint, `fingerprint.gpuModel.value: claimed "h200"`},
		{"phase counts hide a skipped test", "statement.intoto.json", `"passed":2, "skipped":1`, `"passed":3, "skipped":0`, verify.CheckCTRF, "predicate counts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, orig)
			edit(t, dir, tc.file, tc.from, tc.to)
			res := inspectForm(t, dir)
			if res.Verdict != verify.VerdictInvalid {
				t.Fatalf("verdict %s, want invalid\n%s", res.Verdict, tamperDescribe(res))
			}
			var found bool
			for _, c := range res.Checks {
				if c.Name == tc.check && c.Status == verify.StatusFailed && strings.Contains(c.Detail, tc.detail) {
					found = true
				}
			}
			if !found {
				t.Errorf("no failed %s check mentioning %q\n%s", tc.check, tc.detail, tamperDescribe(res))
			}
		})
	}
}

// A symbolic link inside a bundle directory is refused, never followed.
func TestAICRDirectoryWithSymlinkIsInvalid(t *testing.T) {
	dir := copyDir(t, testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-minimal/summary-bundle"))
	if err := os.Remove(filepath.Join(dir, "snapshot.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "snapshot.yaml")); err != nil {
		t.Fatal(err)
	}
	res := inspectForm(t, dir)
	if res.Verdict != verify.VerdictInvalid || !strings.Contains(res.Checks[0].Detail, "symbolic link") {
		t.Errorf("verdict %s\n%s", res.Verdict, tamperDescribe(res))
	}
}

// AICR's signing test instance (shared testdata README): its issuer and workflow identity.
const (
	aicrIssuer   = "https://oidc.fake-sigstore.invalid"
	aicrIdentity = `^https://github\.com/fake-org/fake-aicr/\.github/workflows/evidence-publish\.yaml@refs/heads/main$`
)

// aicrVerifier returns a verifier with the AICR test instance's trusted root
// and signer pins.
func aicrVerifier(t *testing.T, ignoreSCT bool) *verify.Verifier {
	t.Helper()
	tr, err := trust.FromFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.FromPins(policy.Pins{Issuers: []string{aicrIssuer}, IdentityRegexps: []string{aicrIdentity}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Trust: tr, Policy: pol, IgnoreSCT: ignoreSCT, Now: func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func verifyForm(t *testing.T, v *verify.Verifier, arg string, artifact *verify.PulledArtifact) *verify.Result {
	t.Helper()
	src, err := source.Open(arg, nil, source.RemoteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return v.VerifyFrom(t.Context(), src.Load, verify.Options{Name: src.Name, Form: src.Form, Artifact: artifact})
}

// The bundle AICR signed (OCI subject form, Fulcio + Rekor v1, no CT log):
// passed with --insecure-ignore-sct, shown in the result; invalid ("no SCT")
// without it, as a directory and as a tar.gz.
func TestAICRSignedBundle(t *testing.T) {
	dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-signed-pushed/summary-bundle")
	for _, arg := range []string{dir, packDir(t, dir)} {
		res := verifyForm(t, aicrVerifier(t, true), arg, nil)
		if res.Verdict != verify.VerdictPassed {
			t.Fatalf("%s: verdict %s, want passed\n%s", arg, res.Verdict, tamperDescribe(res))
		}
		sig := res.Signature
		if !sig.Verified || !sig.SCTIgnored || sig.ArtifactPulled ||
			sig.Artifact != "127.0.0.1:5000/aicr-evidence:h100-eks-ubuntu-training-35ac98ecb1ae@sha256:addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026" {
			t.Errorf("signature info %+v", sig)
		}
		if res.Recipe.Name != "h100-eks-ubuntu-training" {
			t.Errorf("recipe %+v", res.Recipe)
		}
		res = verifyForm(t, aicrVerifier(t, false), arg, nil)
		if res.Verdict != verify.VerdictInvalid || !strings.HasPrefix(res.Checks[1].Detail, "no SCT") {
			t.Errorf("%s without --insecure-ignore-sct: verdict %s, want invalid (no SCT)\n%s", arg, res.Verdict, tamperDescribe(res))
		}
	}
}

func TestAICRSignedBundleTampered(t *testing.T) {
	orig := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-signed-pushed/summary-bundle")
	name, _ := schema.ParseOCIName("127.0.0.1:5000/aicr-evidence:h100-eks-ubuntu-training-35ac98ecb1ae")
	const digest = "addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026"
	other := strings.Repeat("0", 64)
	otherName, _ := schema.ParseOCIName("127.0.0.1:5000/aicr-evidence:moved")

	// Pulled as the artifact it names: passed, and says so.
	res := verifyForm(t, aicrVerifier(t, true), orig, &verify.PulledArtifact{Name: name, ManifestDigest: digest})
	if res.Verdict != verify.VerdictPassed || !res.Signature.ArtifactPulled {
		t.Fatalf("pulled: verdict %s\n%s", res.Verdict, tamperDescribe(res))
	}
	for _, tc := range []struct {
		name     string
		artifact *verify.PulledArtifact
		edit     func(t *testing.T, dir string)
		check    string
	}{
		{name: "signature of another artifact", artifact: &verify.PulledArtifact{Name: name, ManifestDigest: other}, check: verify.CheckSignature},
		{name: "tag moved", artifact: &verify.PulledArtifact{Name: otherName, ManifestDigest: digest}, check: verify.CheckSubject},
		{name: "CTRF byte", edit: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "ctrf", "performance.json")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			must(t, os.WriteFile(p, b, 0o644))
		}, check: verify.CheckManifest},
		{name: "recipe edited", edit: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "recipe.yaml")
			b, _ := os.ReadFile(p)
			must(t, os.WriteFile(p, []byte(strings.Replace(string(b), "accelerator: h100", "accelerator: h200", 1)), 0o644))
		}, check: verify.CheckSchema}, // predicate.recipe binds the recipe in the OCI subject form
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := orig
			if tc.edit != nil {
				dir = copyDir(t, orig)
				tc.edit(t, dir)
			}
			res := verifyForm(t, aicrVerifier(t, true), dir, tc.artifact)
			if res.Verdict != verify.VerdictInvalid {
				t.Fatalf("verdict %s, want invalid\n%s", res.Verdict, tamperDescribe(res))
			}
			for _, c := range res.Checks {
				if c.Status == verify.StatusFailed {
					if c.Name != tc.check {
						t.Errorf("first failed check %s (%s), want %s", c.Name, c.Detail, tc.check)
					}
					break
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAICRPointerProfileMustMatchPredicate: a pointer's profile is a claim
// like its recipe and attestedAt; a profile the predicate does not carry
// (another one, or one on a bundle without a profile) makes it invalid.
func TestAICRPointerProfileMustMatchPredicate(t *testing.T) {
	dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v2-aks-profile-minimal/summary-bundle")
	v, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	const recipe = "h100-aks-ubuntu-training-gpustack-azure-managed"
	for _, tc := range []struct {
		profile string
		want    verify.Verdict
	}{
		{"gpuStack=azure-managed", verify.VerdictPassed},
		{"gpuStack=self-managed", verify.VerdictInvalid},
		{"", verify.VerdictInvalid},
	} {
		src, err := source.Open(dir, nil, source.RemoteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		claim := &verify.PointerClaim{Recipe: recipe, PredicateType: schema.PredicateTypeAICRV2, AttestedAt: "2026-12-04T21:38:50Z", Profile: tc.profile}
		res := v.VerifyFrom(t.Context(), src.Load, verify.Options{Name: src.Name, Form: src.Form, Pointer: claim})
		src.Close()
		if res.Verdict != tc.want {
			t.Errorf("pointer profile %q: verdict %s, want %s\n%s", tc.profile, res.Verdict, tc.want, tamperDescribe(res))
		}
		if tc.want == verify.VerdictInvalid && !strings.Contains(tamperDescribe(res), "pointer names profile") {
			t.Errorf("pointer profile %q: the reason does not name the profile:\n%s", tc.profile, tamperDescribe(res))
		}
	}
}
