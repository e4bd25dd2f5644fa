package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// IssueAction says what [Client.KeepIssue] did.
type IssueAction string

// The outcomes of keeping an issue.
const (
	IssueCreated   IssueAction = "created"
	IssueUpdated   IssueAction = "updated"
	IssueReopened  IssueAction = "reopened"
	IssueClosed    IssueAction = "closed"
	IssueUnchanged IssueAction = "unchanged"
	// IssueNone: nothing to report and no open issue: nothing was written.
	IssueNone IssueAction = "none"
)

// MaxIssuePages bounds the pages of issues (100 each, newest first) looked
// through for the kept issue, once among the issues with its label and, when
// none has it, once among all issues (an issue whose label was dropped);
// past them a new one is created.
const MaxIssuePages = 20

// KeepIssue keeps one issue of repo up to date: the issue, open or closed,
// whose body begins with marker (a hidden HTML comment), whose title is title and whose author is the
// token's own account (found as [Client.UpsertStickyComment] finds its
// comment: botLogin, else GET /user, else any bot). Issues by other authors
// are never touched, whatever they carry.
//
// The issue is created with label, and looked for first among the issues
// with that label (GitHub's labels filter, open and closed), so it is found
// however many issues are newer; only when none of those is it, among the
// newest MaxIssuePages pages of all issues (GitHub drops the labels of an
// issue created by a token without push access).
//
// With open true (there is something to report) the issue gets title and
// body: it is created when there is none, reopened when closed, edited when
// its title or body differs, and left alone otherwise (no edit when nothing
// changed). With open false (all is fine) an open issue gets body and is
// closed, and nothing else is written. It returns the issue's number (0
// when there is none) and what was done.
func (c *Client) KeepIssue(ctx context.Context, repo Repo, marker, title, label, body string, open bool, botLogin string) (int, IssueAction, error) {
	op := "keep issue " + fmt.Sprintf("%q", title)
	if err := checkRepo(op, repo); err != nil {
		return 0, "", err
	}
	if strings.TrimSpace(marker) == "" {
		return 0, "", &APIError{Op: op, Err: errors.New("empty marker")}
	}
	if !strings.HasPrefix(body, marker) {
		body = marker + "\n" + body
	}
	author, err := c.commentAuthor(ctx, botLogin)
	if err != nil {
		return 0, "", err
	}
	existing, err := c.findIssue(ctx, repo, marker, title, label, author)
	if err != nil {
		return 0, "", err
	}
	switch {
	case existing == nil && !open:
		return 0, IssueNone, nil
	case existing == nil:
		req := &gh.IssueRequest{Title: gh.String(title), Body: gh.String(body)}
		if label != "" {
			req.Labels = &[]string{label}
		}
		is, _, err := c.gh.Issues.Create(ctx, repo.Owner, repo.Name, req)
		if err != nil {
			return 0, "", wrap("create issue", err)
		}
		return is.GetNumber(), IssueCreated, nil
	}
	n := existing.GetNumber()
	wasOpen := existing.GetState() == "open"
	req := &gh.IssueRequest{}
	action := IssueUnchanged
	switch {
	case open:
		if existing.GetTitle() != title {
			req.Title = gh.String(title)
			action = IssueUpdated
		}
		if existing.GetBody() != body {
			req.Body = gh.String(body)
			action = IssueUpdated
		}
		if !wasOpen {
			req.State = gh.String("open")
			action = IssueReopened
		}
	case wasOpen:
		req.State = gh.String("closed")
		if existing.GetBody() != body {
			req.Body = gh.String(body)
		}
		action = IssueClosed
	default:
		return n, IssueUnchanged, nil // closed, and nothing to report
	}
	if action == IssueUnchanged {
		return n, action, nil
	}
	if _, _, err := c.gh.Issues.Edit(ctx, repo.Owner, repo.Name, n, req); err != nil {
		return 0, "", wrap(fmt.Sprintf("edit issue #%d", n), err)
	}
	return n, action, nil
}

// findIssue returns the newest issue (open or closed, not a pull request)
// whose body begins with marker, whose title is title and whose author
// matches, or nil: an issue (or another bot's) that merely quotes the marker
// is never taken for it. It looks among the issues labelled label first,
// then among all issues; with a known login, only at that author's.
func (c *Client) findIssue(ctx context.Context, repo Repo, marker, title, label string, author commentMatcher) (*gh.Issue, error) {
	if label != "" {
		is, err := c.findIssueIn(ctx, repo, marker, title, []string{label}, author)
		if is != nil || err != nil {
			return is, err
		}
	}
	return c.findIssueIn(ctx, repo, marker, title, nil, author)
}

// findIssueIn looks through MaxIssuePages pages of the issues with labels.
func (c *Client) findIssueIn(ctx context.Context, repo Repo, marker, title string, labels []string, author commentMatcher) (*gh.Issue, error) {
	opt := &gh.IssueListByRepoOptions{State: "all", Labels: labels, Creator: author.login, ListOptions: gh.ListOptions{PerPage: listPerPage}}
	for page := 0; page < MaxIssuePages; page++ {
		issues, resp, err := c.gh.Issues.ListByRepo(ctx, repo.Owner, repo.Name, opt)
		if err != nil {
			return nil, wrap("list issues", err)
		}
		for _, is := range issues {
			if !is.IsPullRequest() && strings.HasPrefix(is.GetBody(), marker) && is.GetTitle() == title && author.matchesUser(is.GetUser()) {
				return is, nil
			}
		}
		if resp.NextPage == 0 || resp.NextPage <= opt.Page {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
	return nil, nil
}

// matchesUser reports whether u is the token's account.
func (m commentMatcher) matchesUser(u *gh.User) bool {
	if m.login != "" {
		return strings.EqualFold(u.GetLogin(), m.login)
	}
	return m.anyBot && u.GetType() == "Bot"
}
