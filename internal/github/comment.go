package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// CommentAction says what [Client.UpsertStickyComment] did.
type CommentAction string

// The outcomes of an upsert.
const (
	CommentCreated   CommentAction = "created"
	CommentUpdated   CommentAction = "updated"
	CommentUnchanged CommentAction = "unchanged"
)

// UpsertStickyComment keeps one comment on issue or pull request number up
// to date: the comment whose body begins with marker (a hidden HTML comment
// such as "<!-- verify-evidence -->") and whose author is the token's own
// account. If body does not begin with marker, marker is prepended on a line
// of its own so that the next run finds the comment.
//
// The author is botLogin when given (e.g. "github-actions[bot]", or
// "<app-slug>[bot]" for an App token), compared case-insensitively.
// Otherwise the client asks GET /user once; GitHub refuses that to
// installation tokens such as GITHUB_TOKEN or an App's (403), and then any
// author of type "Bot" is accepted. Comments by other authors are never edited, even
// when they carry the marker. The comments are listed 100 per page and the
// oldest match wins.
//
// An existing comment is edited only when its body differs (action
// "updated"), else left alone ("unchanged"); without one a comment is
// created ("created"). A create that fails ambiguously (5xx or a network
// error: GitHub may have stored it anyway) is not blindly resent: after the
// backoff the comments are listed again and a comment carrying the marker
// is adopted. A duplicate remains possible only if GitHub stores the comment
// but does not list it yet; the next run then edits the oldest one. Bodies
// longer than GitHub's limit (65,536 characters) are refused by GitHub with
// a 422, surfaced as is; truncation is the caller's business.
func (c *Client) UpsertStickyComment(ctx context.Context, repo Repo, number int, marker, body string, botLogin string) (int64, CommentAction, error) {
	body, author, existing, err := c.sticky(ctx, fmt.Sprintf("upsert comment on #%d", number), repo, number, marker, body, botLogin)
	if err != nil {
		return 0, "", err
	}
	if existing != nil {
		return c.editIfChanged(ctx, repo, existing, body, CommentUpdated)
	}

	createOp := fmt.Sprintf("create comment on #%d", number)
	for attempt := 0; ; attempt++ {
		ic, _, err := c.gh.Issues.CreateComment(withoutAmbiguousRetry(ctx), repo.Owner, repo.Name, number, &gh.IssueComment{Body: gh.String(body)})
		if err == nil {
			return ic.GetID(), CommentCreated, nil
		}
		err = wrap(createOp, err)
		if !isAmbiguous(err) || attempt >= c.maxRetries {
			return 0, "", err
		}
		wait := backoff(attempt)
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		if wait > c.maxWait {
			return 0, "", err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return 0, "", &APIError{Op: createOp, Err: serr}
		}
		// The failed create may have been stored: adopt it rather than post
		// a second copy.
		existing, ferr := c.findSticky(ctx, repo, number, marker, author)
		if ferr != nil {
			return 0, "", ferr
		}
		if existing != nil {
			return c.editIfChanged(ctx, repo, existing, body, CommentCreated)
		}
	}
}

// UpdateStickyComment edits the sticky comment (found as UpsertStickyComment
// finds it) when one exists, and creates none otherwise: id 0 and action ""
// then. The action uses it to keep an earlier report from going stale when a
// PR no longer has anything to verify.
func (c *Client) UpdateStickyComment(ctx context.Context, repo Repo, number int, marker, body string, botLogin string) (int64, CommentAction, error) {
	body, _, existing, err := c.sticky(ctx, fmt.Sprintf("update comment on #%d", number), repo, number, marker, body, botLogin)
	if err != nil || existing == nil {
		return 0, "", err
	}
	return c.editIfChanged(ctx, repo, existing, body, CommentUpdated)
}

// sticky validates the arguments, makes sure body carries the marker, and
// finds the existing sticky comment (nil when there is none) and its author.
func (c *Client) sticky(ctx context.Context, op string, repo Repo, number int, marker, body, botLogin string) (string, commentMatcher, *gh.IssueComment, error) {
	if err := checkRepo(op, repo); err != nil {
		return "", commentMatcher{}, nil, err
	}
	if strings.TrimSpace(marker) == "" {
		return "", commentMatcher{}, nil, &APIError{Op: op, Err: errors.New("empty marker")}
	}
	if !strings.HasPrefix(body, marker) {
		body = marker + "\n" + body
	}
	author, err := c.commentAuthor(ctx, botLogin)
	if err != nil {
		return "", commentMatcher{}, nil, err
	}
	existing, err := c.findSticky(ctx, repo, number, marker, author)
	return body, author, existing, err
}

// editIfChanged edits ic to body unless it already has it; changed is the
// action reported after an edit.
func (c *Client) editIfChanged(ctx context.Context, repo Repo, ic *gh.IssueComment, body string, changed CommentAction) (int64, CommentAction, error) {
	if ic.GetBody() == body {
		if changed == CommentCreated {
			return ic.GetID(), CommentCreated, nil
		}
		return ic.GetID(), CommentUnchanged, nil
	}
	out, _, err := c.gh.Issues.EditComment(ctx, repo.Owner, repo.Name, ic.GetID(), &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return 0, "", wrap(fmt.Sprintf("edit comment %d", ic.GetID()), err)
	}
	return out.GetID(), changed, nil
}

// commentMatcher decides whether a comment's author is the token's account.
type commentMatcher struct {
	login  string // exact login (case-insensitive) when known
	anyBot bool   // otherwise: any author of type "Bot"
}

// matches reports whether ic is the sticky comment: by the token's account,
// and beginning with marker, as every body this client writes does (bodies
// without it get it prepended). A comment that merely quotes the marker —
// another workflow of the same account echoing a PR title, a bot ending its
// comment with user text — is never taken for it.
func (m commentMatcher) matches(ic *gh.IssueComment, marker string) bool {
	u := ic.GetUser()
	if !strings.HasPrefix(ic.GetBody(), marker) {
		return false
	}
	if m.login != "" {
		return strings.EqualFold(u.GetLogin(), m.login)
	}
	return m.anyBot && u.GetType() == "Bot"
}

// commentAuthor resolves who "we" are: botLogin, else GET /user (cached),
// else any bot.
func (c *Client) commentAuthor(ctx context.Context, botLogin string) (commentMatcher, error) {
	if botLogin != "" {
		return commentMatcher{login: botLogin}, nil
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if !c.loginDone {
		u, _, err := c.gh.Users.Get(ctx, "")
		switch err := wrap("get authenticated user", err); {
		case err == nil:
			c.login = u.GetLogin()
		case IsForbidden(err), IsNotFound(err), statusIs(err, http.StatusUnauthorized):
			// Installation tokens (GITHUB_TOKEN, App tokens) may not call
			// GET /user: fall back to "any bot".
		default:
			return commentMatcher{}, err
		}
		c.loginDone = true
	}
	if c.login != "" {
		return commentMatcher{login: c.login}, nil
	}
	return commentMatcher{anyBot: true}, nil
}

// findSticky returns the oldest comment on number that begins with marker and
// whose author matches, or nil.
func (c *Client) findSticky(ctx context.Context, repo Repo, number int, marker string, author commentMatcher) (*gh.IssueComment, error) {
	op := fmt.Sprintf("list comments of #%d", number)
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: listPerPage}}
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, repo.Owner, repo.Name, number, opt)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, ic := range comments {
			if author.matches(ic, marker) {
				return ic, nil
			}
		}
		if resp.NextPage == 0 || resp.NextPage <= opt.Page {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}

// statusIs reports whether err is an *APIError with status code.
func statusIs(err error, code int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == code
}
