package githubtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Scenario is the JSON description of a fake's initial state, read by the
// fakegithub tool (and usable by tests). Example:
//
//	{
//	  "token": "test-token",
//	  "read_only": false,
//	  "bot": {"login": "github-actions[bot]", "type": "Bot"},
//	  "pull_requests": [{
//	    "repo": "acme/recipes", "number": 7, "title": "Add H100 recipe",
//	    "head_sha": "…40 hex…", "head_ref": "h100", "head_repo": "contributor/recipes",
//	    "base_sha": "…40 hex…", "base_ref": "main",
//	    "files": [
//	      {"path": "recipes/h100.yaml", "status": "added", "content_file": "h100.yaml"},
//	      {"path": "recipes/new.yaml", "status": "renamed", "previous_path": "recipes/old.yaml", "content": "name: x\n"},
//	      {"path": "recipes/gone.yaml", "status": "removed", "content": ""}
//	    ],
//	    "tree": [{"path": "recipes/h100.yaml", "content_file": "h100.yaml"}],
//	    "base_tree": [{"path": "recipes/evidence/policy.yaml", "content_file": "/abs/policy.yaml"}],
//	    "comments": [{"user": {"login": "alice", "type": "User"}, "body": "LGTM"}]
//	  }],
//	  "faults": [{"endpoint": "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", "status": 502, "times": 1}]
//	}
//
// A file's bytes come from "content" (text) or "content_file" (a path
// relative to the scenario file, or absolute); "head_repo" other than "repo"
// makes a fork pull request (the fork is created; blobs are shared by the
// fork network as on GitHub); "tree" (optional) sets the head commit's tree,
// which otherwise holds the files that are not removed; "base_tree"
// (optional) sets the base commit's tree, "default_branch_tree" (optional)
// the default branch's. Tree entries may give "mode"
// (100644, 100755, 120000 symlink with the target as content, 160000
// submodule with "sha").
type Scenario struct {
	// Token, when set, is required in the Authorization header.
	Token string `json:"token,omitempty"`
	// ReadOnly refuses every write with 403 (fork pull request token).
	ReadOnly bool `json:"read_only,omitempty"`
	// Bot is the installation token's account (default github-actions[bot]);
	// ignored when UserToken is set.
	Bot *User `json:"bot,omitempty"`
	// UserToken makes the token a user's: GET /user answers it and writes
	// are by it.
	UserToken *User `json:"user_token,omitempty"`
	// Prefix overrides the API path prefix (default "/api/v3"); "/" serves
	// at the root.
	Prefix *string `json:"prefix,omitempty"`
	// Private lists repositories ("owner/name") to mark private.
	Private      map[string]bool `json:"private,omitempty"`
	PullRequests []ScenarioPR    `json:"pull_requests"`
	Faults       []Fault         `json:"faults,omitempty"`

	dir string // directory of content files
}

// ScenarioPR is a pull request of a [Scenario].
type ScenarioPR struct {
	PR
	Repo     string         `json:"repo"`
	Files    []ScenarioFile `json:"files"`
	Tree     []ScenarioFile `json:"tree,omitempty"`
	BaseTree []ScenarioFile `json:"base_tree,omitempty"`
	// DefaultBranchTree sets the tree of the repository's default branch
	// (where the action reads the policy and the pinned trusted root).
	DefaultBranchTree []ScenarioFile    `json:"default_branch_tree,omitempty"`
	Comments          []ScenarioComment `json:"comments,omitempty"`
}

// ScenarioFile is a changed file or a tree entry of a [Scenario].
type ScenarioFile struct {
	Path         string  `json:"path"`
	Status       string  `json:"status,omitempty"`
	PreviousPath string  `json:"previous_path,omitempty"`
	Mode         string  `json:"mode,omitempty"`
	SHA          string  `json:"sha,omitempty"`
	Content      *string `json:"content,omitempty"`
	ContentFile  string  `json:"content_file,omitempty"`
}

// ScenarioComment is an existing comment of a [Scenario].
type ScenarioComment struct {
	User User   `json:"user"`
	Body string `json:"body"`
}

// LoadScenario reads a scenario file. Unknown fields are errors.
func LoadScenario(path string) (*Scenario, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("githubtest: scenario: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var s Scenario
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("githubtest: scenario %s: %w", path, err)
	}
	s.dir = filepath.Dir(path)
	return &s, nil
}

// Options returns the fake options the scenario asks for.
func (s *Scenario) Options() []Option {
	var opts []Option
	if s.Token != "" {
		opts = append(opts, WithToken(s.Token))
	}
	if s.ReadOnly {
		opts = append(opts, WithReadOnly())
	}
	switch {
	case s.UserToken != nil:
		opts = append(opts, WithUserToken(*s.UserToken))
	case s.Bot != nil:
		opts = append(opts, WithInstallationBot(*s.Bot))
	}
	if s.Prefix != nil {
		p := *s.Prefix
		if p == "/" {
			p = ""
		}
		opts = append(opts, WithPrefix(p))
	}
	return opts
}

// Apply loads the scenario's repositories, pull requests, trees, comments
// and faults into f.
func (s *Scenario) Apply(f *Fake) error {
	for repo, private := range s.Private {
		if _, _, err := splitRepo(repo); err != nil {
			return err
		}
		f.AddRepo(repo, private)
	}
	for i, p := range s.PullRequests {
		if p.Repo == "" {
			return fmt.Errorf("githubtest: scenario pull request %d: repo is required", i)
		}
		var files []File
		for _, sf := range p.Files {
			content, err := s.content(sf)
			if err != nil {
				return err
			}
			files = append(files, File{Path: sf.Path, Status: sf.Status, PreviousPath: sf.PreviousPath, Content: content})
		}
		pr := p.PR
		for _, t := range []struct {
			name, sha string
			files     []ScenarioFile
		}{{"tree", pr.HeadSHA, p.Tree}, {"base_tree", pr.BaseSHA, p.BaseTree}, {"default_branch_tree", f.defaultBranch(p.Repo), p.DefaultBranchTree}} {
			if t.files == nil {
				continue
			}
			if t.sha == "" {
				return fmt.Errorf("githubtest: scenario PR #%d: %s needs the commit SHA (head_sha, base_sha)", pr.Number, t.name)
			}
			var tree []TreeFile
			for _, sf := range t.files {
				content, err := s.content(sf)
				if err != nil {
					return err
				}
				tree = append(tree, TreeFile{Path: sf.Path, Content: content, Mode: sf.Mode, SHA: sf.SHA})
			}
			if err := f.trySetTree(p.Repo, t.sha, tree); err != nil {
				return err
			}
		}
		if err := f.TryAddPR(p.Repo, pr, files); err != nil {
			return err
		}
		for _, c := range p.Comments {
			if c.User.Login == "" {
				return fmt.Errorf("githubtest: scenario PR #%d: a comment needs user.login", pr.Number)
			}
			f.AddComment(p.Repo, pr.Number, c.User, c.Body)
		}
	}
	for _, ft := range s.Faults {
		if ft.Status < 400 || ft.Status > 599 {
			return fmt.Errorf("githubtest: scenario fault status %d: want 4xx or 5xx", ft.Status)
		}
		known := ft.Endpoint == ""
		for _, e := range Endpoints() {
			known = known || e == ft.Endpoint
		}
		if !known {
			return fmt.Errorf("githubtest: scenario fault endpoint %q is not one of %v", ft.Endpoint, Endpoints())
		}
		f.InjectFault(ft)
	}
	return nil
}

// content returns a scenario file's bytes.
func (s *Scenario) content(sf ScenarioFile) ([]byte, error) {
	switch {
	case sf.Content != nil && sf.ContentFile != "":
		return nil, fmt.Errorf("githubtest: scenario file %s: content and content_file are exclusive", sf.Path)
	case sf.Content != nil:
		return []byte(*sf.Content), nil
	case sf.ContentFile != "":
		p := sf.ContentFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.dir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("githubtest: scenario file %s: %w", sf.Path, err)
		}
		return b, nil
	case sf.Mode == "160000", sf.Status == "removed":
		return nil, nil
	}
	return nil, errors.New("githubtest: scenario file " + sf.Path + ": content or content_file is required")
}

// trySetTree is SetTree returning an error.
func (f *Fake) trySetTree(repo, treeish string, files []TreeFile) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repo(repo, true)
	if err != nil {
		return err
	}
	return f.setTree(r, treeish, files)
}
