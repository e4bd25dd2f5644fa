package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ThirdPartyScript returns the two shell blocks of spec §10 in
// docs/bundle-format.md: the variables block and the verification script
// between the third-party-verification markers.
func ThirdPartyScript(t testing.TB) (vars, script string) {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join(RepoRoot(t), "docs", "bundle-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(spec)
	const begin, end = "<!-- third-party-verification:begin -->", "<!-- third-party-verification:end -->"
	i, j := strings.Index(text, begin), strings.Index(text, end)
	sec := strings.Index(text, "## 10. Verifying without this project")
	if i < 0 || j < i || sec < 0 || sec > i {
		t.Fatal("bundle-format.md: §10 or its third-party-verification markers are missing")
	}
	script = shellBlock(t, text[i+len(begin):j])
	before := text[sec:i]
	k := strings.LastIndex(before, "```sh\n")
	if k < 0 {
		t.Fatal("bundle-format.md §10: no variables block before the script")
	}
	return shellBlock(t, before[k:]), script
}

func shellBlock(t testing.TB, s string) string {
	t.Helper()
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatalf("no ```sh block in %q", s[:min(len(s), 80)])
	}
	body := s[start+len("```sh\n"):]
	stop := strings.Index(body, "```")
	if stop < 0 {
		t.Fatal("unterminated ```sh block")
	}
	return body[:stop]
}

// NeedThirdPartyTools skips the test when a tool of the §10 script is missing,
// except under CI=true, where that is a failure (scripts/test.sh installs
// cosign; the others come with the machine).
func NeedThirdPartyTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"cosign", "jq", "tar", "sha256sum", "base64", "bash", "openssl", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH; .ci/run installs cosign (scripts/test.sh) and the others come with the machine", tool)
			}
			t.Skipf("%s is not on PATH (run scripts/test.sh, which installs cosign v3.1.3)", tool)
		}
	}
}

// RunThirdParty runs the documented variables block, then overrides, then the
// documented §10 script, from the repository root, and returns its combined
// output.
func RunThirdParty(t testing.TB, overrides string) (string, error) {
	t.Helper()
	vars, script := ThirdPartyScript(t)
	cmd := exec.Command("bash", "-c", vars+"\n"+overrides+"\n"+script)
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}
