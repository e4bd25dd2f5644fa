package githubtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// EventPR is what [PullRequestEvent] writes into GitHub's example payload.
type EventPR struct {
	// Repo is the base repository, "owner/name".
	Repo   string
	Number int
	// Title replaces the example's title when not empty.
	Title string
	// HeadSHA, HeadRef, BaseSHA and BaseRef replace the example's.
	HeadSHA, HeadRef string
	BaseSHA, BaseRef string
	// HeadRepo is the head repository, "owner/name"; empty means Repo (a
	// same-repository pull request), anything else makes a fork's.
	HeadRepo string
}

// webhookExample is one entry of @octokit/webhooks-examples' index.
type webhookExample struct {
	Name     string            `json:"name"`
	Actions  []string          `json:"actions"`
	Examples []json.RawMessage `json:"examples"`
}

var (
	examplesOnce sync.Once
	examplesVal  []json.RawMessage // pull_request examples
	examplesErr  error
)

// pullRequestExamples returns the pull_request payload examples, read once.
func pullRequestExamples() ([]json.RawMessage, error) {
	examplesOnce.Do(func() {
		file, _, err := packageFile(webhooksPackage, webhooksExamples)
		if err != nil {
			examplesErr = err
			return
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			examplesErr = fmt.Errorf("githubtest: %w", err)
			return
		}
		var all []webhookExample
		if err := json.Unmarshal(raw, &all); err != nil {
			examplesErr = fmt.Errorf("githubtest: %s: %w", file, err)
			return
		}
		for _, w := range all {
			if w.Name == "pull_request" {
				examplesVal = w.Examples
				return
			}
		}
		examplesErr = fmt.Errorf("githubtest: %s has no pull_request examples", file)
	})
	return examplesVal, examplesErr
}

// PullRequestEvent returns a real pull_request webhook payload (the first
// example with action from the pinned @octokit/webhooks-examples package)
// edited to describe pr: repository, number, title, head and base SHAs,
// refs and repositories (the URLs that name the repository and the pull
// request are rewritten too). It is the file GITHUB_EVENT_PATH points to.
// The test is skipped when the package is absent, and fails under CI=true.
func PullRequestEvent(t testing.TB, action string, pr EventPR) []byte {
	t.Helper()
	b, err := PullRequestEventJSON(action, pr)
	if err != nil {
		if errors.Is(err, ErrFixturesMissing) {
			missingFixture(t, "pull_request webhook example", err)
		}
		t.Fatalf("%v", err)
	}
	return b
}

// PullRequestEvent is the package-level PullRequestEvent for pull request
// number of repo as registered in the fake.
func (f *Fake) PullRequestEvent(t testing.TB, action, repo string, number int) []byte {
	t.Helper()
	ev, err := f.eventPR(repo, number)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return PullRequestEvent(t, action, ev)
}

// EventPR returns the [EventPR] describing pull request number of repo.
func (f *Fake) EventPR(repo string, number int) (EventPR, error) { return f.eventPR(repo, number) }

func (f *Fake) eventPR(repo string, number int) (EventPR, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs, _ := f.repo(repo, false)
	if rs == nil || rs.prs[number] == nil {
		return EventPR{}, fmt.Errorf("githubtest: no PR #%d in %s", number, repo)
	}
	pr := rs.prs[number]
	return EventPR{
		Repo: rs.owner.Login + "/" + rs.name, Number: number, Title: pr.Title,
		HeadSHA: pr.HeadSHA, HeadRef: pr.HeadRef, BaseSHA: pr.BaseSHA, BaseRef: pr.BaseRef,
		HeadRepo: pr.headRepo.owner.Login + "/" + pr.headRepo.name,
	}, nil
}

// PullRequestEventJSON is [PullRequestEvent] without a testing.TB.
func PullRequestEventJSON(action string, pr EventPR) ([]byte, error) {
	examples, err := pullRequestExamples()
	if err != nil {
		return nil, err
	}
	var ex map[string]any
	var seen []string
	for _, raw := range examples {
		var e map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&e); err != nil {
			return nil, fmt.Errorf("githubtest: pull_request example: %w", err)
		}
		a, _ := e["action"].(string)
		if a == action {
			ex = e
			break
		}
		seen = append(seen, a)
	}
	if ex == nil {
		sort.Strings(seen)
		return nil, fmt.Errorf("githubtest: no pull_request example with action %q (have %s)", action, strings.Join(dedupe(seen), ", "))
	}
	baseOwner, baseName, err := splitRepo(pr.Repo)
	if err != nil {
		return nil, err
	}
	if pr.HeadRepo == "" {
		pr.HeadRepo = pr.Repo
	}
	headOwner, headName, err := splitRepo(pr.HeadRepo)
	if err != nil {
		return nil, err
	}
	if pr.Number <= 0 {
		return nil, fmt.Errorf("githubtest: PR number %d: want > 0", pr.Number)
	}

	p, _ := ex["pull_request"].(map[string]any)
	repoObj, _ := ex["repository"].(map[string]any)
	if p == nil || repoObj == nil {
		return nil, fmt.Errorf("githubtest: pull_request example %q lacks pull_request or repository", action)
	}
	head, _ := p["head"].(map[string]any)
	base, _ := p["base"].(map[string]any)
	if head == nil || base == nil {
		return nil, fmt.Errorf("githubtest: pull_request example %q lacks head or base", action)
	}
	oldBase, _ := repoObj["full_name"].(string)
	oldNumber := fmt.Sprint(ex["number"])
	headRepo, _ := head["repo"].(map[string]any)
	oldHead := oldBase
	if headRepo != nil {
		oldHead, _ = headRepo["full_name"].(string)
	}

	// Rewrite the URLs and names that mention the repositories and the
	// pull request number.
	numRE := regexp.MustCompile(`(/(?:pull|pulls|issues)/)` + regexp.QuoteMeta(oldNumber) + `\b`)
	subst := func(s string) string {
		if oldHead != oldBase && oldHead != "" {
			s = strings.ReplaceAll(s, oldHead, pr.HeadRepo)
		}
		s = strings.ReplaceAll(s, oldBase, pr.Repo)
		return numRE.ReplaceAllString(s, "${1}"+fmt.Sprint(pr.Number))
	}
	rewriteStrings(ex, subst)

	ex["number"] = pr.Number
	p["number"] = pr.Number
	if pr.Title != "" {
		p["title"] = pr.Title
	}
	setRepo(repoObj, baseOwner, baseName, false)
	if br, ok := base["repo"].(map[string]any); ok {
		setRepo(br, baseOwner, baseName, false)
	}
	base["sha"], base["ref"], base["label"] = pr.BaseSHA, pr.BaseRef, baseOwner+":"+pr.BaseRef
	head["sha"], head["ref"], head["label"] = pr.HeadSHA, pr.HeadRef, headOwner+":"+pr.HeadRef
	fork := repoKey(pr.HeadRepo) != repoKey(pr.Repo)
	if fork {
		// A fork's repository object: the base's, renamed.
		hr := deepCopy(repoObj).(map[string]any)
		rewriteStrings(hr, func(s string) string { return strings.ReplaceAll(s, pr.Repo, pr.HeadRepo) })
		if id, ok := hr["id"].(json.Number); ok {
			hr["id"] = json.Number(string(id) + "1")
		}
		setRepo(hr, headOwner, headName, true)
		head["repo"] = hr
	} else if hr, ok := head["repo"].(map[string]any); ok {
		setRepo(hr, headOwner, headName, false)
	}
	if u, ok := head["user"].(map[string]any); ok {
		u["login"] = headOwner
	}
	if u, ok := base["user"].(map[string]any); ok {
		u["login"] = baseOwner
	}
	return json.MarshalIndent(ex, "", "  ")
}

// setRepo names repository object r owner/name and sets its fork flag.
func setRepo(r map[string]any, owner, name string, fork bool) {
	r["name"] = name
	r["full_name"] = owner + "/" + name
	r["fork"] = fork
	if o, ok := r["owner"].(map[string]any); ok {
		o["login"] = owner
	}
}

// rewriteStrings applies f to every string value in v, in place.
func rewriteStrings(v any, f func(string) string) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if s, ok := c.(string); ok {
				v[k] = f(s)
				continue
			}
			rewriteStrings(c, f)
		}
	case []any:
		for i, c := range v {
			if s, ok := c.(string); ok {
				v[i] = f(s)
				continue
			}
			rewriteStrings(c, f)
		}
	}
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, c := range v {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, c := range v {
			s[i] = deepCopy(c)
		}
		return s
	}
	return v
}

// dedupe removes adjacent duplicates of a sorted slice.
func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
