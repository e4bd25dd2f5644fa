package github_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

const marker = "<!-- verify-evidence:report -->"

func TestStickyCommentLifecycle(t *testing.T) {
	s := newServer(t)
	addPR(s, nil)
	alice := githubtest.User{Login: "alice", Type: "User"}
	// Someone quoting the marker: never ours to edit.
	quoted := s.AddComment(testRepo.String(), 7, alice, "Look at this: "+marker)
	// Push our comment past the first page of 100.
	for i := range 150 {
		s.AddComment(testRepo.String(), 7, githubtest.User{Login: fmt.Sprintf("user%d", i%3)}, fmt.Sprintf("comment %d", i))
	}
	c, _ := newClient(t, s)
	ctx := context.Background()
	body1 := marker + "\n## Evidence report\n\nAll 3 recipes verified.\n"

	id, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, body1, "github-actions[bot]")
	if err != nil || action != github.CommentCreated || id == 0 {
		t.Fatalf("first run: id=%d action=%s err=%v", id, action, err)
	}
	if got := calls(s, githubtest.EndpointListComments); got != 2 {
		t.Errorf("first run listed %d pages, want 2 (151 comments)", got)
	}

	body2 := strings.Replace(body1, "All 3", "2 of 3", 1)
	id2, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, body2, "github-actions[bot]")
	if err != nil || action != github.CommentUpdated || id2 != id {
		t.Fatalf("second run: id=%d action=%s err=%v", id2, action, err)
	}

	s.ResetCounts()
	id3, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, body2, "github-actions[bot]")
	if err != nil || action != github.CommentUnchanged || id3 != id {
		t.Fatalf("third run: id=%d action=%s err=%v", id3, action, err)
	}
	if got := calls(s, githubtest.EndpointUpdateComment) + calls(s, githubtest.EndpointCreateComment); got != 0 {
		t.Errorf("unchanged body sent %d writes", got)
	}
	if got := calls(s, githubtest.EndpointListComments); got != 2 {
		t.Errorf("third run listed %d pages, want 2", got)
	}

	var ours []githubtest.Comment
	for _, cm := range s.Comments(testRepo.String(), 7) {
		if cm.ID == quoted && (cm.Body != "Look at this: "+marker || cm.Edits != 0) {
			t.Errorf("alice's comment was modified: %+v", cm)
		}
		if strings.Contains(cm.Body, marker) && cm.User.Login == githubtest.ActionsBot.Login {
			ours = append(ours, cm)
		}
	}
	if len(ours) != 1 || ours[0].ID != id || ours[0].Body != body2 || ours[0].Edits != 1 {
		t.Errorf("bot comments with the marker: %+v", ours)
	}
	if got := len(s.Comments(testRepo.String(), 7)); got != 152 {
		t.Errorf("%d comments, want 152", got)
	}
}

func TestStickyCommentAppendsMarker(t *testing.T) {
	s := newServer(t)
	addPR(s, nil)
	c, _ := newClient(t, s)
	ctx := context.Background()
	id, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, "report\n", "github-actions[bot]")
	if err != nil || action != github.CommentCreated {
		t.Fatal(action, err)
	}
	got := s.Comments(testRepo.String(), 7)
	if len(got) != 1 || got[0].Body != marker+"\nreport\n" {
		t.Fatalf("comments = %+v", got)
	}
	if id2, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, "report\n", "github-actions[bot]"); err != nil || action != github.CommentUnchanged || id2 != id {
		t.Errorf("rerun: %d %s %v", id2, action, err)
	}
	if _, _, err := c.UpsertStickyComment(ctx, testRepo, 7, " ", "x", ""); err == nil {
		t.Error("an empty marker was accepted")
	}
}

// TestStickyCommentIdentity covers the author check: an explicit bot login,
// GET /user refused to installation tokens (any bot then), and a user token.
func TestStickyCommentIdentity(t *testing.T) {
	ctx := context.Background()
	otherBot := githubtest.User{Login: "other-app[bot]", Type: "Bot"}

	t.Run("explicit login ignores other bots", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.AddComment(testRepo.String(), 7, otherBot, marker+" old")
		c, _ := newClient(t, s)
		_, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" new", "github-actions[bot]")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("action=%s err=%v", action, err)
		}
		if calls(s, githubtest.EndpointGetUser) != 0 {
			t.Error("GET /user sent although the login was given")
		}
	})

	t.Run("installation token falls back to any bot", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		c, _ := newClient(t, s)
		id, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" v1", "")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("create: action=%s err=%v", action, err)
		}
		id2, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" v2", "")
		if err != nil || action != github.CommentUpdated || id2 != id {
			t.Fatalf("update: id=%d action=%s err=%v", id2, action, err)
		}
		if got := calls(s, githubtest.EndpointGetUser); got != 1 {
			t.Errorf("GET /user sent %d times, want 1 (cached)", got)
		}
	})

	t.Run("App token keeps one comment; a bot quoting the marker is not it", func(t *testing.T) {
		app := githubtest.User{Login: "evidence-app[bot]", Type: "Bot"}
		s := newServer(t, githubtest.WithInstallationBot(app))
		addPR(s, nil)
		quote := s.AddComment(testRepo.String(), 7, otherBot, "CI summary: a report said\n> "+marker+"\nend")
		c, _ := newClient(t, s)
		id, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+"\nv1", "")
		if err != nil || action != github.CommentCreated || id == quote {
			t.Fatalf("create: id=%d action=%s err=%v", id, action, err)
		}
		c2, _ := newClient(t, s) // the next run: a new client, no cached login
		id2, action, err := c2.UpsertStickyComment(ctx, testRepo, 7, marker, marker+"\nv2", "")
		if err != nil || action != github.CommentUpdated || id2 != id {
			t.Fatalf("second run: id=%d action=%s err=%v", id2, action, err)
		}
		var mine int
		for _, cm := range s.Comments(testRepo.String(), 7) {
			if cm.User.Login == app.Login {
				mine++
			}
			if cm.ID == quote && cm.Edits != 0 {
				t.Errorf("the quoting bot's comment was edited: %+v", cm)
			}
		}
		if mine != 1 {
			t.Errorf("%d comments by %s, want 1", mine, app.Login)
		}
	})

	t.Run("user token matches its login", func(t *testing.T) {
		me := githubtest.User{Login: "release-bot-user", Type: "User"}
		s := newServer(t, githubtest.WithUserToken(me))
		addPR(s, nil)
		s.AddComment(testRepo.String(), 7, githubtest.ActionsBot, marker+" v0")
		c, _ := newClient(t, s)
		_, action, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" v1", "")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("action=%s err=%v", action, err)
		}
		cs := s.Comments(testRepo.String(), 7)
		if len(cs) != 2 || cs[0].Body != marker+" v0" || cs[1].User.Login != me.Login {
			t.Errorf("comments = %+v", cs)
		}
	})
}

func TestStickyCommentReadOnly(t *testing.T) {
	s := newServer(t, githubtest.WithReadOnly())
	addPR(s, nil)
	c, sl := newClient(t, s)
	ctx := context.Background()

	_, _, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" report", "github-actions[bot]")
	var ae *github.APIError
	if !github.IsForbidden(err) || !errors.As(err, &ae) || !ae.ReadOnly || ae.RateLimited || github.IsTransient(err) {
		t.Fatalf("want a read-only 403, got %#v", err)
	}
	if ae.AcceptedPermissions != "issues=write; pull_requests=write" {
		t.Errorf("accepted permissions %q", ae.AcceptedPermissions)
	}
	wantOneLine(t, err, "github: create comment on #7: 403 Resource not accessible by integration")
	if got := calls(s, githubtest.EndpointCreateComment); got != 1 {
		t.Errorf("POST sent %d times, want 1 (no retry of a 403)", got)
	}
	if len(sl.get()) != 0 {
		t.Errorf("slept %v", sl.get())
	}

	// An existing comment cannot be edited either.
	s.SetReadOnly(false)
	if _, _, err := c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" v1", "github-actions[bot]"); err != nil {
		t.Fatal(err)
	}
	s.SetReadOnly(true)
	_, _, err = c.UpsertStickyComment(ctx, testRepo, 7, marker, marker+" v2", "github-actions[bot]")
	if !github.IsForbidden(err) || !errors.As(err, &ae) || !ae.ReadOnly {
		t.Fatalf("edit: want a read-only 403, got %v", err)
	}
	wantOneLine(t, err, "github: edit comment ")
}

func TestStickyCommentTooLong(t *testing.T) {
	s := newServer(t)
	addPR(s, nil)
	c, _ := newClient(t, s)
	body := marker + strings.Repeat("é", githubtest.MaxCommentChars) // runes, not bytes
	_, _, err := c.UpsertStickyComment(context.Background(), testRepo, 7, marker, body, "github-actions[bot]")
	var ae *github.APIError
	if !errors.As(err, &ae) || ae.Status != 422 || github.IsTransient(err) {
		t.Fatalf("want 422, got %v", err)
	}
	wantOneLine(t, err, "github: create comment on #7: 422 Validation Failed: body is too long (maximum is 65536 characters)")
	if got := calls(s, githubtest.EndpointCreateComment); got != 1 {
		t.Errorf("POST sent %d times, want 1", got)
	}
	// Exactly at the limit is accepted.
	ok := marker + strings.Repeat("é", githubtest.MaxCommentChars-len(marker))
	if _, action, err := c.UpsertStickyComment(context.Background(), testRepo, 7, marker, ok, "github-actions[bot]"); err != nil || action != github.CommentCreated {
		t.Errorf("65536 characters: %s %v", action, err)
	}
}
