package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The issues endpoints (the sweep keeps one "Evidence status" issue).
const (
	EndpointListIssues  = "GET /repos/{owner}/{repo}/issues"
	EndpointCreateIssue = "POST /repos/{owner}/{repo}/issues"
	EndpointUpdateIssue = "PATCH /repos/{owner}/{repo}/issues/{issue_number}"
)

const (
	docCreateIssue = "https://docs.github.com/rest/issues/issues#create-an-issue"
	docUpdateIssue = "https://docs.github.com/rest/issues/issues#update-an-issue"
)

// issueEndpoints are registered by NewHandler.
// issueHandlers are registered by NewHandler.
func (f *Fake) issueHandlers() map[string]func(http.ResponseWriter, *http.Request, string) {
	return map[string]func(http.ResponseWriter, *http.Request, string){
		EndpointListIssues:  f.listIssues,
		EndpointCreateIssue: f.createIssue,
		EndpointUpdateIssue: f.updateIssue,
	}
}

// issueState is an issue of the fake (not a pull request).
type issueState struct {
	id               int64
	repo             string // repo key
	number           int
	title, body      string
	state            string // open or closed
	stateReason      string
	user             User
	created, updated time.Time
	closed           *time.Time
	edits            int
	labels           []*labelState
}

// labelState is a label of a repository of the fake.
type labelState struct {
	id         int64
	repo, name string // repo key; the name as first written
	color      string
}

// Issue is an issue as stored by the fake.
type Issue struct {
	Repo   string `json:"repo"`
	Number int    `json:"number"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	State  string `json:"state"`
	User   User   `json:"user"`
	// Labels are the issue's label names.
	Labels []string `json:"labels"`
	// Edits counts the requests that changed the issue (body, title or state).
	Edits int `json:"edits"`
}

// AddIssue adds an open issue by user and returns its number.
func (f *Fake) AddIssue(repo string, user User, title, body string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs, err := f.repo(repo, true)
	if err != nil {
		panic(err)
	}
	return f.addIssue(rs, user, title, body).number
}

// Issues returns the issues of repo, by number.
func (f *Fake) Issues(repo string) []Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Issue
	for _, is := range f.issues {
		if is.repo == repoKey(repo) {
			var labels []string
			for _, l := range is.labels {
				labels = append(labels, l.name)
			}
			out = append(out, Issue{Repo: repo, Number: is.number, Title: is.title, Body: is.body, State: is.state, User: is.user, Edits: is.edits, Labels: labels})
		}
	}
	slices.SortFunc(out, func(a, b Issue) int { return a.Number - b.Number })
	return out
}

// AddLabeledIssue adds an open issue by user with the labels (created in
// the repository when new, as GitHub does for a writer) and returns its number.
func (f *Fake) AddLabeledIssue(repo string, user User, title, body string, labels ...string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs, err := f.repo(repo, true)
	if err != nil {
		panic(err)
	}
	is := f.addIssue(rs, user, title, body)
	for _, l := range labels {
		is.labels = append(is.labels, f.label(rs, l))
	}
	return is.number
}

// label returns the repository's label name (case-insensitive), created
// when new as GitHub creates a label named when an issue is created; f.mu
// is held.
func (f *Fake) label(rs *repoState, name string) *labelState {
	key := repoKey(rs.owner.Login + "/" + rs.name)
	for _, l := range f.labels {
		if l.repo == key && strings.EqualFold(l.name, name) {
			return l
		}
	}
	f.nextID++
	l := &labelState{id: f.nextID, repo: key, name: name, color: "ededed"}
	f.labels = append(f.labels, l)
	return l
}

// hasLabels reports whether is carries every label named (case-insensitive).
func (is *issueState) hasLabels(names []string) bool {
	for _, n := range names {
		if !slices.ContainsFunc(is.labels, func(l *labelState) bool { return strings.EqualFold(l.name, n) }) {
			return false
		}
	}
	return true
}

// labelJSON renders the label schema.
func labelJSON(api string, r *repoState, l *labelState) obj {
	return obj{
		"id":          l.id,
		"node_id":     nodeID("LA", l.id),
		"url":         fmt.Sprintf("%s/repos/%s/%s/labels/%s", api, r.owner.Login, r.name, url.PathEscape(l.name)),
		"name":        l.name,
		"description": nil,
		"color":       l.color,
		"default":     false,
	}
}

// addIssue stores an issue; f.mu is held. Issues and pull requests share
// the repository's numbers.
func (f *Fake) addIssue(rs *repoState, user User, title, body string) *issueState {
	key := repoKey(rs.owner.Login + "/" + rs.name)
	n := 1
	for k := range rs.prs {
		n = max(n, k+1)
	}
	for _, is := range f.issues {
		if is.repo == key {
			n = max(n, is.number+1)
		}
	}
	f.nextID++
	now := f.now()
	is := &issueState{id: f.nextID, repo: key, number: n, title: title, body: body, state: "open", user: user, created: now, updated: now}
	f.issues = append(f.issues, is)
	return is
}

// issueJSON renders the issue schema.
func issueJSON(api string, r *repoState, is *issueState) obj {
	full := r.owner.Login + "/" + r.name
	u := fmt.Sprintf("%s/repos/%s/issues/%d", api, full, is.number)
	labels := make([]any, 0, len(is.labels))
	for _, l := range is.labels {
		labels = append(labels, labelJSON(api, r, l))
	}
	o := obj{
		"id":                 is.id,
		"node_id":            nodeID("I", is.id),
		"url":                u,
		"repository_url":     api + "/repos/" + full,
		"labels_url":         u + "/labels{/name}",
		"comments_url":       u + "/comments",
		"events_url":         u + "/events",
		"html_url":           fmt.Sprintf("%s/%s/issues/%d", webBase, full, is.number),
		"number":             is.number,
		"state":              is.state,
		"title":              is.title,
		"body":               is.body,
		"user":               simpleUser(api, is.user),
		"labels":             labels,
		"assignee":           nil,
		"milestone":          nil,
		"locked":             false,
		"comments":           0,
		"closed_at":          nil,
		"created_at":         timestamp(is.created),
		"updated_at":         timestamp(is.updated),
		"author_association": authorAssociation(r, is.user),
	}
	if is.closed != nil {
		o["closed_at"] = timestamp(*is.closed)
	}
	if is.stateReason != "" {
		o["state_reason"] = is.stateReason
	}
	return o
}

func (f *Fake) listIssues(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	key := repoKey(rs.owner.Login + "/" + rs.name)
	var list []*issueState
	for _, is := range f.issues {
		if is.repo != key || (state != "all" && is.state != state) {
			continue
		}
		if c := q.Get("creator"); c != "" && c != is.user.Login {
			continue
		}
		if l := q.Get("labels"); l != "" && !is.hasLabels(strings.Split(l, ",")) {
			continue
		}
		list = append(list, is)
	}
	// GitHub's default order: newest first.
	slices.SortFunc(list, func(a, b *issueState) int { return b.number - a.number })
	lo, hi := paginate(w, r, api, len(list))
	out := make([]any, 0, hi-lo)
	for _, is := range list[lo:hi] {
		out = append(out, issueJSON(api, rs, is))
	}
	writeJSON(w, http.StatusOK, out)
}

// issueRequest decodes a create/update body; it answers 400 or 422 and
// returns false when invalid.
func issueRequest(w http.ResponseWriter, r *http.Request, doc string, create bool) (map[string]json.RawMessage, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	var in map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(raw, &in)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "Problems parsing JSON", doc))
		return nil, false
	}
	invalid := func(field string) (map[string]json.RawMessage, bool) {
		writeJSON(w, http.StatusUnprocessableEntity, obj{
			"message": "Validation Failed", "documentation_url": doc, "status": "422",
			"errors": []any{obj{"resource": "Issue", "code": "invalid", "field": field}},
		})
		return nil, false
	}
	var s string
	if t, ok := in["title"]; (create && !ok) || (ok && (json.Unmarshal(t, &s) != nil || s == "")) {
		return invalid("title")
	}
	if b, ok := in["body"]; ok {
		if json.Unmarshal(b, &s) != nil {
			return invalid("body")
		}
		if utf8.RuneCountInString(s) > MaxCommentChars {
			return invalid("body")
		}
	}
	if l, ok := in["labels"]; ok {
		var names []string
		if json.Unmarshal(l, &names) != nil || slices.Contains(names, "") {
			return invalid("labels")
		}
	}
	if st, ok := in["state"]; ok {
		if json.Unmarshal(st, &s) != nil || (s != "open" && s != "closed") {
			return invalid("state")
		}
	}
	return in, true
}

func (f *Fake) createIssue(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	in, ok := issueRequest(w, r, docCreateIssue, true)
	if !ok {
		return
	}
	var title, body string
	_ = json.Unmarshal(in["title"], &title)
	if b, ok := in["body"]; ok {
		_ = json.Unmarshal(b, &body)
	}
	is := f.addIssue(rs, f.identity, title, body)
	var labels []string
	_ = json.Unmarshal(in["labels"], &labels)
	if !f.dropLabels {
		for _, l := range labels {
			is.labels = append(is.labels, f.label(rs, l))
		}
	}
	o := issueJSON(api, rs, is)
	w.Header().Set("Location", o["url"].(string))
	writeJSON(w, http.StatusCreated, o)
}

func (f *Fake) updateIssue(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	n, ok := intParam(w, r, "issue_number")
	if !ok {
		return
	}
	var is *issueState
	for _, x := range f.issues {
		if x.repo == repoKey(rs.owner.Login+"/"+rs.name) && x.number == int(n) {
			is = x
		}
	}
	if is == nil {
		notFound(w)
		return
	}
	in, ok := issueRequest(w, r, docUpdateIssue, false)
	if !ok {
		return
	}
	changed := false
	set := func(key string, field *string) {
		var s string
		if v, ok := in[key]; ok && json.Unmarshal(v, &s) == nil && s != *field {
			*field, changed = s, true
		}
	}
	set("title", &is.title)
	set("body", &is.body)
	before := is.state
	set("state", &is.state)
	if is.state != before {
		now := f.now()
		if is.state == "closed" {
			is.closed, is.stateReason = &now, "completed"
		} else {
			is.closed, is.stateReason = nil, "reopened"
		}
	}
	if changed {
		is.edits++
		is.updated = f.now()
	}
	writeJSON(w, http.StatusOK, issueJSON(api, rs, is))
}

// DropIssueLabels makes the fake drop the labels of issues it creates, as
// GitHub does silently for a token without push access.
func (f *Fake) DropIssueLabels() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLabels = true
}
