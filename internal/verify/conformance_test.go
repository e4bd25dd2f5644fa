package verify_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

const (
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
)

// TestSigstoreConformance runs the signature layer (production options, the
// lenient bundle loader) and the identity layer (policy pins) over every
// sigstore-conformance bundle-verify case: a "_fail" case must be rejected,
// every other case accepted.
func TestSigstoreConformance(t *testing.T) {
	base := testutil.SharedTestdata(t, "sigstore-conformance/bundle-verify")
	prodRoot := testutil.SharedTestdata(t, "sigstore-trusted-root/trusted_root.json")
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	artifactDefault, err := os.ReadFile(filepath.Join(base, "a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases, matched := 0, 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cases++
		dir := filepath.Join(base, e.Name())
		wantFail := strings.HasSuffix(e.Name(), "_fail")
		ok := t.Run(e.Name(), func(t *testing.T) {
			err := conformanceCase(dir, prodRoot, artifactDefault)
			switch {
			case wantFail && err == nil:
				t.Fatal("verified, but the case must fail")
			case !wantFail && err != nil:
				t.Fatalf("rejected a valid case: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "%!w") {
				t.Errorf("error message carries a formatting artifact: %v", err)
			}
		})
		if ok {
			matched++
		}
	}
	t.Logf("sigstore-conformance bundle-verify: %d/%d cases give the expected result", matched, cases)
	if cases != 70 {
		t.Errorf("found %d conformance cases, want 70", cases)
	}
}

func conformanceCase(dir, prodRoot string, artifactDefault []byte) error {
	trPath := filepath.Join(dir, "trusted_root.json")
	if _, err := os.Stat(trPath); err != nil {
		trPath = prodRoot
	}
	tr, err := root.NewTrustedRootFromPath(trPath)
	if err != nil {
		return err
	}
	var tm root.TrustedMaterial = tr
	keyed := false
	if pemKey, err := os.ReadFile(filepath.Join(dir, "key.pub")); err == nil {
		keyed = true
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemKey)
		if err != nil {
			return err
		}
		v, err := signature.LoadDefaultVerifier(pub)
		if err != nil {
			return err
		}
		key := root.NewExpiringKey(v, time.Time{}, time.Time{})
		tm = root.TrustedMaterialCollection{tr, root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "bundle.sigstore.json"))
	if err != nil {
		return err
	}
	sb, err := verify.LoadSigstoreBundle(raw)
	if err != nil {
		return err
	}
	artifact := artifactDefault
	if b, err := os.ReadFile(filepath.Join(dir, "artifact")); err == nil {
		artifact = b
	}
	res, err := verify.VerifySigstoreBundle(sb, sgverify.WithArtifact(bytes.NewReader(artifact)), tm)
	if err != nil {
		return err
	}
	if keyed {
		if res.Signature.Certificate != nil {
			return errString("key case verified with a certificate")
		}
		return nil
	}
	identity, issuer := conformanceIdentity, conformanceIssuer
	if b, err := os.ReadFile(filepath.Join(dir, "identity")); err == nil {
		identity = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "issuer")); err == nil {
		issuer = strings.TrimSpace(string(b))
	}
	pol, err := policy.FromFlags([]string{issuer}, []string{"^" + regexp.QuoteMeta(identity) + "$"})
	if err != nil {
		return err
	}
	cert := res.Signature.Certificate
	if cert == nil {
		return errString("no certificate")
	}
	if d := pol.Decide(cert.Issuer, cert.SubjectAlternativeName); !d.Allowed {
		return errString("identity not allowed: " + cert.SubjectAlternativeName)
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }
