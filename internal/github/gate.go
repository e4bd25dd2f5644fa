package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
)

// DefaultBranch returns repo's default branch (GET /repos/{owner}/{repo}).
func (c *Client) DefaultBranch(ctx context.Context, repo Repo) (string, error) {
	op := "get repository " + repo.String()
	if err := checkRepo(op, repo); err != nil {
		return "", err
	}
	r, _, err := c.gh.Repositories.Get(ctx, repo.Owner, repo.Name)
	if err != nil {
		return "", wrap(op, err)
	}
	b := r.GetDefaultBranch()
	if b == "" {
		return "", &APIError{Op: op, Err: errors.New("the repository has no default branch")}
	}
	return b, nil
}

// OpenPullRequestsByHead lists the open pull requests of repo whose head is
// branch headBranch of an account headOwner (GET /repos/{owner}/{repo}/pulls
// ?state=open&head=owner:branch, all pages). Unlike the commit → pulls
// endpoint it finds PRs from forks, whose head commit exists only in the
// fork. Callers must still check each PR's head SHA and repository.
func (c *Client) OpenPullRequestsByHead(ctx context.Context, repo Repo, headOwner, headBranch string) ([]PullRequest, error) {
	op := fmt.Sprintf("list open PRs of %s:%s", headOwner, headBranch)
	if err := checkRepo(op, repo); err != nil {
		return nil, err
	}
	if headOwner == "" || headBranch == "" || strings.ContainsAny(headOwner, ":/") {
		return nil, &APIError{Op: op, Err: errors.New("head owner and branch must be non-empty (owner without ':' or '/')")}
	}
	var out []PullRequest
	opt := &gh.PullRequestListOptions{State: "open", Head: headOwner + ":" + headBranch, ListOptions: gh.ListOptions{PerPage: listPerPage}}
	for {
		prs, resp, err := c.gh.PullRequests.List(ctx, repo.Owner, repo.Name, opt)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, pr := range prs {
			out = append(out, convertPR(pr))
		}
		if resp.NextPage == 0 || resp.NextPage <= opt.Page {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// StatusState is a commit status state.
type StatusState string

// The states GitHub accepts.
const (
	StatusSuccess StatusState = "success"
	StatusFailure StatusState = "failure"
	StatusError   StatusState = "error"
	StatusPending StatusState = "pending"
)

// MaxStatusDescription is GitHub's limit on a status description, in characters.
const MaxStatusDescription = 140

// CommitStatus is one commit status to post.
type CommitStatus struct {
	State StatusState
	// Context names the check ("recipe-evidence"); branch protection
	// requires it by this name.
	Context string
	// Description is shortened to MaxStatusDescription characters.
	Description string
	// TargetURL links the run that decided it (empty: none).
	TargetURL string
}

// CreateStatus posts status on commit sha of repo
// (POST /repos/{owner}/{repo}/statuses/{sha}). It needs statuses: write.
func (c *Client) CreateStatus(ctx context.Context, repo Repo, sha string, s CommitStatus) error {
	op := fmt.Sprintf("set status %q on %s", s.Context, sha)
	if err := checkRepo(op, repo); err != nil {
		return err
	}
	if err := checkSHA(op, sha); err != nil {
		return err
	}
	switch s.State {
	case StatusSuccess, StatusFailure, StatusError, StatusPending:
	default:
		return &APIError{Op: op, Err: fmt.Errorf("invalid state %q", s.State)}
	}
	if s.Context == "" {
		return &APIError{Op: op, Err: errors.New("empty context")}
	}
	desc := s.Description
	if utf8.RuneCountInString(desc) > MaxStatusDescription {
		r := []rune(desc)
		desc = string(r[:MaxStatusDescription-1]) + "…"
	}
	rs := &gh.RepoStatus{State: gh.String(string(s.State)), Context: gh.String(s.Context), Description: gh.String(desc)}
	if s.TargetURL != "" {
		rs.TargetURL = gh.String(s.TargetURL)
	}
	_, _, err := c.gh.Repositories.CreateStatus(ctx, repo.Owner, repo.Name, sha, rs)
	return wrap(op, err)
}

// BranchHead returns the commit branch points to
// (GET /repos/{owner}/{repo}/git/ref/heads/{branch}). Reading a tree at that
// SHA, rather than at the bare name, cannot pick a tag of the same name.
func (c *Client) BranchHead(ctx context.Context, repo Repo, branch string) (string, error) {
	op := "get branch " + branch
	if err := checkRepo(op, repo); err != nil {
		return "", err
	}
	if branch == "" || strings.ContainsAny(branch, "?#%") || strings.HasPrefix(branch, "/") {
		return "", &APIError{Op: op, Err: errors.New("invalid branch name")}
	}
	ref, _, err := c.gh.Git.GetRef(ctx, repo.Owner, repo.Name, "heads/"+branch)
	if err != nil {
		return "", wrap(op, err)
	}
	sha := ref.GetObject().GetSHA()
	if err := checkSHA(op, sha); err != nil {
		return "", err
	}
	if t := ref.GetObject().GetType(); t != "commit" {
		return "", &APIError{Op: op, Err: fmt.Errorf("refs/heads/%s points to a %s, not a commit", branch, t)}
	}
	return sha, nil
}
