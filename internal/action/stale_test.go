package action_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/action"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// Issue 12, "Never a stale verdict": a run that cannot decide the PR's head
// rewrites the sticky comment instead of leaving an earlier verdict standing.

const staleVerified = "<!-- aicr/verify-evidence: sticky report -->\n## Recipe evidence\n\n✅ **Evidence verified** for 1 recipe(s).\n"

// wantUndecided checks that a run ended "could not decide" (exit 3, verdict
// error) and that the one sticky comment now says so for head.
func wantUndecided(t *testing.T, srv *githubtest.Server, pr int, head string, r run, reason string) {
	t.Helper()
	if r.code != 3 || r.outputs["verdict"] != "error" {
		t.Fatalf("exit %d, outputs %v, want 3 and verdict=error\n%s", r.code, r.outputs, r.stdout)
	}
	cs := stickyComments(srv, pr)
	if len(cs) != 1 {
		t.Fatalf("want the one sticky comment, got %+v", srv.Fake.Comments(e2eRepo, pr))
	}
	body := cs[0].Body
	if strings.Contains(body, "✅") || !strings.Contains(body, "could not verify head") || !strings.Contains(body, head) || !strings.Contains(body, reason) {
		t.Fatalf("the comment was not rewritten to \"could not verify head %s: …%s…\":\n%s", head, reason, body)
	}
	if !strings.Contains(r.summary, "could not verify head") {
		t.Errorf("the job summary does not say the head could not be verified:\n%s", r.summary)
	}
	if !strings.Contains(r.stdout, "::error::") {
		t.Errorf("no error annotation:\n%s", r.stdout)
	}
}

// (a) A changed path with a backslash or a control character outside the
// recipe and evidence folders is ignored: it never fails the plan.
func TestActionUnsafePathOutsideRecipesIgnored(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddComment(e2eRepo, 41, githubtest.ActionsBot, staleVerified)
	files := append(h100Files(t),
		githubtest.File{Path: `docs/a\b.md`, Status: "added", Content: []byte("backslash\n")},
		githubtest.File{Path: "docs/tab\there.md", Status: "added", Content: []byte("tab\n")},
		githubtest.File{Path: "notes/\x1b[31mred.yaml", Status: "added", Content: []byte("a: 1\n")},
	)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 41, HeadSHA: sha('e'), BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, 41, sha('e'), ""), "pull_request", nil)
	if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["passed"] != "1" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	if cs := stickyComments(srv, 41); len(cs) != 1 || !strings.Contains(cs[0].Body, "h100-eks-ubuntu-training") {
		t.Fatalf("comment: %+v", cs)
	}
}

// (b) The same inside the recipe folder fails the plan: the run cannot decide,
// and the "✅ Evidence verified" of an earlier head is rewritten.
func TestActionUnsafeRecipePathRewritesComment(t *testing.T) {
	for _, tc := range []struct{ name, path, reason string }{
		{"backslash", `recipes\evil.yaml`, "path has a backslash"},
		{"control character", "recipes/bell\a.yaml", "path has control character U+0007"},
		{"control character in the evidence folder", "recipes/evidence/x\x1b[2J/evidence-bundle.tar.gz", "path has control character U+001B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Fake.AddComment(e2eRepo, 42, githubtest.ActionsBot, staleVerified)
			files := append(h100Files(t), githubtest.File{Path: tc.path, Status: "added", Content: []byte("kind: RecipeResult\n")})
			srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 42, HeadSHA: sha('f'), BaseSHA: sha('b')}, files)
			r := runAction(t, srv, prEvent(t, srv, 42, sha('f'), ""), "pull_request", nil)
			wantUndecided(t, srv, 42, sha('f'), r, tc.reason)
		})
	}
}

// (b) More than diff.MaxScannedFiles recipe files at the head.
func TestActionTooManyRecipeFilesRewritesComment(t *testing.T) {
	h100 := h100Files(t)
	tree := []githubtest.TreeFile{{Path: h100[0].Path, Content: h100[0].Content}, {Path: h100[1].Path, Content: h100[1].Content}}
	for i := 0; i <= diff.MaxScannedFiles; i++ {
		// One blob for all: the head tree's cache reads it once.
		tree = append(tree, githubtest.TreeFile{Path: fmt.Sprintf("recipes/gen/r-%05d.yaml", i), Content: []byte("# generated\n")})
	}
	srv := newServer(t)
	srv.Fake.AddComment(e2eRepo, 43, githubtest.ActionsBot, staleVerified)
	srv.Fake.SetTree(e2eRepo, sha('0'), tree)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 43, HeadSHA: sha('0'), BaseSHA: sha('b')}, []githubtest.File{{Path: h100[1].Path, Status: "modified", Content: h100[1].Content}})
	r := runAction(t, srv, prEvent(t, srv, 43, sha('0'), ""), "pull_request", nil)
	wantUndecided(t, srv, 43, sha('0'), r, fmt.Sprintf("more than %d recipe files", diff.MaxScannedFiles))
}

// (c) Any failure once the PR is known — here the API refuses the head tree —
// rewrites an existing comment; the comment input says whether a new one is posted.
func TestActionAPIErrorRewritesComment(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     string
		existing bool
		want     string // "undecided", "none", "stale"
	}{
		{"auto rewrites the existing comment", "auto", true, "undecided"},
		{"auto posts no new comment", "auto", false, "none"},
		{"always posts one", "always", false, "undecided"},
		{"always rewrites the existing comment", "always", true, "undecided"},
		{"never leaves it alone", "never", true, "stale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h100 := h100Files(t)
			srv := newServer(t)
			if tc.existing {
				srv.Fake.AddComment(e2eRepo, 44, githubtest.ActionsBot, staleVerified)
			}
			srv.Fake.SetTree(e2eRepo, sha('1'), []githubtest.TreeFile{{Path: h100[0].Path, Content: h100[0].Content}, {Path: h100[1].Path, Content: h100[1].Content}})
			srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 44, HeadSHA: sha('1'), BaseSHA: sha('b')}, []githubtest.File{{Path: h100[1].Path, Status: "modified", Content: h100[1].Content}})
			srv.Fake.InjectFault(githubtest.Fault{Endpoint: githubtest.EndpointGetTree, Status: 404, Times: -1})
			r := runAction(t, srv, prEvent(t, srv, 44, sha('1'), ""), "pull_request", map[string]string{"comment": tc.mode})
			switch tc.want {
			case "undecided":
				wantUndecided(t, srv, 44, sha('1'), r, "list the PR head tree")
			case "none":
				if r.code != 3 || r.outputs["verdict"] != "error" || len(srv.Fake.Comments(e2eRepo, 44)) != 0 {
					t.Fatalf("exit %d, outputs %v, comments %+v\n%s", r.code, r.outputs, srv.Fake.Comments(e2eRepo, 44), r.stdout)
				}
			case "stale":
				cs := srv.Fake.Comments(e2eRepo, 44)
				if r.code != 3 || r.outputs["verdict"] != "error" || len(cs) != 1 || cs[0].Body != staleVerified {
					t.Fatalf("exit %d, outputs %v, comments %+v\n%s", r.code, r.outputs, cs, r.stdout)
				}
			}
		})
	}
}

// (d) Stage 2 fails closed when the run's head repository is unknown: it
// cannot check that the PR it finds is the one the run was about.
func TestActionWorkflowRunUnknownHeadRepoFailsClosed(t *testing.T) {
	for _, tc := range []struct{ name, headRepo string }{
		{"no head_repository", ``},
		{"null head_repository", `,"head_repository":null`},
		{"head_repository without owner", `,"head_repository":{"full_name":"forker/recipes"}`},
		{"empty owner login", `,"head_repository":{"full_name":"forker/recipes","owner":{"login":""}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 45, HeadSHA: sha('9'), BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
			event := []byte(`{"action":"completed","workflow_run":{"head_sha":"` + sha('9') + `","event":"pull_request","conclusion":"success"` + tc.headRepo + `}}`)
			r := runAction(t, srv, event, "workflow_run", map[string]string{"mode": "comment"})
			if r.code != 3 || r.outputs["verdict"] != "error" || !strings.Contains(r.stdout, "::error::") || !strings.Contains(r.stdout, "head repository") {
				t.Fatalf("exit %d, outputs %v, want exit 3, verdict=error and an error naming the head repository\n%s", r.code, r.outputs, r.stdout)
			}
			if cs := srv.Fake.Comments(e2eRepo, 45); len(cs) != 0 {
				t.Fatalf("commented without knowing the head repository: %+v", cs)
			}
		})
	}
}

// The undecided report escapes its reason like every other untrusted string:
// a hostile path in an error message cannot add elements, links or mentions.
func TestUndecidedBodyEscapes(t *testing.T) {
	tg := action.Target{Repo: github.Repo{Owner: "acme", Name: "recipes"}, PR: &github.PullRequest{Number: 1, HeadSHA: sha('a')}}
	reason := "changed path \"recipes/<img src=x onerror=alert(1)>\\n| a | b |\n## h\n[x](https://evil.example) @org/team #1 `code`.yaml\": path has a backslash"
	body := action.UndecidedBody(tg, "https://github.com/acme/recipes/actions/runs/1", reason)
	for _, bad := range []string{"<img", "](https", "@org", " #1 ", "`code`", "\n| a", "\n## h"} {
		if strings.Contains(body, bad) {
			t.Errorf("the body holds %q unescaped:\n%s", bad, body)
		}
	}
	if !strings.HasPrefix(body, "<!-- aicr/verify-evidence: sticky report -->\n") || !strings.Contains(body, "could not verify head <code>"+sha('a')+"</code>: ") {
		t.Errorf("body:\n%s", body)
	}
}
