package action_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/action"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// legacyCommand reports whether a job-log line would be read by the GitHub
// runner as a workflow command. ActionCommandManager.TryProcessCommand tries
// ActionCommand.TryParseV2 (the "::cmd::" form, which must start the line after
// leading white space) and then falls back to ActionCommand.TryParse, the
// legacy "##[cmd]data" form, which is found ANYWHERE in the line
// (message.IndexOf("##[")). Every registered command works that way:
// add-mask, set-output, stop-commands, warning, error, group, …
func legacyCommand(line string) bool {
	i := strings.Index(line, "##[")
	return i >= 0 && strings.Contains(line[i:], "]")
}

// Attack: untrusted text (a PR path, a bundle's recipe name, an error message)
// written to the job log through Neutralize carries the legacy workflow-command
// form "##[add-mask]…" / "##[set-output name=verdict;]passed" /
// "##[stop-commands]x". Neutralize only breaks "::", so the runner still
// executes it (masking log text such as "invalid", forging annotations,
// stopping command processing).
// Correct: Neutralize leaves no "##[" sequence in its output.
// BROKEN at the time of writing (internal/action/run.go: Neutralize).
func TestAttackNeutralizeLegacyWorkflowCommand(t *testing.T) {
	for _, s := range []string{
		"##[add-mask]invalid",
		"recipes/evidence/##[set-output name=verdict;]passed/evidence-bundle.tar.gz",
		`resolve: "recipes/##[stop-commands]x/r.yaml"`,
		"a ##[error]forged annotation",
	} {
		if got := action.Neutralize(s); legacyCommand(got) {
			t.Errorf("Neutralize(%q) = %q: the runner reads a legacy ##[…] workflow command in it", s, got)
		}
	}
}

// Attack (blocked): the "::" form, also with leading spaces, odd runs of
// colons and line breaks that would start a new line.
func TestAttackNeutralizeV2WorkflowCommand(t *testing.T) {
	for _, s := range []string{
		"::add-mask::x", "   ::stop-commands::tok", ":::set-output name=v::passed",
		"x\n::error::forged", "x\r::error::forged", "x\u2028::error::forged", "x\u0085::error::forged",
	} {
		got := action.Neutralize(s)
		if strings.ContainsAny(got, "\n\r\u2028\u2029\u0085") {
			t.Errorf("Neutralize(%q) = %q: not one line", s, got)
		}
		if strings.HasPrefix(strings.TrimLeft(got, " \t"), "::") {
			t.Errorf("Neutralize(%q) = %q starts with ::", s, got)
		}
	}
}

// Attack end to end: a PR whose head holds two recipe files named like the
// recipe an orphan bundle names — one of them in a folder called
// "##[add-mask]invalid" — makes Plan.Resolve fail; the action logs the error,
// with both paths, as a plain log line (r.Log → Infof). The runner then reads
// "##[add-mask]invalid…" as a command.
// Correct: no line of the job log holds a legacy "##[…]" command that came from
// the PR.
// BROKEN at the time of writing (internal/action/run.go: Neutralize, reached
// from internal/action/action.go: resolveOrphans).
func TestAttackLegacyWorkflowCommandInJobLog(t *testing.T) {
	h100 := h100Files(t)
	hostileDir := "recipes/##[add-mask]invalid"
	tree := []githubtest.TreeFile{
		{Path: h100[0].Path, Content: h100[0].Content},
		{Path: hostileDir + "/h100-eks-ubuntu-training.yaml", Content: h100[0].Content},
		{Path: "recipes/evidence/orphan/evidence-bundle.tar.gz", Content: h100[1].Content},
	}
	changed := []githubtest.File{{Path: "recipes/evidence/orphan/evidence-bundle.tar.gz", Status: "added", Content: h100[1].Content}}
	srv := newServer(t)
	srv.Fake.SetTree(e2eRepo, sha('e'), tree)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 41, HeadSHA: sha('e'), BaseSHA: sha('b')}, changed)
	r := runAction(t, srv, prEvent(t, srv, 41, sha('e'), ""), "pull_request", nil)
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
			continue // a ::command:: line is parsed by TryParseV2 and never reaches the legacy parser
		}
		if legacyCommand(line) {
			t.Errorf("a PR-controlled string became a legacy workflow command in the job log: %q", line)
		}
	}
	if t.Failed() {
		t.Logf("exit %d outputs %v\nlog:\n%s", r.code, r.outputs, r.stdout)
	}
}
