package action

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// At most 10 error and 10 warning annotations, then one notice with the rest.
func TestAnnotateCaps(t *testing.T) {
	var out bytes.Buffer
	a := githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(func(string) string { return "" }))
	rep := &comment.Report{}
	for i := 0; i < 15; i++ {
		rep.Rows = append(rep.Rows, comment.Row{Recipe: fmt.Sprintf("bad-%d", i), RecipePath: fmt.Sprintf("recipes/bad-%d.yaml", i), Verdict: verify.VerdictInvalid, Detail: "tampered\n::error::x"})
		rep.Rows = append(rep.Rows, comment.Row{Recipe: fmt.Sprintf("fail-%d", i), RecipePath: fmt.Sprintf("recipes/fail-%d.yaml", i), Verdict: verify.VerdictFailing, Detail: "a test failed"})
	}
	annotate(a, rep)
	s := out.String()
	if n := strings.Count(s, "::error "); n != 10 {
		t.Errorf("%d error annotations, want 10", n)
	}
	if n := strings.Count(s, "::warning "); n != 10 {
		t.Errorf("%d warning annotations, want 10", n)
	}
	if !strings.Contains(s, "::notice::10 more recipe finding(s)") {
		t.Errorf("no notice with the rest:\n%s", s)
	}
	if strings.Contains(s, "\n::error::x") {
		t.Errorf("PR text injected a workflow command:\n%s", s)
	}
}

func TestNeutralize(t *testing.T) {
	got := Neutralize("a\n::set-output name=x::y\r\n::error::z")
	if strings.ContainsAny(got, "\r\n") || strings.Contains(got, "::") {
		t.Fatalf("Neutralize left a command: %q", got)
	}
}

func TestParseInputs(t *testing.T) {
	in := map[string]string{"github-token": "t", "fail-on": "failing", "certificate-identity-regexp": "^a$\n^b$", "max-age": "30d"}
	got, err := ParseInputs(func(k string) string { return in[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got.FailOn != FailOnFailing || len(got.IdentityRegexps) != 2 || got.MaxAge.Hours() != 720 || got.Policy != "recipes/evidence/policy.yaml" || got.PolicyExplicit || got.StatusContext != DefaultStatusContext {
		t.Fatalf("inputs %+v", got)
	}
	// The policy follows evidence-dir.
	moved := map[string]string{"github-token": "t", "evidence-dir": "data/evidence/"}
	if got, err := ParseInputs(func(k string) string { return moved[k] }); err != nil || got.Policy != "data/evidence/policy.yaml" {
		t.Fatalf("policy with evidence-dir data/evidence: %q, %v", got.Policy, err)
	}
	for k, v := range map[string]string{"fail-on": "sometimes", "comment": "loud", "mode": "x", "max-age": "forever", "github-token": "",
		"policy": "../base/policy.yaml", "trusted-root": "/etc/trusted_root.json", "status-context": "a\nb"} {
		bad := map[string]string{"github-token": "t", k: v}
		if _, err := ParseInputs(func(n string) string { return bad[n] }); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("input %s=%q: error %v should name it", k, v, err)
		}
	}
	if !FailOnMissing.Fails(countsView{missing: 1}) || FailOnFailing.Fails(countsView{missing: 1}) || FailOnInvalid.Fails(countsView{failing: 1}) || !FailOnInvalid.Fails(countsView{errors: 1}) || FailOnNever.Fails(countsView{invalid: 3}) {
		t.Fatal("fail-on semantics")
	}
}
