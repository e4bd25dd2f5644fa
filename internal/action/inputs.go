// Package action is the GitHub Action mode of verify-evidence: it reads the
// inputs and the event, finds the recipes a pull request touches, verifies each
// bundle against the recipe at the PR head, and reports through one sticky
// comment, the job summary, annotations and outputs.
package action

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/verify"
)

// FailOn says which outcomes fail the job.
type FailOn string

// fail-on values, from strictest to most lenient.
const (
	FailOnMissing FailOn = "missing" // invalid, failing, undecided or missing evidence fails
	FailOnFailing FailOn = "failing" // invalid, failing or undecided evidence fails
	FailOnInvalid FailOn = "invalid" // only invalid or undecided evidence fails
	FailOnNever   FailOn = "never"
)

// CommentMode says when to post the sticky comment.
type CommentMode string

// comment values.
const (
	CommentAuto   CommentMode = "auto"   // post when the PR touches evidence or recipes; update an existing one always
	CommentAlways CommentMode = "always" // post even when there is nothing to verify
	CommentNever  CommentMode = "never"
)

// Mode is the stage of the workflow the action runs in.
type Mode string

// mode values.
const (
	ModeVerify  Mode = "verify"  // pull_request stage 1: verify, report, and comment when the token may (advisory)
	ModeComment Mode = "comment" // workflow_run stage 2: re-derive the PR, re-verify through the API, comment and set the commit status
)

// DefaultStatusContext is the commit status stage 2 sets on the PR's head:
// the check branch protection requires.
const DefaultStatusContext = "recipe-evidence"

// Inputs are the action's inputs (action.yml).
type Inputs struct {
	Token              string
	RecipePaths        []string
	EvidenceDir        string
	TrustedRoot        string
	Policy             string
	PolicyExplicit     bool
	Issuers            []string
	IdentityRegexps    []string
	MaxAge             time.Duration
	FailOn             FailOn
	Comment            CommentMode
	Mode               Mode
	ReportPath         string
	ResolvedRecipesDir string
	// CommentAuthor is the login the sticky comment is written by; empty:
	// derived from the token (GET /user for a user's token; an
	// installation token, which may not call it, matches bot authors).
	CommentAuthor string
	// StatusContext names the commit status mode comment sets.
	StatusContext string
	// Require is what the pinned signers' certificates must show (the
	// certificate-* extension inputs).
	Require policy.Requirements
	// IgnoreSCT drops the requirement of a signed certificate timestamp
	// (insecure-ignore-sct, cosign's flag): for a Sigstore instance without
	// a certificate-transparency log. The comment says so.
	IgnoreSCT bool
	// RegistryPlainHTTP are the registries (host:port, loopback only) that
	// pointer files' artifacts are pulled from over plain HTTP.
	RegistryPlainHTTP []string
}

// DefaultPolicyName is the policy file, in evidence-dir, used when the
// policy input is empty (read at the tip of the default branch).
const DefaultPolicyName = "policy.yaml"

// InputGetter reads an action input by name, as go-githubactions does.
type InputGetter func(name string) string

// ParseInputs reads and validates every input; the error names the input.
func ParseInputs(get InputGetter) (Inputs, error) {
	in := Inputs{
		Token:              get("github-token"),
		EvidenceDir:        strings.Trim(orDefault(get("evidence-dir"), "recipes/evidence"), "/"),
		TrustedRoot:        get("trusted-root"),
		Policy:             get("policy"),
		ReportPath:         get("report-path"),
		ResolvedRecipesDir: strings.Trim(get("resolved-recipes-dir"), "/"),
		FailOn:             FailOn(orDefault(get("fail-on"), string(FailOnInvalid))),
		Comment:            CommentMode(orDefault(get("comment"), string(CommentAuto))),
		Mode:               Mode(orDefault(get("mode"), string(ModeVerify))),
		CommentAuthor:      strings.TrimSpace(get("comment-author")),
		StatusContext:      orDefault(get("status-context"), DefaultStatusContext),
	}
	in.PolicyExplicit = in.Policy != ""
	if in.Policy == "" {
		in.Policy = in.EvidenceDir + "/" + DefaultPolicyName
	}
	for name, p := range map[string]string{"policy": in.Policy, "trusted-root": in.TrustedRoot} {
		if p != "" && !repoPath(p) {
			return in, fmt.Errorf("input %s: %q is not a path in the repository (relative, clean, no \"..\")", name, p)
		}
	}
	if len(in.StatusContext) > 100 || strings.ContainsFunc(in.StatusContext, unicode.IsControl) {
		return in, fmt.Errorf("input status-context: %q: at most 100 characters, no control characters", in.StatusContext)
	}
	in.RecipePaths = splitList(orDefault(get("recipe-paths"), "recipes/**/*.yaml"))
	in.Issuers = splitList(get("certificate-oidc-issuer"))
	in.IdentityRegexps = splitList(get("certificate-identity-regexp"))
	in.Require = policy.Requirements{
		SourceRepositoryURI:             strings.TrimSpace(get("certificate-source-repository-uri")),
		SourceRepositoryIdentifier:      strings.TrimSpace(get("certificate-source-repository-identifier")),
		SourceRepositoryOwnerIdentifier: strings.TrimSpace(get("certificate-source-repository-owner-identifier")),
		SourceRepositoryRef:             strings.TrimSpace(get("certificate-source-repository-ref")),
		BuildSignerURI:                  strings.TrimSpace(get("certificate-build-signer-uri")),
		BuildConfigURI:                  strings.TrimSpace(get("certificate-build-config-uri")),
		BuildTriggers:                   splitList(get("certificate-build-trigger")),
		RunnerEnvironment:               strings.TrimSpace(get("certificate-runner-environment")),
	}
	switch v := orDefault(get("insecure-ignore-sct"), "false"); v {
	case "true", "false":
		in.IgnoreSCT = v == "true"
	default:
		return in, fmt.Errorf("input insecure-ignore-sct: %q, want true or false", v)
	}
	for _, h := range splitList(get("registry-plain-http")) {
		if !pointercheck.LoopbackRegistry(h) {
			return in, fmt.Errorf("input registry-plain-http: %q is not a registry on loopback (127.0.0.1:PORT, [::1]:PORT or localhost:PORT): any other registry is reached over HTTPS only", h)
		}
		in.RegistryPlainHTTP = append(in.RegistryPlainHTTP, h)
	}
	var err error
	in.MaxAge, err = verify.ParseMaxAge(orDefault(get("max-age"), "365d"))
	if err != nil {
		return in, fmt.Errorf("input max-age: %w", err)
	}
	switch in.FailOn {
	case FailOnMissing, FailOnFailing, FailOnInvalid, FailOnNever:
	default:
		return in, fmt.Errorf("input fail-on: %q, want invalid, failing, missing or never", in.FailOn)
	}
	switch in.Comment {
	case CommentAuto, CommentAlways, CommentNever:
	default:
		return in, fmt.Errorf("input comment: %q, want auto, always or never", in.Comment)
	}
	switch in.Mode {
	case ModeVerify, ModeComment, ModeSweep:
	default:
		return in, fmt.Errorf("input mode: %q, want verify, comment or sweep", in.Mode)
	}
	if in.Token == "" {
		return in, errors.New("input github-token is empty")
	}
	return in, nil
}

// Pins are the signers pinned through the inputs, labelled "action inputs" in
// reports. policy.FromPins(in.Pins()) builds and checks them; its errors name
// the inputs.
func (in Inputs) Pins() policy.Pins {
	return policy.Pins{Class: policy.ClassActionInputs, Issuers: in.Issuers, IdentityRegexps: in.IdentityRegexps, Require: in.Require}
}

// PlainHTTP reports whether the registry reg (host:port as a pointer names
// it) is one the inputs allow over plain HTTP.
func (in Inputs) PlainHTTP(reg string) bool {
	for _, h := range in.RegistryPlainHTTP {
		if h == reg {
			return true
		}
	}
	return false
}

// splitList splits a multi-line or comma-separated input, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, part := range strings.Split(line, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// repoPath reports whether p is a clean, relative path inside a repository.
func repoPath(p string) bool {
	return p != "" && !strings.HasPrefix(p, "/") && path.Clean(p) == p && p != "." && !strings.HasPrefix(p, "../") && p != ".." && !strings.Contains(p, "\\")
}

func orDefault(v, d string) string {
	if strings.TrimSpace(v) == "" {
		return d
	}
	return strings.TrimSpace(v)
}

// Fails reports whether a report with these counts fails the job under f.
func (f FailOn) Fails(c countsView) bool {
	switch f {
	case FailOnNever:
		return false
	case FailOnInvalid:
		return c.invalid+c.errors > 0
	case FailOnFailing:
		return c.invalid+c.errors+c.failing > 0
	default:
		return c.invalid+c.errors+c.failing+c.missing > 0
	}
}

type countsView struct{ invalid, errors, failing, missing int }
