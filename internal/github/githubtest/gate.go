package githubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// This file serves what stage 2 of the fork-safe setup needs: the repository
// (its default branch), the open pull requests of a head branch, and commit
// statuses.

const (
	docCreateStatus = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
	docListPulls    = "https://docs.github.com/rest/pulls/pulls#list-pull-requests"
)

// CommitStatus is a commit status as stored by the fake.
type CommitStatus struct {
	Repo        string    `json:"repo"`
	SHA         string    `json:"sha"`
	State       string    `json:"state"`
	Context     string    `json:"context"`
	Description string    `json:"description"`
	TargetURL   string    `json:"target_url"`
	Creator     User      `json:"creator"`
	Created     time.Time `json:"created_at"`
	ID          int64     `json:"id"`
}

// Statuses returns the statuses posted on sha of repo, oldest first (GitHub
// shows the newest of each context).
func (f *Fake) Statuses(repo, sha string) []CommitStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []CommitStatus
	for _, s := range f.statuses {
		if s.Repo == repoKey(repo) && s.SHA == sha {
			out = append(out, *s)
		}
	}
	return out
}

// SetDefaultBranch sets repo's default branch (default "main").
func (f *Fake) SetDefaultBranch(repo, branch string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repo(repo, true)
	if err != nil {
		panic(err)
	}
	r.defaultBranch = branch
}

// defaultBranch returns repo's default branch, creating the repository.
func (f *Fake) defaultBranch(repo string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repo(repo, true)
	if err != nil {
		return ""
	}
	return r.defaultBranch
}

func (f *Fake) getRepo(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	o := repository(api, rs)
	o["network_count"] = 0
	o["subscribers_count"] = 0
	writeJSON(w, http.StatusOK, o)
}

// listPulls answers GET /repos/{owner}/{repo}/pulls with GitHub's filters:
// state (open by default, closed, all), head ("user:ref-name"; a head
// without ":" matches nothing, as on GitHub) and base (a branch name).
func (f *Fake) listPulls(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody(http.StatusUnprocessableEntity, "Validation Failed", docListPulls))
		return
	}
	var prs []*prState
	for _, pr := range rs.prs {
		if state != "all" && pr.State != state {
			continue
		}
		if h := q.Get("head"); h != "" {
			user, ref, ok := strings.Cut(h, ":")
			if !ok || pr.headRepo == nil || !strings.EqualFold(pr.headRepo.owner.Login, user) || pr.HeadRef != ref {
				continue
			}
		}
		if b := q.Get("base"); b != "" && pr.BaseRef != b {
			continue
		}
		prs = append(prs, pr)
	}
	sortPRs(prs)
	lo, hi := paginate(w, r, api, len(prs))
	out := make([]any, 0, hi-lo)
	for _, pr := range prs[lo:hi] {
		out = append(out, pullRequestSimple(api, rs, pr))
	}
	writeJSON(w, http.StatusOK, out)
}

// createStatus answers POST /repos/{owner}/{repo}/statuses/{sha}: state is
// required (error, failure, pending, success); a description over 140
// characters is refused with 422, as GitHub does.
func (f *Fake) createStatus(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(b, &in) != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "Problems parsing JSON", docCreateStatus))
		return
	}
	switch in.State {
	case "error", "failure", "pending", "success":
	default:
		writeJSON(w, http.StatusUnprocessableEntity, errorBody(http.StatusUnprocessableEntity, "Validation Failed", docCreateStatus))
		return
	}
	if utf8.RuneCountInString(in.Description) > 140 {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody(http.StatusUnprocessableEntity, "Validation Failed", docCreateStatus))
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	f.nextID++
	s := &CommitStatus{Repo: repoKey(rs.owner.Login + "/" + rs.name), SHA: r.PathValue("sha"), State: in.State, Context: in.Context,
		Description: in.Description, TargetURL: in.TargetURL, Creator: f.identity, Created: f.now(), ID: f.nextID}
	f.statuses = append(f.statuses, s)
	full := rs.owner.Login + "/" + rs.name
	writeJSON(w, http.StatusCreated, obj{
		"url":         api + "/repos/" + full + "/statuses/" + s.SHA,
		"avatar_url":  nil,
		"id":          s.ID,
		"node_id":     nodeID("SC", s.ID),
		"state":       s.State,
		"description": nilIfEmpty(s.Description),
		"target_url":  nilIfEmpty(s.TargetURL),
		"context":     s.Context,
		"created_at":  timestamp(s.Created),
		"updated_at":  timestamp(s.Created),
		"creator":     simpleUser(api, s.Creator),
	})
}

// getRef answers GET /repos/{owner}/{repo}/git/ref/heads/{branch}: the
// branch's commit. The fake names a branch's commit after its tree (set with
// SetTree under the branch name) and serves that tree under the commit SHA
// too. Only heads/ refs are known; tags share the fake's tree-ish namespace
// and are not served here.
func (f *Fake) getRef(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	ref := r.PathValue("ref")
	branch, ok := strings.CutPrefix(ref, "heads/")
	t := rs.trees[branch]
	if !ok || branch == "" || t == nil {
		notFound(w)
		return
	}
	commit := BlobSHA([]byte("commit " + rs.owner.Login + "/" + rs.name + " " + branch + " " + t.sha))
	rs.trees[commit] = t
	full := rs.owner.Login + "/" + rs.name
	writeJSON(w, http.StatusOK, obj{
		"ref":     "refs/" + ref,
		"node_id": nodeID("REF", int64(len(ref))),
		"url":     api + "/repos/" + full + "/git/refs/" + ref,
		"object": obj{
			"type": "commit",
			"sha":  commit,
			"url":  api + "/repos/" + full + "/git/commits/" + commit,
		},
	})
}
