package githubtest

import "strings"

// The endpoints the fake serves, named "METHOD PATH" with PATH exactly as in
// GitHub's OpenAPI description. They key [Fake.Calls] and [Fault.Endpoint].
const (
	EndpointGetPR         = "GET /repos/{owner}/{repo}/pulls/{pull_number}"
	EndpointListFiles     = "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"
	EndpointGetBlob       = "GET /repos/{owner}/{repo}/git/blobs/{file_sha}"
	EndpointGetTree       = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"
	EndpointListComments  = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
	EndpointCreateComment = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
	EndpointGetComment    = "GET /repos/{owner}/{repo}/issues/comments/{comment_id}"
	EndpointUpdateComment = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
	EndpointGetUser       = "GET /user"
	EndpointPRsForCommit  = "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls"
	EndpointGetRepo       = "GET /repos/{owner}/{repo}"
	EndpointListPulls     = "GET /repos/{owner}/{repo}/pulls"
	EndpointCreateStatus  = "POST /repos/{owner}/{repo}/statuses/{sha}"
	EndpointGetRef        = "GET /repos/{owner}/{repo}/git/ref/{ref}"
)

// Endpoints lists every endpoint the fake serves.
func Endpoints() []string {
	return []string{
		EndpointGetPR, EndpointListFiles, EndpointGetBlob, EndpointGetTree,
		EndpointListComments, EndpointCreateComment, EndpointGetComment,
		EndpointUpdateComment, EndpointGetUser, EndpointPRsForCommit,
		EndpointGetRepo, EndpointListPulls, EndpointCreateStatus, EndpointGetRef,
		EndpointListIssues, EndpointCreateIssue, EndpointUpdateIssue, // issues.go
	}
}

// splitEndpoint returns an endpoint's method and OpenAPI path.
func splitEndpoint(e string) (method, path string) {
	method, path, _ = strings.Cut(e, " ")
	return method, path
}

// multiSegment lists the parameters GitHub marks x-multi-segment (a
// tree-ish may be a branch name with slashes): they match the rest of the
// path.
var multiSegment = map[string]bool{"tree_sha": true, "ref": true}

// route is an endpoint's path template, split into segments.
type route struct {
	endpoint, method string
	segs             []string
	literals         int
}

// newRoutes prepares the templates of endpoints.
func newRoutes(endpoints []string) []route {
	var rs []route
	for _, e := range endpoints {
		method, path := splitEndpoint(e)
		r := route{endpoint: e, method: method, segs: strings.Split(strings.Trim(path, "/"), "/")}
		for _, s := range r.segs {
			if !strings.HasPrefix(s, "{") {
				r.literals++
			}
		}
		rs = append(rs, r)
	}
	return rs
}

// match finds the endpoint for method and path (GitHub's routing: literal
// segments win over parameters, so issues/comments/{id} is not an
// issue_number of "comments"). It returns the endpoint ("" when none) and
// the path parameters.
func match(routes []route, method, path string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLiterals := -1, -1
	var bestParams map[string]string
	for i, r := range routes {
		if r.method != method {
			continue
		}
		params, ok := r.match(segs)
		if ok && r.literals > bestLiterals {
			best, bestLiterals, bestParams = i, r.literals, params
		}
	}
	if best < 0 {
		return "", nil
	}
	return routes[best].endpoint, bestParams
}

// match matches segs against the template.
func (r route) match(segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, t := range r.segs {
		if i >= len(segs) {
			return nil, false
		}
		if !strings.HasPrefix(t, "{") {
			if segs[i] != t {
				return nil, false
			}
			continue
		}
		name := strings.Trim(t, "{}")
		if multiSegment[name] && i == len(r.segs)-1 {
			params[name] = strings.Join(segs[i:], "/")
			return params, params[name] != ""
		}
		if segs[i] == "" {
			return nil, false
		}
		params[name] = segs[i]
	}
	return params, len(segs) == len(r.segs)
}
