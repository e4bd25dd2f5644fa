package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Limits of the list-pull-request-files endpoint: GitHub returns at most
// 3,000 files, at most 100 per page.
const (
	MaxListedFiles = 3000
	filesPerPage   = 100
	maxFilePages   = MaxListedFiles / filesPerPage
	listPerPage    = 100
)

// PullRequest is what the action needs of a pull request.
type PullRequest struct {
	Number int
	Title  string
	// HeadSHA and HeadRef are the head commit and branch; HeadRepo the
	// repository the head branch lives in (empty when it was deleted).
	HeadSHA, HeadRef string
	HeadRepo         Repo
	// BaseSHA and BaseRef are the base commit and branch; BaseRepo the
	// repository the pull request targets.
	BaseSHA, BaseRef string
	BaseRepo         Repo
	// State is "open" or "closed".
	State string
	// Fork reports that the head repository differs from the base
	// repository (or was deleted): the pull request comes from a fork, and
	// a pull_request workflow's token is read-only.
	Fork bool
}

// PullRequest fetches pull request number of repo.
func (c *Client) PullRequest(ctx context.Context, repo Repo, number int) (*PullRequest, error) {
	op := fmt.Sprintf("get PR #%d", number)
	if err := checkRepo(op, repo); err != nil {
		return nil, err
	}
	pr, _, err := c.gh.PullRequests.Get(ctx, repo.Owner, repo.Name, number)
	if err != nil {
		return nil, wrap(op, err)
	}
	p := convertPR(pr)
	return &p, nil
}

// convertPR maps go-github's pull request to ours.
func convertPR(pr *gh.PullRequest) PullRequest {
	head, base := pr.GetHead(), pr.GetBase()
	p := PullRequest{
		Number:   pr.GetNumber(),
		Title:    pr.GetTitle(),
		HeadSHA:  head.GetSHA(),
		HeadRef:  head.GetRef(),
		HeadRepo: repoOf(head.GetRepo()),
		BaseSHA:  base.GetSHA(),
		BaseRef:  base.GetRef(),
		BaseRepo: repoOf(base.GetRepo()),
		State:    pr.GetState(),
	}
	p.Fork = p.HeadRepo == (Repo{}) || !strings.EqualFold(p.HeadRepo.String(), p.BaseRepo.String())
	return p
}

// repoOf returns the owner/name of r, empty for nil.
func repoOf(r *gh.Repository) Repo {
	if r == nil {
		return Repo{}
	}
	if owner, name, ok := strings.Cut(r.GetFullName(), "/"); ok {
		return Repo{Owner: owner, Name: name}
	}
	return Repo{Owner: r.GetOwner().GetLogin(), Name: r.GetName()}
}

// FileStatus is a changed file's status as GitHub reports it.
type FileStatus string

// The statuses of GitHub's diff entries.
const (
	StatusAdded     FileStatus = "added"
	StatusModified  FileStatus = "modified"
	StatusRemoved   FileStatus = "removed"
	StatusRenamed   FileStatus = "renamed"
	StatusCopied    FileStatus = "copied"
	StatusChanged   FileStatus = "changed" // mode change only
	StatusUnchanged FileStatus = "unchanged"
)

// ChangedFile is one file of a pull request's diff.
type ChangedFile struct {
	// Path is the file's path at the head; PreviousPath its path at the
	// base for renamed (and copied) files.
	Path, PreviousPath string
	Status             FileStatus
	// BlobSHA is the file's blob at the head (for removed files, the blob
	// that was removed); empty when GitHub gives none (e.g. submodules).
	BlobSHA string
}

// FileList is the changed files of a pull request.
type FileList struct {
	Files []ChangedFile
	// Truncated reports that GitHub's 3,000-file cap was reached: the list
	// may be incomplete (a pull request of exactly 3,000 files is reported
	// as truncated too, there is no way to tell).
	Truncated bool
}

// PullRequestFiles lists the changed files of pull request number (100 per
// page, following the Link header, at most 30 pages).
func (c *Client) PullRequestFiles(ctx context.Context, repo Repo, number int) (*FileList, error) {
	op := fmt.Sprintf("list files of PR #%d", number)
	if err := checkRepo(op, repo); err != nil {
		return nil, err
	}
	list := &FileList{}
	opt := &gh.ListOptions{PerPage: filesPerPage}
	for page := 1; ; page++ {
		files, resp, err := c.gh.PullRequests.ListFiles(ctx, repo.Owner, repo.Name, number, opt)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, f := range files {
			list.Files = append(list.Files, ChangedFile{
				Path:         f.GetFilename(),
				PreviousPath: f.GetPreviousFilename(),
				Status:       FileStatus(f.GetStatus()),
				BlobSHA:      f.GetSHA(),
			})
		}
		if resp.NextPage == 0 || resp.NextPage <= opt.Page {
			break
		}
		if page >= maxFilePages {
			list.Truncated = true
			break
		}
		opt.Page = resp.NextPage
	}
	if len(list.Files) >= MaxListedFiles {
		list.Truncated = true
	}
	return list, nil
}
