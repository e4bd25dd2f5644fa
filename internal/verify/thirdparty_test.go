package verify_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

// thirdPartyCannotCheck lists the tamper cases on which the spec's §10
// third-party script (cosign, tar, jq, sha256sum) and verify-evidence may
// disagree on pass / not pass, each with the class of rule §10 states it
// cannot check. Every other case must get the same answer from both readers.
// A case listed here that the two readers agree on fails the test too, so the
// list stays exactly the set of known differences.
var thirdPartyCannotCheck = map[string]string{
	"recipe.yaml not canonical":                 "the canonical form of recipe.yaml",
	"fingerprint contradicts the snapshot":      "the fingerprint and criteria match recomputed from YAML",
	"criteria mismatch signed as matched":       "the fingerprint and criteria match recomputed from YAML",
	"second gzip member":                        "the archive rules of §1 beyond entry types, duplicates and reserved names",
	"H800 signed as an h100":                    "the fingerprint and criteria match recomputed from YAML",
	"a phase the recipe declares has no report": "the phases the recipe declares under validation (YAML)",
	"recipe validation checks are not a list":   "the phases the recipe declares under validation (YAML)",
}

// thirdPartyNotApplicable reports why a case cannot be given to the script at
// all (it changes the verifier's configuration, reads through a failing
// reader, or compares with a recipe file), or "".
func thirdPartyNotApplicable(c tamperCase) string {
	switch {
	case c.reader != nil:
		return "an I/O failure of the reader, not a property of the bundle"
	case c.config != nil:
		return "a verifier configuration (trust root, policy, clock), not a property of the bundle"
	case c.recipe != nil:
		return "a comparison with a recipe file (--recipe)"
	}
	return ""
}

// TestThirdPartyAgreesOnTamperCorpus runs the documented §10 script on every
// bundle of the tamper corpus and checks that it accepts exactly the bundles
// verify-evidence passes, except for the listed classes §10 cannot check.
func TestThirdPartyAgreesOnTamperCorpus(t *testing.T) {
	testutil.NeedThirdPartyTools(t)
	fx := tamperSetup(t)
	rootJSON, err := fx.a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootPath := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(rootPath, rootJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	vars := fmt.Sprintf("TRUSTED_ROOT=%s\nISSUER=%s\nIDENTITY_REGEXP='%s'\n", rootPath, tamperIssuer, tamperPattern)

	var disagree []string
	ran := 0
	corpus := slices.Concat(tamperCases(), evidenceRuleCases(), strictJSONCases())
	for i, c := range corpus {
		if why := thirdPartyNotApplicable(c); why != "" {
			t.Logf("%s: not given to the script: %s", c.name, why)
			continue
		}
		var bundle []byte
		switch {
		case c.bundle != nil:
			bundle = c.bundle(t, fx)
		case c.files != nil:
			bundle = tamperPack(t, c.files(t, fx))
		default:
			bundle = fx.bundle
		}
		res := c.run(t, fx)
		path := filepath.Join(dir, fmt.Sprintf("case-%03d.tar.gz", i))
		if err := os.WriteFile(path, bundle, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := testutil.RunThirdParty(t, vars+"BUNDLE="+path)
		ran++
		verifyPasses, scriptPasses := res.Verdict == verify.VerdictPassed, err == nil
		_, listed := thirdPartyCannotCheck[c.name]
		switch {
		case verifyPasses != scriptPasses && !listed:
			disagree = append(disagree, c.name)
			t.Errorf("%s: verify-evidence says %s, the §10 script %s\nverify: %s\nscript output (last lines):\n%s",
				c.name, res.Verdict, passWord(scriptPasses), res.Summary, lastLines(out, 6))
		case verifyPasses == scriptPasses && listed:
			t.Errorf("%s is listed as a class §10 cannot check (%s), but both readers agree (%s): remove it from the list",
				c.name, thirdPartyCannotCheck[c.name], passWord(scriptPasses))
		case listed:
			t.Logf("%s: known difference (%s): verify-evidence %s, script %s", c.name, thirdPartyCannotCheck[c.name], res.Verdict, passWord(scriptPasses))
		}
	}
	t.Logf("§10 script run on %d tamper cases; %d unexplained disagreements", ran, len(disagree))
	if ran < 40 {
		t.Errorf("only %d cases were given to the script, want at least 40", ran)
	}
	slices.Sort(disagree)
	if len(disagree) > 0 {
		t.Logf("disagreements: %s", strings.Join(disagree, ", "))
	}
}

func passWord(ok bool) string {
	if ok {
		return "passes"
	}
	return "does not pass"
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
