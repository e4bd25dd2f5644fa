package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits GitHub applies that the fake enforces too.
const (
	// MaxCommentChars is GitHub's limit on a comment body, in characters.
	MaxCommentChars = 65536
	// maxListedFiles is the list-pull-request-files cap.
	maxListedFiles = 3000
	// maxRequestBody bounds request bodies read by the fake.
	maxRequestBody = 8 << 20
)

// Messages and documentation URLs as GitHub sends them.
const (
	msgReadOnly       = "Resource not accessible by integration"
	msgSecondaryLimit = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
	msgPrimaryLimit   = "API rate limit exceeded for installation ID 1."
	docSecondaryLimit = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	docPrimaryLimit   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"
	docCreateComment  = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	docUpdateComment  = "https://docs.github.com/rest/issues/comments#update-an-issue-comment"
	docGetUser        = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
)

// Fault makes requests to an endpoint fail, to exercise a client's retries.
// Faults are consumed in the order they were injected.
type Fault struct {
	// Endpoint is one of the Endpoint constants; "" matches every endpoint.
	Endpoint string `json:"endpoint,omitempty"`
	// Times is how many requests fail (0 means 1; negative: all of them).
	Times int `json:"times,omitempty"`
	// Status is the response status (500, 502, 429, 403...).
	Status int `json:"status"`
	// Message and DocumentationURL make the JSON error body; empty values
	// get defaults for the status.
	Message          string `json:"message,omitempty"`
	DocumentationURL string `json:"documentation_url,omitempty"`
	// Header holds extra response headers, e.g. Retry-After.
	Header map[string]string `json:"headers,omitempty"`
	// Apply processes the request before answering with the fault, as when
	// a gateway times out after the write went through: a create is
	// stored although the client sees an error.
	Apply bool `json:"apply,omitempty"`
}

// ServerError fails the next times requests to endpoint with status (5xx).
func ServerError(endpoint string, status, times int) Fault {
	return Fault{Endpoint: endpoint, Times: times, Status: status}
}

// TooManyRequests answers the next request to endpoint with 429 and
// Retry-After: retryAfter (whole seconds).
func TooManyRequests(endpoint string, retryAfter time.Duration) Fault {
	return Fault{
		Endpoint: endpoint, Status: http.StatusTooManyRequests,
		Message: msgSecondaryLimit, DocumentationURL: docSecondaryLimit,
		Header: map[string]string{"Retry-After": strconv.Itoa(int(retryAfter / time.Second))},
	}
}

// SecondaryRateLimit answers the next request to endpoint as GitHub does
// when a secondary rate limit is hit: 403, retry-after, and a message and
// documentation URL naming the secondary rate limit.
func SecondaryRateLimit(endpoint string, retryAfter time.Duration) Fault {
	return Fault{
		Endpoint: endpoint, Status: http.StatusForbidden,
		Message: msgSecondaryLimit, DocumentationURL: docSecondaryLimit,
		Header: map[string]string{"Retry-After": strconv.Itoa(int(retryAfter / time.Second))},
	}
}

// PrimaryRateLimit answers the next request to endpoint as GitHub does when
// the hourly budget is spent: 403, x-ratelimit-remaining: 0 and
// x-ratelimit-reset: reset.
func PrimaryRateLimit(endpoint string, reset time.Time) Fault {
	return Fault{
		Endpoint: endpoint, Status: http.StatusForbidden,
		Message: msgPrimaryLimit, DocumentationURL: docPrimaryLimit,
		Header: map[string]string{
			"X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset":     strconv.FormatInt(reset.Unix(), 10),
		},
	}
}

// Option configures a [Fake].
type Option func(*Fake)

// WithToken makes the fake require "Authorization: Bearer token" (or
// "token token"), answering 401 "Bad credentials" otherwise. Without it any
// request is accepted.
func WithToken(token string) Option { return func(f *Fake) { f.token = token } }

// WithReadOnly starts the fake in read-only mode (see [Fake.SetReadOnly]).
func WithReadOnly() Option { return func(f *Fake) { f.readOnly = true } }

// WithInstallationBot sets the account writes are attributed to for an
// installation token (GITHUB_TOKEN or an App token): comments are by bot,
// and GET /user is refused with 403 as GitHub does. The default is
// [ActionsBot].
func WithInstallationBot(bot User) Option {
	return func(f *Fake) { f.identity, f.userToken = bot, false }
}

// WithUserToken makes the token a user's (a personal access token): writes
// are by u and GET /user answers u.
func WithUserToken(u User) Option {
	return func(f *Fake) { f.identity, f.userToken = u, true }
}

// WithPrefix sets the path prefix the API is served under (default
// "/api/v3", as on GitHub Enterprise Server, so that a client building
// absolute paths fails); "" serves it at the root, as api.github.com.
func WithPrefix(prefix string) Option {
	return func(f *Fake) { f.prefix = strings.TrimRight(prefix, "/") }
}

// WithValidation checks every exchange against d, calling report with each
// violation (one line naming the operation). [NewServer] sets it up with
// t.Errorf.
func WithValidation(d *Description, report func(msg string)) Option {
	return func(f *Fake) { f.desc, f.report = d, report }
}

// Fake is a stateful fake of the GitHub REST API endpoints the action uses
// (see [Endpoints]). It is an http.Handler usable without a testing.TB (the
// fakegithub tool serves it); [NewServer] wraps it for tests. It is safe for
// concurrent use.
type Fake struct {
	routes    []route
	handlers  map[string]func(http.ResponseWriter, *http.Request, string)
	prefix    string
	token     string
	identity  User
	userToken bool
	desc      *Description
	report    func(string)
	now       func() time.Time
	// noValidation records WithoutValidation for NewServer.
	noValidation bool

	mu            sync.Mutex
	readOnly      bool
	repos         map[string]*repoState
	blobs         map[string][]byte // shared by the fork network
	comments      []*commentState
	statuses      []*CommitStatus
	issues        []*issueState // issues.go
	labels        []*labelState // issues.go
	dropLabels    bool          // issues.go: DropIssueLabels
	nextID        int64
	nextCommentID int64
	faults        []*Fault
	calls         map[string]int
	requests      []Request
	violations    []string
}

// NewHandler returns an empty fake configured by opts.
func NewHandler(opts ...Option) *Fake {
	f := &Fake{
		prefix:        "/api/v3",
		identity:      ActionsBot,
		now:           time.Now,
		repos:         map[string]*repoState{},
		blobs:         map[string][]byte{},
		nextID:        100_000,
		nextCommentID: 2_000_000_000, // beyond int32, as real comment ids are
		calls:         map[string]int{},
	}
	for _, o := range opts {
		o(f)
	}
	f.routes = newRoutes(Endpoints())
	f.handlers = map[string]func(http.ResponseWriter, *http.Request, string){
		EndpointGetPR:         f.getPR,
		EndpointListFiles:     f.listFiles,
		EndpointGetBlob:       f.getBlob,
		EndpointGetTree:       f.getTree,
		EndpointListComments:  f.listComments,
		EndpointCreateComment: f.createComment,
		EndpointGetComment:    f.getComment,
		EndpointUpdateComment: f.updateComment,
		EndpointGetUser:       f.getUser,
		EndpointPRsForCommit:  f.prsForCommit,
		EndpointGetRepo:       f.getRepo,
		EndpointListPulls:     f.listPulls,
		EndpointCreateStatus:  f.createStatus,
		EndpointGetRef:        f.getRef,
	}
	for e, h := range f.issueHandlers() { // issues.go
		f.handlers[e] = h
	}
	return f
}

// Prefix returns the path prefix the API is served under.
func (f *Fake) Prefix() string { return f.prefix }

// InjectFault queues a fault.
func (f *Fake) InjectFault(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft.Times == 0 {
		ft.Times = 1
	}
	f.faults = append(f.faults, &ft)
}

// Violations returns the OpenAPI violations seen so far (when validating).
func (f *Fake) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.violations...)
}

// ServeHTTP serves the API under the prefix. When validating, the response
// is buffered and checked before it is sent, so a client (or a test) that
// has the response has its violations reported too.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.desc == nil {
		f.route(w, r)
		return
	}
	var reqBody []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reqBody = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	buf := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
	f.route(buf, r)

	x := &Exchange{Request: r, Prefix: f.prefix, RequestBody: reqBody, Status: buf.status, Header: buf.header, Body: buf.body.Bytes()}
	for _, err := range f.desc.Validate(x) {
		msg := "GitHub OpenAPI " + f.desc.Version + ": " + err.Error()
		f.mu.Lock()
		f.violations = append(f.violations, msg)
		f.mu.Unlock()
		if f.report != nil {
			f.report(msg)
		}
	}

	for k, v := range buf.header {
		w.Header()[k] = v
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
}

// route strips the prefix and dispatches to the endpoint's handler.
func (f *Fake) route(w http.ResponseWriter, r *http.Request) {
	inner := r
	if f.prefix != "" {
		p := r.URL.Path
		if p != f.prefix && !strings.HasPrefix(p, f.prefix+"/") {
			f.record(r.Method, p, r.URL.RawQuery, "", http.StatusNotFound)
			writeJSON(w, http.StatusNotFound, errorBody(http.StatusNotFound, "Not Found", ""))
			return
		}
		u := *r.URL
		u.Path = strings.TrimPrefix(p, f.prefix)
		u.RawPath = ""
		if u.Path == "" {
			u.Path = "/"
		}
		inner = r.Clone(r.Context())
		inner.URL = &u
	}
	e, params := match(f.routes, inner.Method, inner.URL.Path)
	if e != "" && inner == r {
		inner = r.Clone(r.Context())
	}
	for k, v := range params {
		inner.SetPathValue(k, v)
	}
	f.serve(w, inner, e)
}

// bufferedWriter holds a response until it has been validated.
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// serve runs the handler of endpoint e ("" for none) with what every
// request gets: counting, rate-limit headers, authentication, injected
// faults and the read-only mode. The handler runs with f.mu held.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request, e string) {
	h := f.handlers[e]
	{
		f.mu.Lock()
		defer f.mu.Unlock()
		key := e
		if key == "" {
			key = r.Method + " <unmatched>"
		}
		f.calls[key]++
		f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Endpoint: e})
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() { f.requests[len(f.requests)-1].Status = rw.status }()

		api := apiRoot(r, f.prefix)
		hdr := w.Header()
		hdr.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
		hdr.Set("X-GitHub-Media-Type", "github.v3; format=json")
		hdr.Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%04X", len(f.requests)))
		hdr.Set("X-RateLimit-Limit", "1000")
		hdr.Set("X-RateLimit-Remaining", strconv.Itoa(max(1, 1000-len(f.requests))))
		hdr.Set("X-RateLimit-Reset", strconv.FormatInt(f.now().Add(time.Hour).Unix(), 10))
		hdr.Set("X-RateLimit-Used", strconv.Itoa(min(999, len(f.requests))))
		hdr.Set("X-RateLimit-Resource", "core")

		if f.token != "" {
			auth := r.Header.Get("Authorization")
			if auth != "Bearer "+f.token && auth != "token "+f.token {
				writeJSON(rw, http.StatusUnauthorized, errorBody(http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest"))
				return
			}
		}
		if ft := f.takeFault(e); ft != nil {
			if ft.Apply && h != nil && !(f.readOnly && r.Method != http.MethodGet) {
				h(&discardWriter{header: http.Header{}}, r, api)
			}
			for k, v := range ft.Header {
				hdr.Set(k, v)
			}
			msg := ft.Message
			if msg == "" {
				msg = statusText(ft.Status)
			}
			writeJSON(rw, ft.Status, errorBody(ft.Status, msg, ft.DocumentationURL))
			return
		}
		if h == nil {
			writeJSON(rw, http.StatusNotFound, errorBody(http.StatusNotFound, "Not Found", "https://docs.github.com/rest"))
			return
		}
		if f.readOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
			doc, perms := docCreateComment, "issues=write; pull_requests=write"
			switch e {
			case EndpointUpdateComment:
				doc = docUpdateComment
			case EndpointCreateStatus:
				doc, perms = docCreateStatus, "statuses=write"
			}
			hdr.Set("X-Accepted-GitHub-Permissions", perms)
			writeJSON(rw, http.StatusForbidden, errorBody(http.StatusForbidden, msgReadOnly, doc))
			return
		}
		h(rw, r, api)
	}
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// discardWriter is a ResponseWriter that drops everything.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// takeFault consumes the first fault matching endpoint e; f.mu is held.
func (f *Fake) takeFault(e string) *Fault {
	for i, ft := range f.faults {
		if ft.Endpoint != "" && ft.Endpoint != e {
			continue
		}
		if ft.Times > 0 {
			ft.Times--
			if ft.Times == 0 {
				f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			}
		}
		return ft
	}
	return nil
}

// record logs a request that reached no endpoint wrapper.
func (f *Fake) record(method, path, query, e string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method+" <unmatched>"]++
	f.requests = append(f.requests, Request{Method: method, Path: path, Query: query, Endpoint: e, Status: status})
}

// apiRoot is the API root URL as the client sees it (scheme, host, prefix).
func apiRoot(r *http.Request, prefix string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + prefix
}

// writeJSON writes v as GitHub does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// notFound answers GitHub's 404.
func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, errorBody(http.StatusNotFound, "Not Found", "https://docs.github.com/rest"))
}

// repoFor resolves the owner/repo path values; it answers 404 when unknown.
func (f *Fake) repoFor(w http.ResponseWriter, r *http.Request) *repoState {
	rs, _ := f.repo(r.PathValue("owner")+"/"+r.PathValue("repo"), false)
	if rs == nil {
		notFound(w)
	}
	return rs
}

// intParam parses a numeric path value; it answers 404 when malformed.
func intParam(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		notFound(w)
		return 0, false
	}
	return n, true
}

// prFor resolves a pull request; it answers 404 when unknown.
func (f *Fake) prFor(w http.ResponseWriter, r *http.Request) (*repoState, *prState) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return nil, nil
	}
	n, ok := intParam(w, r, "pull_number")
	if !ok {
		return nil, nil
	}
	pr := rs.prs[int(n)]
	if pr == nil {
		notFound(w)
		return nil, nil
	}
	return rs, pr
}

// paginate returns the page of n items the request asks for (per_page at
// most 100, default 30) and sets the Link header as GitHub does.
func paginate(w http.ResponseWriter, r *http.Request, api string, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max(1, (n+per-1)/per)
	link := func(p int) string {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		return api + u.String()
	}
	var rels []string
	if page > 1 {
		rels = append(rels, fmt.Sprintf(`<%s>; rel="prev"`, link(min(page-1, last))))
	}
	if page < last {
		rels = append(rels, fmt.Sprintf(`<%s>; rel="next"`, link(page+1)), fmt.Sprintf(`<%s>; rel="last"`, link(last)))
	}
	if page > 1 {
		rels = append(rels, fmt.Sprintf(`<%s>; rel="first"`, link(1)))
	}
	if len(rels) > 0 {
		w.Header().Set("Link", strings.Join(rels, ", "))
	}
	lo = min(n, (page-1)*per)
	hi = min(n, lo+per)
	return lo, hi
}

func (f *Fake) getPR(w http.ResponseWriter, r *http.Request, api string) {
	rs, pr := f.prFor(w, r)
	if pr == nil {
		return
	}
	comments := 0
	for _, c := range f.comments {
		if c.repo == repoKey(rs.owner.Login+"/"+rs.name) && c.issue == pr.Number {
			comments++
		}
	}
	writeJSON(w, http.StatusOK, pullRequest(api, rs, pr, comments))
}

func (f *Fake) listFiles(w http.ResponseWriter, r *http.Request, api string) {
	rs, pr := f.prFor(w, r)
	if pr == nil {
		return
	}
	files := pr.files[:min(len(pr.files), maxListedFiles)]
	lo, hi := paginate(w, r, api, len(files))
	out := make([]any, 0, hi-lo)
	for _, fs := range files[lo:hi] {
		out = append(out, diffEntry(api, rs, pr, fs))
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) getBlob(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	sha := r.PathValue("file_sha")
	content, ok := f.blobs[sha]
	if !ok {
		notFound(w)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(content)
		return
	}
	writeJSON(w, http.StatusOK, blobJSON(api, rs, sha, content))
}

func (f *Fake) getTree(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	t := rs.trees[r.PathValue("tree_sha")]
	if t == nil {
		notFound(w)
		return
	}
	if !r.URL.Query().Has("recursive") {
		top := *t
		top.entries = nil
		for _, e := range t.entries {
			if !strings.Contains(e.path, "/") {
				top.entries = append(top.entries, e)
			}
		}
		t = &top
	}
	writeJSON(w, http.StatusOK, treeJSON(api, rs, t))
}

func (f *Fake) listComments(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	n, ok := intParam(w, r, "issue_number")
	if !ok {
		return
	}
	if rs.prs[int(n)] == nil {
		notFound(w)
		return
	}
	var cs []*commentState
	for _, c := range f.comments {
		if c.repo == repoKey(rs.owner.Login+"/"+rs.name) && c.issue == int(n) {
			cs = append(cs, c)
		}
	}
	lo, hi := paginate(w, r, api, len(cs))
	out := make([]any, 0, hi-lo)
	for _, c := range cs[lo:hi] {
		out = append(out, issueComment(api, rs, c))
	}
	writeJSON(w, http.StatusOK, out)
}

// commentBody decodes and checks a create/update request body as GitHub
// does; it answers 400 or 422 and returns false when invalid.
func commentBody(w http.ResponseWriter, r *http.Request, doc string) (string, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "Problems parsing JSON", doc))
		return "", false
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(raw, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "Problems parsing JSON", doc))
		return "", false
	}
	var body string
	if b, ok := in["body"]; !ok || json.Unmarshal(b, &body) != nil {
		writeJSON(w, http.StatusUnprocessableEntity, obj{
			"message":           "Invalid request.\n\n\"body\" wasn't supplied or is not a string.",
			"documentation_url": doc,
			"status":            "422",
		})
		return "", false
	}
	if utf8.RuneCountInString(body) > MaxCommentChars {
		writeJSON(w, http.StatusUnprocessableEntity, obj{
			"message": "Validation Failed",
			"errors": []any{obj{
				"resource": "IssueComment", "code": "custom", "field": "body",
				"message": fmt.Sprintf("body is too long (maximum is %d characters)", MaxCommentChars),
			}},
			"documentation_url": doc,
			"status":            "422",
		})
		return "", false
	}
	return body, true
}

func (f *Fake) createComment(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	n, ok := intParam(w, r, "issue_number")
	if !ok {
		return
	}
	if rs.prs[int(n)] == nil {
		notFound(w)
		return
	}
	body, ok := commentBody(w, r, docCreateComment)
	if !ok {
		return
	}
	c := f.addComment(repoKey(rs.owner.Login+"/"+rs.name), int(n), f.identity, body)
	o := issueComment(api, rs, c)
	w.Header().Set("Location", o["url"].(string))
	writeJSON(w, http.StatusCreated, o)
}

// commentFor resolves a comment of the repository; it answers 404 when
// unknown.
func (f *Fake) commentFor(w http.ResponseWriter, r *http.Request) (*repoState, *commentState) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return nil, nil
	}
	id, ok := intParam(w, r, "comment_id")
	if !ok {
		return nil, nil
	}
	for _, c := range f.comments {
		if c.id == id && c.repo == repoKey(rs.owner.Login+"/"+rs.name) {
			return rs, c
		}
	}
	notFound(w)
	return nil, nil
}

func (f *Fake) getComment(w http.ResponseWriter, r *http.Request, api string) {
	rs, c := f.commentFor(w, r)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, issueComment(api, rs, c))
}

func (f *Fake) updateComment(w http.ResponseWriter, r *http.Request, api string) {
	rs, c := f.commentFor(w, r)
	if c == nil {
		return
	}
	body, ok := commentBody(w, r, docUpdateComment)
	if !ok {
		return
	}
	if body != c.body {
		c.body = body
		c.edits++
		c.updated = f.now()
	}
	writeJSON(w, http.StatusOK, issueComment(api, rs, c))
}

func (f *Fake) getUser(w http.ResponseWriter, r *http.Request, api string) {
	if !f.userToken {
		writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, msgReadOnly, docGetUser))
		return
	}
	writeJSON(w, http.StatusOK, publicUser(api, f.identity, f.now().Add(-365*24*time.Hour)))
}

func (f *Fake) prsForCommit(w http.ResponseWriter, r *http.Request, api string) {
	rs := f.repoFor(w, r)
	if rs == nil {
		return
	}
	sha := r.PathValue("commit_sha")
	var prs []*prState
	for _, pr := range rs.prs {
		// A commit that exists only in a fork (the head of a PR from a
		// fork) is not associated with the base repository's PRs: GitHub
		// answers [] for it (observed by several projects).
		forkOnly := pr.headRepo != nil && pr.headRepo != rs
		if (pr.HeadSHA == sha && !forkOnly) || (pr.MergeSHA != "" && pr.MergeSHA == sha) {
			prs = append(prs, pr)
		}
	}
	sortPRs(prs)
	lo, hi := paginate(w, r, api, len(prs))
	out := make([]any, 0, hi-lo)
	for _, pr := range prs[lo:hi] {
		out = append(out, pullRequestSimple(api, rs, pr))
	}
	writeJSON(w, http.StatusOK, out)
}

// sortPRs orders pull requests newest first, as GitHub lists them.
func sortPRs(prs []*prState) {
	slices.SortFunc(prs, func(a, b *prState) int { return b.Number - a.Number })
}
