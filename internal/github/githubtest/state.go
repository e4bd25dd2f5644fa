package githubtest

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // git object names
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PR describes a pull request to add to the fake with [Fake.AddPR].
type PR struct {
	Number int    `json:"number"`
	Title  string `json:"title,omitempty"`
	Body   string `json:"body,omitempty"`
	// HeadSHA and HeadRef are the head commit and branch; empty values get
	// deterministic defaults.
	HeadSHA string `json:"head_sha,omitempty"`
	HeadRef string `json:"head_ref,omitempty"`
	// HeadRepo is "owner/name" of the head repository; empty (or the base
	// repository) means a same-repository pull request, anything else a
	// pull request from that fork.
	HeadRepo string `json:"head_repo,omitempty"`
	// BaseSHA and BaseRef are the base commit and branch (default "main").
	BaseSHA string `json:"base_sha,omitempty"`
	BaseRef string `json:"base_ref,omitempty"`
	// State is "open" (default) or "closed".
	State string `json:"state,omitempty"`
	Draft bool   `json:"draft,omitempty"`
	// Author opened the pull request; default: the head repository's owner.
	Author User `json:"author,omitzero"`
	// MergeSHA is the test merge commit GitHub reports; empty means none.
	MergeSHA string `json:"merge_sha,omitempty"`
}

// File is a changed file of a pull request.
type File struct {
	Path string `json:"path"`
	// Status is one of GitHub's diff statuses: added, modified (default),
	// removed, renamed, copied, changed, unchanged.
	Status string `json:"status,omitempty"`
	// PreviousPath is the base path of a renamed or copied file.
	PreviousPath string `json:"previous_path,omitempty"`
	// Content is the file at the head (for a removed file: the removed
	// content). Its git blob SHA is what the files list reports, and the blob
	// is served by the blob endpoint.
	Content []byte `json:"-"`
}

// TreeFile is an entry of a tree set with [Fake.SetTree].
type TreeFile struct {
	Path string `json:"path"`
	// Content is a file's bytes, or a symlink's target.
	Content []byte `json:"-"`
	// Mode is git's mode: 100644 (default), 100755, 120000 (symlink),
	// 160000 (submodule).
	Mode string `json:"mode,omitempty"`
	// SHA is a submodule's commit.
	SHA string `json:"sha,omitempty"`
}

// repoState is a repository of the fake.
type repoState struct {
	owner         User
	name          string
	id            int64
	private, fork bool
	defaultBranch string
	created       time.Time
	prs           map[int]*prState
	trees         map[string]*treeState // by tree-ish and by tree SHA
}

// prState is a pull request of the fake.
type prState struct {
	PR
	id               int64
	headRepo         *repoState
	created, updated time.Time
	files            []*fileState
}

// association is the author's association with the base repository.
func (p *prState) association() string {
	if p.headRepo != nil && strings.EqualFold(p.Author.Login, p.headRepo.owner.Login) && !p.headRepo.fork {
		return "OWNER"
	}
	return "CONTRIBUTOR"
}

// fileState is a changed file with its computed blob SHA and line counts.
type fileState struct {
	File
	sha                  string
	additions, deletions int
}

// treeState is a git tree listing.
type treeState struct {
	sha       string
	entries   []treeEntryState
	truncated bool
}

// treeEntryState is one entry of a recursive tree listing.
type treeEntryState struct {
	path, mode, typ, sha string
	size                 int
}

// commentState is an issue comment.
type commentState struct {
	id               int64
	repo             string // repo key
	issue            int
	body             string
	user             User
	created, updated time.Time
	edits            int
}

// Comment is an issue comment as stored by the fake.
type Comment struct {
	Repo    string    `json:"repo"`
	Issue   int       `json:"issue"`
	ID      int64     `json:"id"`
	User    User      `json:"user"`
	Body    string    `json:"body"`
	Created time.Time `json:"created_at"`
	Updated time.Time `json:"updated_at"`
	// Edits counts the PATCHes that changed it.
	Edits int `json:"edits"`
}

// Request is one request the fake received.
type Request struct {
	Method string `json:"method"`
	// Path is the request path without the API prefix.
	Path  string `json:"path"`
	Query string `json:"query,omitempty"`
	// Endpoint is the matched endpoint ([EndpointGetPR]...), or "" when none
	// matched.
	Endpoint string `json:"endpoint,omitempty"`
	Status   int    `json:"status"`
}

// State is a snapshot of the fake, for assertions and for the fakegithub
// tool's final dump.
type State struct {
	Comments []Comment      `json:"comments"`
	Calls    map[string]int `json:"calls"`
	Total    int            `json:"total"`
	Requests []Request      `json:"requests"`
	// ValidationErrors are the OpenAPI violations seen (when validating).
	ValidationErrors []string `json:"validation_errors,omitempty"`
}

// repoKey normalises "owner/name" (GitHub compares them case-insensitively).
func repoKey(full string) string { return strings.ToLower(full) }

// splitRepo splits and checks "owner/name".
func splitRepo(full string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(full, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/?#% ") || strings.ContainsAny(owner, "/?#% ") {
		return "", "", fmt.Errorf("githubtest: invalid repository %q: want owner/name", full)
	}
	return owner, name, nil
}

// repo returns the repository full, creating it when create is set.
func (f *Fake) repo(full string, create bool) (*repoState, error) {
	if r, ok := f.repos[repoKey(full)]; ok {
		return r, nil
	}
	if !create {
		return nil, nil
	}
	owner, name, err := splitRepo(full)
	if err != nil {
		return nil, err
	}
	f.nextID++
	r := &repoState{
		owner:         User{Login: owner, Type: "User"},
		name:          name,
		id:            f.nextID,
		defaultBranch: "main",
		created:       f.now().Add(-24 * time.Hour),
		prs:           map[int]*prState{},
		trees:         map[string]*treeState{},
	}
	f.repos[repoKey(full)] = r
	return r, nil
}

// AddRepo adds repository full ("owner/name") if absent, and sets whether it
// is private. Repositories are otherwise created on demand by AddPR.
func (f *Fake) AddRepo(full string, private bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repo(full, true)
	if err != nil {
		panic(err)
	}
	r.private = private
}

// AddPR adds pull request pr to repository repo ("owner/name", created if
// needed) with its changed files, stores the files' blobs, and, unless a
// tree is already set for the head SHA, sets the head tree to the files
// that are not removed. It panics on invalid input (a duplicate number, an
// unknown status, a bad repository name); see [Fake.TryAddPR].
func (f *Fake) AddPR(repo string, pr PR, files []File) {
	if err := f.TryAddPR(repo, pr, files); err != nil {
		panic(err)
	}
}

// validStatuses are GitHub's diff-entry statuses.
var validStatuses = map[string]bool{
	"added": true, "removed": true, "modified": true, "renamed": true,
	"copied": true, "changed": true, "unchanged": true,
}

// TryAddPR is [Fake.AddPR] returning an error instead of panicking.
func (f *Fake) TryAddPR(repo string, pr PR, files []File) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	base, err := f.repo(repo, true)
	if err != nil {
		return err
	}
	if pr.Number <= 0 {
		return fmt.Errorf("githubtest: PR number %d: want > 0", pr.Number)
	}
	if _, dup := base.prs[pr.Number]; dup {
		return fmt.Errorf("githubtest: %s already has PR #%d", repo, pr.Number)
	}
	head := base
	if pr.HeadRepo != "" && repoKey(pr.HeadRepo) != repoKey(repo) {
		if head, err = f.repo(pr.HeadRepo, true); err != nil {
			return err
		}
		head.fork = true
	}
	if pr.Title == "" {
		pr.Title = fmt.Sprintf("Pull request %d", pr.Number)
	}
	if pr.HeadRef == "" {
		pr.HeadRef = fmt.Sprintf("pr-%d", pr.Number)
	}
	if pr.BaseRef == "" {
		pr.BaseRef = base.defaultBranch
	}
	if pr.HeadSHA == "" {
		pr.HeadSHA = fakeSHA("head", repo, strconv.Itoa(pr.Number))
	}
	if pr.BaseSHA == "" {
		pr.BaseSHA = fakeSHA("base", repo, strconv.Itoa(pr.Number))
	}
	if pr.State == "" {
		pr.State = "open"
	}
	if pr.State != "open" && pr.State != "closed" {
		return fmt.Errorf("githubtest: PR #%d state %q: want open or closed", pr.Number, pr.State)
	}
	if pr.Author.Login == "" {
		pr.Author = head.owner
	}
	f.nextID++
	ps := &prState{PR: pr, id: f.nextID, headRepo: head, created: f.now().Add(-time.Hour), updated: f.now()}
	seen := map[string]bool{}
	var treeFiles []TreeFile
	for _, file := range files {
		if file.Status == "" {
			file.Status = "modified"
		}
		if !validStatuses[file.Status] {
			return fmt.Errorf("githubtest: %s: status %q is not one of GitHub's", file.Path, file.Status)
		}
		if file.Path == "" || seen[file.Path] {
			return fmt.Errorf("githubtest: PR #%d: empty or duplicate path %q", pr.Number, file.Path)
		}
		seen[file.Path] = true
		fs := &fileState{File: file, sha: BlobSHA(file.Content)}
		lines := countLines(file.Content)
		switch file.Status {
		case "added", "modified", "copied":
			fs.additions = lines
		case "removed":
			fs.deletions = lines
		}
		f.blobs[fs.sha] = file.Content
		ps.files = append(ps.files, fs)
		if file.Status != "removed" {
			treeFiles = append(treeFiles, TreeFile{Path: file.Path, Content: file.Content})
		}
	}
	base.prs[pr.Number] = ps
	if _, ok := base.trees[pr.HeadSHA]; !ok {
		if err := f.setTree(base, pr.HeadSHA, treeFiles); err != nil {
			return err
		}
	}
	if head != base {
		if _, ok := head.trees[pr.HeadSHA]; !ok {
			head.trees[pr.HeadSHA] = base.trees[pr.HeadSHA]
		}
	}
	return nil
}

// SetTree sets the tree that tree-ish (a commit SHA, a branch or a tree
// SHA) names in repo, storing its blobs, and returns the tree's git SHA. The
// tree is listed with its intermediate directories, as git does. It panics
// on invalid input (an unclean path, a path given twice, an unknown mode).
func (f *Fake) SetTree(repo, treeish string, files []TreeFile) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repo(repo, true)
	if err != nil {
		panic(err)
	}
	if err := f.setTree(r, treeish, files); err != nil {
		panic(err)
	}
	return r.trees[treeish].sha
}

// MarkTreeTruncated makes the tree of tree-ish in repo report truncated:
// true, as GitHub does for listings over 100,000 entries or 7 MB.
func (f *Fake) MarkTreeTruncated(repo, treeish string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, _ := f.repo(repo, false); r != nil && r.trees[treeish] != nil {
		r.trees[treeish].truncated = true
	}
}

// setTree builds and registers a tree; f.mu is held.
func (f *Fake) setTree(r *repoState, treeish string, files []TreeFile) error {
	type node struct {
		children map[string]*node
		file     *TreeFile
	}
	root := &node{children: map[string]*node{}}
	for i := range files {
		tf := files[i]
		if tf.Mode == "" {
			tf.Mode = "100644"
		}
		switch tf.Mode {
		case "100644", "100755", "120000":
			f.blobs[BlobSHA(tf.Content)] = tf.Content
		case "160000":
			if len(tf.SHA) != 40 {
				return fmt.Errorf("githubtest: submodule %s needs a 40-hex commit SHA", tf.Path)
			}
		default:
			return fmt.Errorf("githubtest: %s: unsupported mode %q", tf.Path, tf.Mode)
		}
		clean := path.Clean(tf.Path)
		if clean != tf.Path || strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "../") || clean == "." || clean == ".." {
			return fmt.Errorf("githubtest: tree path %q is not clean and relative", tf.Path)
		}
		n := root
		parts := strings.Split(clean, "/")
		for j, p := range parts {
			child := n.children[p]
			if child == nil {
				child = &node{children: map[string]*node{}}
				n.children[p] = child
			}
			if j == len(parts)-1 {
				if child.file != nil || len(child.children) > 0 {
					return fmt.Errorf("githubtest: tree path %q given twice", tf.Path)
				}
				child.file = &tf
			} else if child.file != nil {
				return fmt.Errorf("githubtest: tree path %q is under a file", tf.Path)
			}
			n = child
		}
	}
	var entries []treeEntryState
	// hash returns the git object name of the tree n, appending its entries
	// (pre-order, as GitHub lists them) under prefix.
	var hash func(n *node, prefix string) string
	hash = func(n *node, prefix string) string {
		names := make([]string, 0, len(n.children))
		for name := range n.children {
			names = append(names, name)
		}
		// git sorts directory names as if they ended with "/".
		key := func(name string) string {
			if n.children[name].file == nil {
				return name + "/"
			}
			return name
		}
		sort.Slice(names, func(i, j int) bool { return key(names[i]) < key(names[j]) })
		var body bytes.Buffer
		for _, name := range names {
			c := n.children[name]
			p := prefix + name
			var mode, sha string
			if c.file == nil {
				idx := len(entries)
				entries = append(entries, treeEntryState{path: p, mode: "040000", typ: "tree"})
				sha = hash(c, p+"/")
				entries[idx].sha = sha
				mode = "40000"
			} else {
				mode = c.file.Mode
				e := treeEntryState{path: p, mode: mode, typ: "blob", sha: BlobSHA(c.file.Content), size: len(c.file.Content)}
				if mode == "160000" {
					e.typ, e.sha, e.size = "commit", c.file.SHA, 0
				}
				sha = e.sha
				entries = append(entries, e)
			}
			raw, _ := hex.DecodeString(sha)
			fmt.Fprintf(&body, "%s %s\x00", mode, name)
			body.Write(raw)
		}
		h := sha1.New() //nolint:gosec // git object name
		fmt.Fprintf(h, "tree %d\x00", body.Len())
		h.Write(body.Bytes())
		return hex.EncodeToString(h.Sum(nil))
	}
	sha := hash(root, "")
	t := &treeState{sha: sha, entries: entries}
	r.trees[treeish] = t
	r.trees[sha] = t
	return nil
}

// AddComment adds a comment by user on issue or pull request issue of repo
// and returns its id. It panics on an invalid repository name.
func (f *Fake) AddComment(repo string, issue int, user User, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.repo(repo, true); err != nil {
		panic(err)
	}
	return f.addComment(repoKey(repo), issue, user, body).id
}

// addComment stores a comment; f.mu is held.
func (f *Fake) addComment(key string, issue int, user User, body string) *commentState {
	f.nextCommentID++
	now := f.now()
	c := &commentState{id: f.nextCommentID, repo: key, issue: issue, body: body, user: user, created: now, updated: now}
	f.comments = append(f.comments, c)
	return c
}

// Comments returns the comments on issue or pull request issue of repo,
// oldest first.
func (f *Fake) Comments(repo string, issue int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Comment
	for _, c := range f.comments {
		if c.repo == repoKey(repo) && c.issue == issue {
			out = append(out, c.export(f))
		}
	}
	return out
}

// export copies a comment for callers.
func (c *commentState) export(f *Fake) Comment {
	full := c.repo
	if r := f.repos[c.repo]; r != nil {
		full = r.owner.Login + "/" + r.name
	}
	return Comment{Repo: full, Issue: c.issue, ID: c.id, User: c.user, Body: c.body, Created: c.created, Updated: c.updated, Edits: c.edits}
}

// SetReadOnly switches read-only mode: every write is refused with 403
// "Resource not accessible by integration", as for a fork pull request's
// GITHUB_TOKEN.
func (f *Fake) SetReadOnly(readOnly bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readOnly = readOnly
}

// Calls returns the number of requests per endpoint ("METHOD /openapi/path",
// see the Endpoint constants; unmatched requests count under
// "METHOD <unmatched>").
func (f *Fake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// Total returns the number of requests received.
func (f *Fake) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// Requests returns the requests received, in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// ResetCounts forgets the requests received so far (state is kept).
func (f *Fake) ResetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
	f.calls = map[string]int{}
}

// Snapshot returns the fake's state: all comments, request counts and
// validation errors.
func (f *Fake) Snapshot() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := State{Calls: map[string]int{}, Total: len(f.requests), Requests: append([]Request(nil), f.requests...)}
	for k, v := range f.calls {
		s.Calls[k] = v
	}
	for _, c := range f.comments {
		s.Comments = append(s.Comments, c.export(f))
	}
	s.ValidationErrors = append(s.ValidationErrors, f.violations...)
	return s
}

// BlobSHA returns git's object name of a blob with content:
// sha1("blob <len>\x00" + content).
func BlobSHA(content []byte) string {
	h := sha1.New() //nolint:gosec // git object name
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// fakeSHA makes a deterministic 40-hex commit SHA from parts.
func fakeSHA(parts ...string) string {
	h := sha1.New() //nolint:gosec // not security relevant
	h.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h.Sum(nil))
}

// countLines counts lines as a diff would (a last line without newline
// counts).
func countLines(b []byte) int {
	n := bytes.Count(b, []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// statusText is http.StatusText with a fallback.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}
