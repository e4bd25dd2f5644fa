package policy_test

import (
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/aicr/verify-evidence/internal/policy"
)

const acmeRepo = "https://github.com/acme-gpu/recipe-evidence"

// acmeCert is the certificate summary of acme's evidence workflow on main.
func acmeCert(edit func(e *certificate.Extensions)) certificate.Summary {
	e := certificate.Extensions{
		Issuer:                          ghIssuer,
		SourceRepositoryURI:             acmeRepo,
		SourceRepositoryIdentifier:      "812345678",
		SourceRepositoryOwnerIdentifier: "98765432",
		SourceRepositoryRef:             "refs/heads/main",
		BuildSignerURI:                  acmeIdentity,
		BuildConfigURI:                  acmeIdentity,
		BuildTrigger:                    "push",
		RunnerEnvironment:               "github-hosted",
	}
	if edit != nil {
		edit(&e)
	}
	return certificate.Summary{SubjectAlternativeName: acmeIdentity, Extensions: e}
}

const requiringPolicy = `schemaVersion: "1.0"
community:
  - label: acme
    issuer: ` + ghIssuer + `
    identityPattern: '` + acmePattern + `'
    sourceRepositoryURI: ` + acmeRepo + `
    sourceRepositoryIdentifier: 812345678
    sourceRepositoryOwnerIdentifier: "98765432"
    sourceRepositoryRef: refs/heads/main
    buildSignerURI: ` + acmeIdentity + `
    buildConfigURI: ` + acmeIdentity + `
    buildTriggers: [push, workflow_dispatch]
    runnerEnvironment: github-hosted
`

func TestRequirementsDecideOnTheCertificate(t *testing.T) {
	p := mustParse(t, requiringPolicy)
	d := p.DecideCertificate(acmeCert(nil))
	if !d.Allowed || d.Class != policy.ClassCommunity || d.Label != "acme" || d.Unmet != "" {
		t.Fatalf("DecideCertificate = %+v, want acme allowed", d)
	}
	for _, w := range []string{"sourceRepositoryIdentifier 812345678", "buildTrigger push or workflow_dispatch", "runnerEnvironment github-hosted"} {
		if !strings.Contains(d.Requires, w) {
			t.Errorf("Requires %q does not mention %q", d.Requires, w)
		}
	}
	if d := p.DecideCertificate(acmeCert(func(e *certificate.Extensions) { e.BuildTrigger = "workflow_dispatch" })); !d.Allowed {
		t.Errorf("the second allowed trigger is refused: %+v", d)
	}
	// Issuer and SAN alone never satisfy an entry with requirements.
	if d := p.Decide(ghIssuer, acmeIdentity); d.Allowed {
		t.Errorf("Decide without a certificate allowed an entry with requirements: %+v", d)
	}
	for name, edit := range map[string]func(e *certificate.Extensions){
		"another repository URI": func(e *certificate.Extensions) { e.SourceRepositoryURI = acmeRepo + "-fork" },
		"another repository ID":  func(e *certificate.Extensions) { e.SourceRepositoryIdentifier = "812345679" },
		"another owner ID":       func(e *certificate.Extensions) { e.SourceRepositoryOwnerIdentifier = "1" },
		"no repository ID":       func(e *certificate.Extensions) { e.SourceRepositoryIdentifier = "" },
		"another ref":            func(e *certificate.Extensions) { e.SourceRepositoryRef = "refs/heads/dev" },
		"another signer workflow": func(e *certificate.Extensions) {
			e.BuildSignerURI = "https://github.com/x/y/.github/workflows/z.yml@refs/heads/main"
		},
		"another caller workflow": func(e *certificate.Extensions) {
			e.BuildConfigURI = "https://github.com/x/y/.github/workflows/z.yml@refs/heads/main"
		},
		"pull_request_target":       func(e *certificate.Extensions) { e.BuildTrigger = "pull_request_target" },
		"self-hosted runner":        func(e *certificate.Extensions) { e.RunnerEnvironment = "self-hosted" },
		"no runner environment":     func(e *certificate.Extensions) { e.RunnerEnvironment = "" },
		"legacy trigger only agree": func(e *certificate.Extensions) { e.BuildTrigger, e.GithubWorkflowTrigger = "pull_request", "push" },
	} {
		t.Run(name, func(t *testing.T) {
			d := p.DecideCertificate(acmeCert(edit))
			if d.Allowed {
				t.Fatalf("allowed: %+v", d)
			}
			if !strings.Contains(d.Unmet, `entry "acme"`) || !strings.Contains(d.Unmet, "expected") {
				t.Errorf("Unmet %q does not say which entry and which extension", d.Unmet)
			}
		})
	}
}

// TestRequirementsFallThroughToLaterEntries: an entry whose requirements the
// certificate does not meet does not stop a later entry from matching.
func TestRequirementsFallThroughToLaterEntries(t *testing.T) {
	p := mustParse(t, requiringPolicy+"partners:\n  - label: any-acme-run\n    issuer: "+ghIssuer+"\n    identityPattern: '"+acmePattern+"'\n")
	d := p.DecideCertificate(acmeCert(func(e *certificate.Extensions) { e.RunnerEnvironment = "self-hosted" }))
	if !d.Allowed || d.Class != policy.ClassPartner || d.Label != "any-acme-run" || d.Unmet != "" || d.Requires != "" {
		t.Fatalf("DecideCertificate = %+v, want the partner entry", d)
	}
}

func TestRequirementsParseRejects(t *testing.T) {
	entry := func(body string) string {
		return "schemaVersion: \"1.0\"\ncommunity:\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n" + body
	}
	tests := []struct{ name, body, want string }{
		{"non-numeric repository ID", "    sourceRepositoryIdentifier: acme\n", "sourceRepositoryIdentifier"},
		{"hex repository ID", "    sourceRepositoryIdentifier: 0x1F\n", "not a numeric ID"},
		{"negative owner ID", "    sourceRepositoryOwnerIdentifier: -1\n", "sourceRepositoryOwnerIdentifier"},
		{"http repository", "    sourceRepositoryURI: http://github.com/acme-gpu/recipe-evidence\n", "https URL"},
		{"short ref", "    sourceRepositoryRef: main\n", "full git ref"},
		{"bad runner", "    runnerEnvironment: hosted\n", "github-hosted or self-hosted"},
		{"bad trigger", "    buildTriggers: [Push]\n", "event name"},
		{"duplicate trigger", "    buildTriggers: [push, push]\n", "given twice"},
		{"trigger as a string", "    buildTriggers: push\n", "policy:"},
		{"singular trigger key", "    buildTrigger: push\n", "buildTrigger"},
		{"unknown extension key", "    githubWorkflowRepository: acme-gpu/recipe-evidence\n", "githubWorkflowRepository"},
		{"requireFullCoverage not a boolean", "requireFullCoverage: yes\n", "true or false"},
		{"requireFullCoverage quoted", "requireFullCoverage: \"true\"\n", "true or false"},
		{"requireFullCoverage inside an entry", "    requireFullCoverage: true\n", "requireFullCoverage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(entry(tc.body)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q does not mention %q on one line", err, tc.want)
			}
		})
	}
}

// TestRequireFullCoverage: a top-level key of the policy file, kept by Merge.
func TestRequireFullCoverage(t *testing.T) {
	on := mustParse(t, "schemaVersion: \"1.0\"\nrequireFullCoverage: true\ncommunity:\n  - issuer: "+ghIssuer+"\n    identityPattern: '"+acmePattern+"'\n")
	off := mustParse(t, fullPolicy())
	explicitOff := mustParse(t, fullPolicy()+"requireFullCoverage: false\n")
	if !on.RequiresFullCoverage() || off.RequiresFullCoverage() || explicitOff.RequiresFullCoverage() {
		t.Fatalf("RequiresFullCoverage: on %v off %v explicit off %v", on.RequiresFullCoverage(), off.RequiresFullCoverage(), explicitOff.RequiresFullCoverage())
	}
	flags, err := policy.FromFlags([]string{ghIssuer}, []string{ciPattern})
	if err != nil {
		t.Fatal(err)
	}
	if !policy.Merge(flags, on).RequiresFullCoverage() || policy.Merge(flags, off).RequiresFullCoverage() {
		t.Error("Merge does not keep requireFullCoverage")
	}
	var nilPolicy *policy.Policy
	if nilPolicy.RequiresFullCoverage() {
		t.Error("a nil policy requires full coverage")
	}
}

func TestFromPins(t *testing.T) {
	t.Run("action inputs are labelled and named as inputs", func(t *testing.T) {
		p, err := policy.FromPins(policy.Pins{Class: policy.ClassActionInputs, Issuers: []string{ghIssuer}, IdentityRegexps: []string{acmePattern}})
		if err != nil {
			t.Fatal(err)
		}
		if d := p.DecideCertificate(acmeCert(nil)); !d.Allowed || d.Class != "action inputs" {
			t.Fatalf("DecideCertificate = %+v, want class %q", d, policy.ClassActionInputs)
		}
		_, err = policy.FromPins(policy.Pins{Class: policy.ClassActionInputs, Issuers: []string{ghIssuer}, IdentityRegexps: []string{issueAlternation}})
		if err == nil || !strings.HasPrefix(err.Error(), "input certificate-identity-regexp: ") {
			t.Errorf("err %v, want it to name the input", err)
		}
		_, err = policy.FromPins(policy.Pins{Class: policy.ClassActionInputs, Issuers: []string{ghIssuer}, IdentityRegexps: []string{acmePattern}, Require: policy.Requirements{SourceRepositoryIdentifier: "x"}})
		if err == nil || !strings.HasPrefix(err.Error(), "input certificate-source-repository-identifier: ") {
			t.Errorf("err %v, want it to name the input", err)
		}
	})
	t.Run("the default class is command-line", func(t *testing.T) {
		p, err := policy.FromPins(policy.Pins{Issuers: []string{ghIssuer}, IdentityRegexps: []string{acmePattern}, Require: policy.Requirements{RunnerEnvironment: "github-hosted", BuildTriggers: []string{"push"}}})
		if err != nil {
			t.Fatal(err)
		}
		if d := p.DecideCertificate(acmeCert(nil)); !d.Allowed || d.Class != policy.ClassCommandLine {
			t.Fatalf("DecideCertificate = %+v", d)
		}
		if d := p.DecideCertificate(acmeCert(func(e *certificate.Extensions) { e.RunnerEnvironment = "self-hosted" })); d.Allowed || !strings.Contains(d.Unmet, "RunnerEnvironment") {
			t.Fatalf("self-hosted runner: %+v", d)
		}
		_, err = policy.FromPins(policy.Pins{Issuers: []string{ghIssuer}, IdentityRegexps: []string{acmePattern}, Require: policy.Requirements{BuildTriggers: []string{"push", ""}}})
		if err == nil || !strings.HasPrefix(err.Error(), "--certificate-build-trigger: ") {
			t.Errorf("err %v, want it to name the flag", err)
		}
	})
	t.Run("requirements without pins", func(t *testing.T) {
		_, err := policy.FromPins(policy.Pins{Require: policy.Requirements{RunnerEnvironment: "github-hosted"}})
		if err == nil || !strings.Contains(err.Error(), "--certificate-identity-regexp") {
			t.Fatalf("err %v, want requirements without pins refused", err)
		}
	})
	t.Run("unknown class", func(t *testing.T) {
		if _, err := policy.FromPins(policy.Pins{Class: policy.ClassMaintainer, Issuers: []string{ghIssuer}, IdentityRegexps: []string{acmePattern}}); err == nil {
			t.Fatal("pins accepted the maintainer class")
		}
	})
}
