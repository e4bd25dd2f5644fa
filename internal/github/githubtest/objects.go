package githubtest

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// This file renders the fake's state as GitHub's JSON objects, with every
// property GitHub's OpenAPI description requires (the fake's responses are
// validated against it).

// obj is a JSON object.
type obj = map[string]any

// webBase is the web origin used in html_url and similar links.
const webBase = "https://github.com"

// User is a GitHub account.
type User struct {
	// Login is the account name, e.g. "octocat" or "github-actions[bot]".
	Login string `json:"login"`
	// Type is "User", "Bot" or "Organization".
	Type string `json:"type"`
	// ID is the account's numeric id; 0 means one derived from Login.
	ID int64 `json:"id,omitempty"`
}

// ActionsBot is the account GITHUB_TOKEN writes as.
var ActionsBot = User{Login: "github-actions[bot]", Type: "Bot", ID: 41898282}

// id returns u's id, derived from the login when unset.
func (u User) id() int64 {
	if u.ID != 0 {
		return u.ID
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(u.Login)))
	return int64(h.Sum32()%90_000_000) + 1_000_000
}

// typ returns u's type, "User" when unset.
func (u User) typ() string {
	if u.Type == "" {
		return "User"
	}
	return u.Type
}

// nodeID makes an opaque GraphQL-style node id.
func nodeID(prefix string, id int64) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte(prefix+strconv.FormatInt(id, 10)))
}

// timestamp renders t as GitHub does.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// simpleUser renders the simple-user schema.
func simpleUser(api string, u User) obj {
	l := url.PathEscape(u.Login)
	base := api + "/users/" + l
	html := webBase + "/" + l
	if u.typ() == "Bot" {
		html = webBase + "/apps/" + url.PathEscape(strings.TrimSuffix(u.Login, "[bot]"))
	}
	return obj{
		"login":               u.Login,
		"id":                  u.id(),
		"node_id":             nodeID(map[bool]string{true: "BOT", false: "U"}[u.typ() == "Bot"], u.id()),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.id()),
		"gravatar_id":         "",
		"url":                 base,
		"html_url":            html,
		"followers_url":       base + "/followers",
		"following_url":       base + "/following{/other_user}",
		"gists_url":           base + "/gists{/gist_id}",
		"starred_url":         base + "/starred{/owner}{/repo}",
		"subscriptions_url":   base + "/subscriptions",
		"organizations_url":   base + "/orgs",
		"repos_url":           base + "/repos",
		"events_url":          base + "/events{/privacy}",
		"received_events_url": base + "/received_events",
		"type":                u.typ(),
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

// publicUser renders the public-user schema (GET /user for a user token).
func publicUser(api string, u User, created time.Time) obj {
	o := simpleUser(api, u)
	extra := obj{
		"name": nil, "company": nil, "blog": "", "location": nil, "email": nil,
		"hireable": nil, "bio": nil, "twitter_username": nil,
		"public_repos": 1, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": timestamp(created), "updated_at": timestamp(created),
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

// repository renders the repository schema for r.
func repository(api string, r *repoState) obj {
	full := r.owner.Login + "/" + r.name
	base := api + "/repos/" + full
	html := webBase + "/" + full
	created := timestamp(r.created)
	o := obj{
		"id":                          r.id,
		"node_id":                     nodeID("R", r.id),
		"name":                        r.name,
		"full_name":                   full,
		"owner":                       simpleUser(api, r.owner),
		"private":                     r.private,
		"html_url":                    html,
		"description":                 nil,
		"fork":                        r.fork,
		"url":                         base,
		"archive_url":                 base + "/{archive_format}{/ref}",
		"assignees_url":               base + "/assignees{/user}",
		"blobs_url":                   base + "/git/blobs{/sha}",
		"branches_url":                base + "/branches{/branch}",
		"collaborators_url":           base + "/collaborators{/collaborator}",
		"comments_url":                base + "/comments{/number}",
		"commits_url":                 base + "/commits{/sha}",
		"compare_url":                 base + "/compare/{base}...{head}",
		"contents_url":                base + "/contents/{+path}",
		"contributors_url":            base + "/contributors",
		"deployments_url":             base + "/deployments",
		"downloads_url":               base + "/downloads",
		"events_url":                  base + "/events",
		"forks_url":                   base + "/forks",
		"git_commits_url":             base + "/git/commits{/sha}",
		"git_refs_url":                base + "/git/refs{/sha}",
		"git_tags_url":                base + "/git/tags{/sha}",
		"git_url":                     "git://github.com/" + full + ".git",
		"issue_comment_url":           base + "/issues/comments{/number}",
		"issue_events_url":            base + "/issues/events{/number}",
		"issues_url":                  base + "/issues{/number}",
		"keys_url":                    base + "/keys{/key_id}",
		"labels_url":                  base + "/labels{/name}",
		"languages_url":               base + "/languages",
		"merges_url":                  base + "/merges",
		"milestones_url":              base + "/milestones{/number}",
		"notifications_url":           base + "/notifications{?since,all,participating}",
		"pulls_url":                   base + "/pulls{/number}",
		"releases_url":                base + "/releases{/id}",
		"ssh_url":                     "git@github.com:" + full + ".git",
		"stargazers_url":              base + "/stargazers",
		"statuses_url":                base + "/statuses/{sha}",
		"subscribers_url":             base + "/subscribers",
		"subscription_url":            base + "/subscription",
		"tags_url":                    base + "/tags",
		"teams_url":                   base + "/teams",
		"trees_url":                   base + "/git/trees{/sha}",
		"clone_url":                   html + ".git",
		"mirror_url":                  nil,
		"hooks_url":                   base + "/hooks",
		"svn_url":                     html,
		"homepage":                    nil,
		"language":                    "Go",
		"forks_count":                 0,
		"forks":                       0,
		"stargazers_count":            0,
		"watchers_count":              0,
		"watchers":                    0,
		"size":                        1,
		"default_branch":              r.defaultBranch,
		"open_issues_count":           0,
		"open_issues":                 0,
		"is_template":                 false,
		"topics":                      []any{},
		"has_issues":                  true,
		"has_projects":                true,
		"has_wiki":                    true,
		"has_pages":                   false,
		"has_downloads":               true,
		"has_discussions":             false,
		"archived":                    false,
		"disabled":                    false,
		"visibility":                  map[bool]string{true: "private", false: "public"}[r.private],
		"pushed_at":                   created,
		"created_at":                  created,
		"updated_at":                  created,
		"allow_forking":               true,
		"license":                     nil,
		"web_commit_signoff_required": false,
	}
	return o
}

// branch renders a pull request's head or base.
func branch(api string, r *repoState, ref, sha string) obj {
	o := obj{
		"label": r.owner.Login + ":" + ref,
		"ref":   ref,
		"sha":   sha,
		"user":  simpleUser(api, r.owner),
		"repo":  repository(api, r),
	}
	return o
}

// pullRequestSimple renders the pull-request-simple schema (list endpoints).
func pullRequestSimple(api string, base *repoState, pr *prState) obj {
	full := base.owner.Login + "/" + base.name
	apiPR := fmt.Sprintf("%s/repos/%s/pulls/%d", api, full, pr.Number)
	apiIssue := fmt.Sprintf("%s/repos/%s/issues/%d", api, full, pr.Number)
	html := fmt.Sprintf("%s/%s/pull/%d", webBase, full, pr.Number)
	link := func(href string) obj { return obj{"href": href} }
	var closed any
	if pr.State == "closed" {
		closed = timestamp(pr.updated)
	}
	var mergeSHA any
	if pr.MergeSHA != "" {
		mergeSHA = pr.MergeSHA
	}
	return obj{
		"url":                 apiPR,
		"id":                  pr.id,
		"node_id":             nodeID("PR", pr.id),
		"html_url":            html,
		"diff_url":            html + ".diff",
		"patch_url":           html + ".patch",
		"issue_url":           apiIssue,
		"commits_url":         apiPR + "/commits",
		"review_comments_url": apiPR + "/comments",
		"review_comment_url":  api + "/repos/" + full + "/pulls/comments{/number}",
		"comments_url":        apiIssue + "/comments",
		"statuses_url":        api + "/repos/" + full + "/statuses/" + pr.HeadSHA,
		"number":              pr.Number,
		"state":               pr.State,
		"locked":              false,
		"active_lock_reason":  nil,
		"title":               pr.Title,
		"user":                simpleUser(api, pr.Author),
		"body":                nilIfEmpty(pr.Body),
		"labels":              []any{},
		"milestone":           nil,
		"created_at":          timestamp(pr.created),
		"updated_at":          timestamp(pr.updated),
		"closed_at":           closed,
		"merged_at":           nil,
		"merge_commit_sha":    mergeSHA,
		"assignee":            nil,
		"assignees":           []any{},
		"requested_reviewers": []any{},
		"requested_teams":     []any{},
		"head":                branch(api, pr.headRepo, pr.HeadRef, pr.HeadSHA),
		"base":                branch(api, base, pr.BaseRef, pr.BaseSHA),
		"_links": obj{
			"self":            link(apiPR),
			"html":            link(html),
			"issue":           link(apiIssue),
			"comments":        link(apiIssue + "/comments"),
			"review_comments": link(apiPR + "/comments"),
			"review_comment":  link(api + "/repos/" + full + "/pulls/comments{/number}"),
			"commits":         link(apiPR + "/commits"),
			"statuses":        link(api + "/repos/" + full + "/statuses/" + pr.HeadSHA),
		},
		"author_association": pr.association(),
		"auto_merge":         nil,
		"draft":              pr.Draft,
	}
}

// pullRequest renders the full pull-request schema (GET one pull request).
func pullRequest(api string, base *repoState, pr *prState, comments int) obj {
	o := pullRequestSimple(api, base, pr)
	adds, dels := 0, 0
	for _, f := range pr.files {
		adds += f.additions
		dels += f.deletions
	}
	o["merged"] = false
	o["mergeable"] = nil
	o["rebaseable"] = nil
	o["mergeable_state"] = "unknown"
	o["merged_by"] = nil
	o["comments"] = comments
	o["review_comments"] = 0
	o["maintainer_can_modify"] = pr.headRepo != base
	o["commits"] = 1
	o["additions"] = adds
	o["deletions"] = dels
	o["changed_files"] = len(pr.files)
	return o
}

// diffEntry renders the diff-entry schema for a changed file.
func diffEntry(api string, base *repoState, pr *prState, f *fileState) obj {
	full := base.owner.Login + "/" + base.name
	p := escapePath(f.Path)
	o := obj{
		"sha":          nilIfEmpty(f.sha),
		"filename":     f.Path,
		"status":       f.Status,
		"additions":    f.additions,
		"deletions":    f.deletions,
		"changes":      f.additions + f.deletions,
		"blob_url":     fmt.Sprintf("%s/%s/blob/%s/%s", webBase, full, pr.HeadSHA, p),
		"raw_url":      fmt.Sprintf("%s/%s/raw/%s/%s", webBase, full, pr.HeadSHA, p),
		"contents_url": fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", api, full, p, pr.HeadSHA),
	}
	if f.PreviousPath != "" {
		o["previous_filename"] = f.PreviousPath
	}
	return o
}

// issueComment renders the issue-comment schema.
func issueComment(api string, r *repoState, c *commentState) obj {
	full := r.owner.Login + "/" + r.name
	kind := "issues"
	if _, isPR := r.prs[c.issue]; isPR {
		kind = "pull"
	}
	return obj{
		"id":                 c.id,
		"node_id":            nodeID("IC", c.id),
		"url":                fmt.Sprintf("%s/repos/%s/issues/comments/%d", api, full, c.id),
		"html_url":           fmt.Sprintf("%s/%s/%s/%d#issuecomment-%d", webBase, full, kind, c.issue, c.id),
		"issue_url":          fmt.Sprintf("%s/repos/%s/issues/%d", api, full, c.issue),
		"body":               c.body,
		"user":               simpleUser(api, c.user),
		"created_at":         timestamp(c.created),
		"updated_at":         timestamp(c.updated),
		"author_association": authorAssociation(r, c.user),
	}
}

// authorAssociation is how u relates to r, roughly as GitHub says it.
func authorAssociation(r *repoState, u User) string {
	switch {
	case strings.EqualFold(u.Login, r.owner.Login):
		return "OWNER"
	case u.typ() == "Bot":
		return "NONE"
	}
	return "CONTRIBUTOR"
}

// blobJSON renders the blob schema (base64 content wrapped at 60 columns, as
// GitHub sends it).
func blobJSON(api string, r *repoState, sha string, content []byte) obj {
	enc := base64.StdEncoding.EncodeToString(content)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60])
		b.WriteByte('\n')
		enc = enc[60:]
	}
	b.WriteString(enc)
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	return obj{
		"sha":      sha,
		"node_id":  nodeID("B", int64(len(sha))),
		"size":     len(content),
		"url":      fmt.Sprintf("%s/repos/%s/%s/git/blobs/%s", api, r.owner.Login, r.name, sha),
		"content":  b.String(),
		"encoding": "base64",
	}
}

// treeJSON renders the git-tree schema.
func treeJSON(api string, r *repoState, t *treeState) obj {
	full := r.owner.Login + "/" + r.name
	entries := make([]any, 0, len(t.entries))
	for _, e := range t.entries {
		o := obj{"path": e.path, "mode": e.mode, "type": e.typ, "sha": e.sha}
		switch e.typ {
		case "blob":
			o["size"] = e.size
			o["url"] = fmt.Sprintf("%s/repos/%s/git/blobs/%s", api, full, e.sha)
		case "tree":
			o["url"] = fmt.Sprintf("%s/repos/%s/git/trees/%s", api, full, e.sha)
		}
		entries = append(entries, o)
	}
	return obj{
		"sha":       t.sha,
		"url":       fmt.Sprintf("%s/repos/%s/git/trees/%s", api, full, t.sha),
		"tree":      entries,
		"truncated": t.truncated,
	}
}

// errorBody renders GitHub's basic-error object.
func errorBody(status int, message, doc string) obj {
	if doc == "" {
		doc = "https://docs.github.com/rest"
	}
	return obj{"message": message, "documentation_url": doc, "status": strconv.Itoa(status)}
}

// nilIfEmpty maps "" to JSON null.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// escapePath escapes each segment of a repository path for a URL.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
