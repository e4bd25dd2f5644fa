package action_test

import (
	"testing"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// TestAttack2ResolvedDirReadFailureIsInvalid — BROKEN at the time of writing.
// Careless operator / infrastructure failure: the workflow's resolve step did
// not leave a readable <resolved-recipes-dir>/<recipe>.yaml (here the folder
// path is a plain file, so the read fails with ENOTDIR; a permission error or
// a truncated file behave the same). Runner.resolvedCheck turns any read
// error other than "does not exist" into a RecipeMatch with Match=false, and
// verifyItem then marks the honest, correctly signed bundle ❌ invalid — an
// infrastructure failure reported as tampering, which bundle-format.md's
// verdict rules forbid ("an infrastructure failure is never reported as
// invalid").
// Correct: verdict "error" (could not decide), not "invalid".
func TestAttack2ResolvedDirReadFailureIsInvalid(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 61, HeadSHA: sha('6'), BaseSHA: sha('b')}, h100Files(t))
	ws := map[string][]byte{"resolved": []byte("the resolve step failed before creating this folder\n")}
	r := runAction(t, srv, prEvent(t, srv, 61, sha('6'), ""), "pull_request", map[string]string{"resolved-recipes-dir": "resolved"}, ws)
	if r.outputs["verdict"] == "invalid" {
		t.Errorf("an unreadable resolved-recipes-dir file made an honest bundle invalid (exit %d, outputs %v)\n%s", r.code, r.outputs, r.stdout)
	}
}
