//lint:file-ignore SA1019 Real Fulcio still writes the legacy 1.1–1.6 extensions next to the new ones, and so must this test CA.

package sigstoretest

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// GitHubIssuer is the OIDC issuer of GitHub Actions tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

const githubBaseURL = "https://github.com/"

// Identity is the signer the fake Fulcio certifies.
type Identity struct {
	// SAN is the certificate's subject alternative name: a URI SAN such as
	// https://github.com/acme/recipes/.github/workflows/evidence.yml@refs/heads/main,
	// or, when it has no scheme and contains "@", an email SAN.
	SAN string

	// Issuer is the OIDC issuer, e.g. https://token.actions.githubusercontent.com.
	// It is encoded in both the legacy (1.3.6.1.4.1.57264.1.1) and the v2
	// (1.3.6.1.4.1.57264.1.8) issuer extensions. If empty, Extensions.Issuer
	// is used; if both are set they must be equal.
	Issuer string

	// Extensions are the Fulcio certificate extensions. Every non-empty
	// field is encoded under its OID: the v2 fields (1.3.6.1.4.1.57264.1.8
	// and up) as DER UTF8String, the deprecated GithubWorkflow* fields
	// (1.3.6.1.4.1.57264.1.2 to .6) as raw bytes, as Fulcio does.
	Extensions certificate.Extensions
}

// DefaultIdentity is the identity used when [SignOptions.Identity] is the
// zero value: a push-triggered GitHub Actions run of
// acme/recipes/.github/workflows/evidence.yml on refs/heads/main.
func DefaultIdentity() Identity {
	return GitHubActionsIdentity("acme/recipes", ".github/workflows/evidence.yml", "refs/heads/main",
		"0123456789abcdef0123456789abcdef01234567", 1)
}

// GitHubActionsIdentity returns the identity the public-good Fulcio gives a
// GitHub Actions workflow run (not a reusable workflow) of workflowPath in
// repo ("owner/name") at ref and commit sha: SAN
// https://github.com/<repo>/<workflowPath>@<ref>, issuer
// https://token.actions.githubusercontent.com, and the extensions Fulcio
// derives from the token (source repository URI/ref/digest/owner, build
// signer and build config URI/digest, run invocation URI
// https://github.com/<repo>/actions/runs/<runID>/attempts/1, runner
// environment github-hosted, trigger push, plus the legacy GitHub
// extensions). It is exactly what [Instance.FulcioHandler] issues for a
// token with [GitHubActionsClaims] of the same arguments.
func GitHubActionsIdentity(repo, workflowPath, ref, sha string, runID int64) Identity {
	return githubIdentity(GitHubActionsClaims(repo, workflowPath, ref, sha, runID))
}

// GitHubActionsClaims returns the claims of the OIDC token GitHub Actions
// issues (audience "sigstore") to a push-triggered, github-hosted run of
// workflowPath in repo at ref and sha, as [Instance.FulcioHandler] reads
// them. Numeric-looking claims are strings, as in real tokens. Encode them
// with [UnsignedJWT].
func GitHubActionsClaims(repo, workflowPath, ref, sha string, runID int64) map[string]any {
	owner, _, _ := strings.Cut(repo, "/")
	workflowRef := repo + "/" + strings.TrimPrefix(workflowPath, "/") + "@" + ref
	return map[string]any{
		"iss":                GitHubIssuer,
		"aud":                "sigstore",
		"sub":                "repo:" + repo + ":ref:" + ref,
		"ref":                ref,
		"sha":                sha,
		"repository":         repo,
		"repository_owner":   owner,
		"run_id":             strconv.FormatInt(runID, 10),
		"run_attempt":        "1",
		"event_name":         "push",
		"runner_environment": "github-hosted",
		"workflow_ref":       workflowRef,
		"workflow_sha":       sha,
		"job_workflow_ref":   workflowRef,
		"job_workflow_sha":   sha,
	}
}

// UnsignedJWT encodes claims as a compact JWT with algorithm "none" and an
// empty signature. The fake Fulcio does not verify token signatures, and
// sigstore-go's Fulcio client only reads the payload.
func UnsignedJWT(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	if err != nil {
		return "", fmt.Errorf("sigstoretest: encoding JWT header: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sigstoretest: encoding JWT claims: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
}

// identityFromClaims maps OIDC token claims to an identity the way Fulcio
// does: GitHub Actions tokens (with a job_workflow_ref claim) get a workflow
// URI SAN and the CI extensions; other tokens get their verified email, or
// their subject, as SAN.
func identityFromClaims(claims map[string]any) (Identity, error) {
	c := func(name string) string { return claimString(claims[name]) }
	iss := c("iss")
	if iss == "" {
		return Identity{}, errors.New("token has no iss claim")
	}
	if c("job_workflow_ref") != "" {
		return githubIdentity(claims), nil
	}
	if email := c("email"); email != "" {
		if v, _ := claims["email_verified"].(bool); !v {
			return Identity{}, errors.New("token email is not verified (email_verified is not true)")
		}
		return Identity{SAN: email, Issuer: iss}, nil
	}
	if sub := c("sub"); sub != "" {
		return Identity{SAN: sub, Issuer: iss}, nil
	}
	return Identity{}, errors.New("token has neither email nor sub claim")
}

// githubIdentity maps the claims of a GitHub Actions token to the identity
// Fulcio certifies for it (see fulcio's pkg/identity/github).
func githubIdentity(claims map[string]any) Identity {
	c := func(name string) string { return claimString(claims[name]) }
	jwr, iss := c("job_workflow_ref"), c("iss")
	withBase := func(s string) string {
		if s == "" {
			return ""
		}
		return githubBaseURL + s
	}
	id := Identity{
		SAN:    githubBaseURL + jwr,
		Issuer: iss,
		Extensions: certificate.Extensions{
			GithubWorkflowTrigger:               c("event_name"),
			GithubWorkflowSHA:                   c("sha"),
			GithubWorkflowName:                  c("workflow"),
			GithubWorkflowRepository:            c("repository"),
			GithubWorkflowRef:                   c("ref"),
			BuildSignerURI:                      githubBaseURL + jwr,
			BuildSignerDigest:                   c("job_workflow_sha"),
			RunnerEnvironment:                   c("runner_environment"),
			SourceRepositoryURI:                 withBase(c("repository")),
			SourceRepositoryDigest:              c("sha"),
			SourceRepositoryRef:                 c("ref"),
			SourceRepositoryIdentifier:          c("repository_id"),
			SourceRepositoryOwnerURI:            withBase(c("repository_owner")),
			SourceRepositoryOwnerIdentifier:     c("repository_owner_id"),
			BuildConfigURI:                      withBase(c("workflow_ref")),
			BuildConfigDigest:                   c("workflow_sha"),
			BuildTrigger:                        c("event_name"),
			SourceRepositoryVisibilityAtSigning: c("repository_visibility"),
		},
	}
	if repo, runID := c("repository"), c("run_id"); repo != "" && runID != "" {
		attempt := c("run_attempt")
		if attempt == "" {
			attempt = "1"
		}
		id.Extensions.RunInvocationURI = githubBaseURL + repo + "/actions/runs/" + runID + "/attempts/" + attempt
	}
	return id
}

// claimString renders a scalar claim as a string; JSON numbers that are
// integers print without exponent or fraction.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		return ""
	}
}

// sanFields returns the URI or email SAN the certificate carries.
func (id Identity) sanFields() (uris []*url.URL, emails []string, err error) {
	switch {
	case id.SAN == "":
		return nil, nil, errors.New("identity has an empty SAN")
	case strings.Contains(id.SAN, "://"):
		u, err := url.Parse(id.SAN)
		if err != nil {
			return nil, nil, fmt.Errorf("identity SAN %q: %w", id.SAN, err)
		}
		if u.Scheme == "" {
			return nil, nil, fmt.Errorf("identity SAN %q has no scheme", id.SAN)
		}
		return []*url.URL{u}, nil, nil
	case strings.Contains(id.SAN, "@"):
		return nil, []string{id.SAN}, nil
	default:
		return nil, nil, fmt.Errorf("identity SAN %q is neither a URI nor an email address", id.SAN)
	}
}

// issuer returns the effective OIDC issuer.
func (id Identity) issuer() (string, error) {
	iss, ext := id.Issuer, id.Extensions.Issuer
	switch {
	case iss == "" && ext == "":
		return "", errors.New("identity has no issuer")
	case iss == "":
		return ext, nil
	case ext != "" && ext != iss:
		return "", fmt.Errorf("identity issuer %q differs from Extensions.Issuer %q", iss, ext)
	default:
		return iss, nil
	}
}

// certExtensions renders the Fulcio extensions for the identity, ordered by
// OID: the legacy issuer and GitHub extensions as raw bytes, the v2 ones as
// DER UTF8String.
func (id Identity) certExtensions() ([]pkix.Extension, error) {
	iss, err := id.issuer()
	if err != nil {
		return nil, err
	}
	e := id.Extensions
	fields := []struct {
		oid    asn1.ObjectIdentifier
		value  string
		legacy bool
	}{
		{certificate.OIDIssuer, iss, true},
		{certificate.OIDGitHubWorkflowTrigger, e.GithubWorkflowTrigger, true},
		{certificate.OIDGitHubWorkflowSHA, e.GithubWorkflowSHA, true},
		{certificate.OIDGitHubWorkflowName, e.GithubWorkflowName, true},
		{certificate.OIDGitHubWorkflowRepository, e.GithubWorkflowRepository, true},
		{certificate.OIDGitHubWorkflowRef, e.GithubWorkflowRef, true},
		{certificate.OIDIssuerV2, iss, false},
		{certificate.OIDBuildSignerURI, e.BuildSignerURI, false},
		{certificate.OIDBuildSignerDigest, e.BuildSignerDigest, false},
		{certificate.OIDRunnerEnvironment, e.RunnerEnvironment, false},
		{certificate.OIDSourceRepositoryURI, e.SourceRepositoryURI, false},
		{certificate.OIDSourceRepositoryDigest, e.SourceRepositoryDigest, false},
		{certificate.OIDSourceRepositoryRef, e.SourceRepositoryRef, false},
		{certificate.OIDSourceRepositoryIdentifier, e.SourceRepositoryIdentifier, false},
		{certificate.OIDSourceRepositoryOwnerURI, e.SourceRepositoryOwnerURI, false},
		{certificate.OIDSourceRepositoryOwnerIdentifier, e.SourceRepositoryOwnerIdentifier, false},
		{certificate.OIDBuildConfigURI, e.BuildConfigURI, false},
		{certificate.OIDBuildConfigDigest, e.BuildConfigDigest, false},
		{certificate.OIDBuildTrigger, e.BuildTrigger, false},
		{certificate.OIDRunInvocationURI, e.RunInvocationURI, false},
		{certificate.OIDSourceRepositoryVisibilityAtSigning, e.SourceRepositoryVisibilityAtSigning, false},
	}
	var exts []pkix.Extension
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		value := []byte(f.value)
		if !f.legacy {
			value, err = asn1.MarshalWithParams(f.value, "utf8")
			if err != nil {
				return nil, fmt.Errorf("encoding extension %s: %w", f.oid, err)
			}
		}
		exts = append(exts, pkix.Extension{Id: f.oid, Value: value})
	}
	return exts, nil
}
