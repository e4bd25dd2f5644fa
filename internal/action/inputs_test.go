package action

import (
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/aicr/verify-evidence/internal/policy"
)

// TestInputsPinTheCertificate: the certificate-* extension inputs become the
// requirements of the signers pinned through the inputs, and those signers
// are labelled "action inputs", not "command-line".
func TestInputsPinTheCertificate(t *testing.T) {
	const (
		issuer = "https://token.actions.githubusercontent.com"
		san    = "https://github.com/NVIDIA/aicr/.github/workflows/uat-aws.yaml@refs/heads/main"
	)
	in := map[string]string{
		"github-token":                                   "t",
		"certificate-oidc-issuer":                        issuer,
		"certificate-identity-regexp":                    `^https://github\.com/NVIDIA/aicr/\.github/workflows/uat-aws\.yaml@refs/heads/main$`,
		"certificate-source-repository-uri":              "https://github.com/NVIDIA/aicr",
		"certificate-source-repository-identifier":       " 123456789 ",
		"certificate-source-repository-owner-identifier": "1728152",
		"certificate-source-repository-ref":              "refs/heads/main",
		"certificate-build-signer-uri":                   san,
		"certificate-build-config-uri":                   san,
		"certificate-build-trigger":                      "push\nworkflow_dispatch",
		"certificate-runner-environment":                 "github-hosted",
	}
	got, err := ParseInputs(func(k string) string { return in[k] })
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.FromPins(got.Pins())
	if err != nil {
		t.Fatal(err)
	}
	cert := certificate.Summary{SubjectAlternativeName: san, Extensions: certificate.Extensions{
		Issuer: issuer, SourceRepositoryURI: "https://github.com/NVIDIA/aicr", SourceRepositoryIdentifier: "123456789",
		SourceRepositoryOwnerIdentifier: "1728152", SourceRepositoryRef: "refs/heads/main", BuildSignerURI: san, BuildConfigURI: san,
		BuildTrigger: "workflow_dispatch", RunnerEnvironment: "github-hosted",
	}}
	if d := pol.DecideCertificate(cert); !d.Allowed || d.Class != policy.ClassActionInputs {
		t.Fatalf("DecideCertificate = %+v, want allowed as %q", d, policy.ClassActionInputs)
	}
	cert.RunnerEnvironment = "self-hosted"
	if d := pol.DecideCertificate(cert); d.Allowed {
		t.Fatalf("a self-hosted run is allowed: %+v", d)
	}

	in["certificate-source-repository-identifier"] = "NVIDIA/aicr"
	got, err = ParseInputs(func(k string) string { return in[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policy.FromPins(got.Pins()); err == nil || !strings.Contains(err.Error(), "input certificate-source-repository-identifier") {
		t.Fatalf("err %v, want it to name the input", err)
	}
}

// registry-plain-http admits registries on loopback only (plain HTTP
// elsewhere would carry credentials in the clear), and insecure-ignore-sct
// is true or false.
func TestInputsRegistryPlainHTTPAndSCT(t *testing.T) {
	parse := func(plain, sct string) (Inputs, error) {
		in := map[string]string{"github-token": "t", "registry-plain-http": plain, "insecure-ignore-sct": sct}
		return ParseInputs(func(k string) string { return in[k] })
	}
	got, err := parse("127.0.0.1:5000, [::1]:5001\nlocalhost:5002", "true")
	if err != nil {
		t.Fatal(err)
	}
	if !got.IgnoreSCT || !got.PlainHTTP("127.0.0.1:5000") || !got.PlainHTTP("[::1]:5001") || !got.PlainHTTP("localhost:5002") || got.PlainHTTP("127.0.0.1:5003") || got.PlainHTTP("ghcr.io") {
		t.Errorf("inputs %+v", got)
	}
	if got, err := parse("", ""); err != nil || got.IgnoreSCT || len(got.RegistryPlainHTTP) != 0 {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	for _, bad := range []string{"ghcr.io:443", "10.0.0.1:5000", "127.0.0.1", "localhost", "127.0.0.1:http", "registry.localhost:5000", "0.0.0.0:5000"} {
		if _, err := parse(bad, ""); err == nil || !strings.Contains(err.Error(), "input registry-plain-http") {
			t.Errorf("%q: %v, want a refusal", bad, err)
		}
	}
	if _, err := parse("", "yes"); err == nil || !strings.Contains(err.Error(), "input insecure-ignore-sct") {
		t.Errorf("insecure-ignore-sct yes: %v", err)
	}
}
