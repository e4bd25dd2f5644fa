// Package githubtest is a stateful fake of the GitHub REST API endpoints the
// action uses, for tests across the repository and for the container test
// (through the fakegithub tool).
//
// The fake ([Fake], an http.Handler; [NewServer] serves it on a loopback
// address for a test) holds repositories with pull requests and their
// changed files, git blobs (by SHA, computed as git does) and trees, and
// issue comments. It serves:
//
//   - GET  /repos/{owner}/{repo}/pulls/{pull_number}
//   - GET  /repos/{owner}/{repo}/pulls/{pull_number}/files (Link pagination,
//     capped at 3,000 files like GitHub)
//   - GET  /repos/{owner}/{repo}/git/blobs/{file_sha} (raw bytes for an
//     Accept header naming a raw media type, JSON with base64 otherwise)
//   - GET  /repos/{owner}/{repo}/git/trees/{tree_sha}[?recursive=1]
//   - GET, POST /repos/{owner}/{repo}/issues/{issue_number}/comments
//   - GET, PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}
//   - GET  /user (403 for installation tokens, as GitHub answers them)
//   - GET  /repos/{owner}/{repo}/commits/{commit_sha}/pulls
//
// under the prefix /api/v3 by default (the GitHub Enterprise Server layout,
// so that a client that builds absolute paths fails), with GitHub's
// messages and limits: 403 "Resource not accessible by integration" for
// writes in read-only mode, 422 "body is too long (maximum is 65536
// characters)". Faults ([Fault]: 5xx, 429 with Retry-After, secondary and
// primary rate limits) can be injected per endpoint, and requests are
// counted per endpoint ([Fake.Calls]).
//
// Every exchange is validated against GitHub's official OpenAPI
// description: the @octokit/openapi npm package pinned in
// npm/package-lock.json, pruned to the served operations and the components
// they use and committed with its provenance ([PrunedDescriptionFile],
// [LoadDescription]; scripts/regen-openapi.sh regenerates it, and a test
// re-derives it whenever the package is installed). [NewServer] fails the
// test on any violation.
// [PullRequestEvent] returns a real pull_request webhook payload from the
// pinned @octokit/webhooks-examples package, edited to a test's pull
// request.
//
// This package is for tests and test tools only.
package githubtest
