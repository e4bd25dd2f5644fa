package policy

import (
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// Requirements are values the signer's Fulcio certificate must carry in its
// CI extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md),
// on top of the issuer and SAN. Every value is compared exactly; an empty field
// is not checked. The YAML keys are the extensions' names.
type Requirements struct {
	// SourceRepositoryURI is the repository the run was for (1.3.6.1.4.1.57264.1.12),
	// e.g. https://github.com/NVIDIA/aicr.
	SourceRepositoryURI string `yaml:"sourceRepositoryURI,omitempty"`
	// SourceRepositoryIdentifier is that repository's numeric ID (…1.15): it
	// survives a rename, and a deleted repository's name re-created by someone
	// else gets another ID.
	SourceRepositoryIdentifier string `yaml:"sourceRepositoryIdentifier,omitempty"`
	// SourceRepositoryOwnerIdentifier is the owner's numeric ID (…1.17).
	SourceRepositoryOwnerIdentifier string `yaml:"sourceRepositoryOwnerIdentifier,omitempty"`
	// SourceRepositoryRef is the git ref the run was for (…1.14), e.g. refs/heads/main.
	SourceRepositoryRef string `yaml:"sourceRepositoryRef,omitempty"`
	// BuildSignerURI is the workflow that signed (…1.9): for a reusable
	// workflow it is the called workflow, as is the SAN.
	BuildSignerURI string `yaml:"buildSignerURI,omitempty"`
	// BuildConfigURI is the top-level workflow of the run (…1.18): for a
	// reusable workflow, the caller.
	BuildConfigURI string `yaml:"buildConfigURI,omitempty"`
	// BuildTriggers are the events allowed to have started the run (…1.20),
	// e.g. push, workflow_dispatch; any one of them is accepted.
	BuildTriggers []string `yaml:"buildTriggers,omitempty"`
	// RunnerEnvironment is github-hosted or self-hosted (…1.11).
	RunnerEnvironment string `yaml:"runnerEnvironment,omitempty"`
}

// requirement is one single-valued field of Requirements: its YAML key, the
// command-line flag and action input that set it, and how it is checked.
type requirement struct {
	key   string // YAML key
	flag  string // flag (without --) and action input
	value func(*Requirements) *string
	set   func(*certificate.Extensions, string)
	check func(string) error
}

var requirements = []requirement{
	{"sourceRepositoryURI", "certificate-source-repository-uri", func(r *Requirements) *string { return &r.SourceRepositoryURI }, func(e *certificate.Extensions, v string) { e.SourceRepositoryURI = v }, checkHTTPS},
	{"sourceRepositoryIdentifier", "certificate-source-repository-identifier", func(r *Requirements) *string { return &r.SourceRepositoryIdentifier }, func(e *certificate.Extensions, v string) { e.SourceRepositoryIdentifier = v }, checkNumericID},
	{"sourceRepositoryOwnerIdentifier", "certificate-source-repository-owner-identifier", func(r *Requirements) *string { return &r.SourceRepositoryOwnerIdentifier }, func(e *certificate.Extensions, v string) { e.SourceRepositoryOwnerIdentifier = v }, checkNumericID},
	{"sourceRepositoryRef", "certificate-source-repository-ref", func(r *Requirements) *string { return &r.SourceRepositoryRef }, func(e *certificate.Extensions, v string) { e.SourceRepositoryRef = v }, checkRef},
	{"buildSignerURI", "certificate-build-signer-uri", func(r *Requirements) *string { return &r.BuildSignerURI }, func(e *certificate.Extensions, v string) { e.BuildSignerURI = v }, checkHTTPS},
	{"buildConfigURI", "certificate-build-config-uri", func(r *Requirements) *string { return &r.BuildConfigURI }, func(e *certificate.Extensions, v string) { e.BuildConfigURI = v }, checkHTTPS},
	{"runnerEnvironment", "certificate-runner-environment", func(r *Requirements) *string { return &r.RunnerEnvironment }, func(e *certificate.Extensions, v string) { e.RunnerEnvironment = v }, checkRunnerEnvironment},
}

// buildTriggersFlag is the repeatable flag (and list input) of BuildTriggers.
const buildTriggersFlag = "certificate-build-trigger"

// empty reports whether r requires nothing.
func (r Requirements) empty() bool {
	if len(r.BuildTriggers) > 0 {
		return false
	}
	for _, q := range requirements {
		if *q.value(&r) != "" {
			return false
		}
	}
	return true
}

// compile validates r and returns the alternatives a certificate's extensions
// are compared with (one per allowed trigger), or nil when r requires nothing.
// name gives the name a field is reported under: its YAML key, a flag or an input.
func (r Requirements) compile(name func(key, flag string) string) ([]certificate.Extensions, error) {
	if r.empty() {
		return nil, nil
	}
	var base certificate.Extensions
	for _, q := range requirements {
		v := *q.value(&r)
		if v == "" {
			continue
		}
		if err := q.check(v); err != nil {
			return nil, fmt.Errorf("%s: %w", name(q.key, q.flag), err)
		}
		q.set(&base, v)
	}
	if len(r.BuildTriggers) == 0 {
		return []certificate.Extensions{base}, nil
	}
	seen := map[string]bool{}
	var alts []certificate.Extensions
	for _, t := range r.BuildTriggers {
		if err := checkTrigger(t); err != nil {
			return nil, fmt.Errorf("%s: %w", name("buildTriggers", buildTriggersFlag), err)
		}
		if seen[t] {
			return nil, fmt.Errorf("%s: %q given twice", name("buildTriggers", buildTriggersFlag), t)
		}
		seen[t] = true
		alt := base
		alt.BuildTrigger = t
		alts = append(alts, alt)
	}
	return alts, nil
}

// String describes the requirements in the policy file's terms, for reports.
func (r Requirements) String() string {
	var parts []string
	for _, q := range requirements {
		if v := *q.value(&r); v != "" {
			parts = append(parts, q.key+" "+v)
		}
	}
	if len(r.BuildTriggers) > 0 {
		parts = append(parts, "buildTrigger "+strings.Join(r.BuildTriggers, " or "))
	}
	return strings.Join(parts, ", ")
}

// meets compares a certificate's extensions with the alternatives, using
// sigstore-go's extension comparison (set fields must be equal); nil means
// nothing is required.
func meets(alts []certificate.Extensions, got certificate.Extensions) error {
	var err error
	for _, want := range alts {
		if err = certificate.CompareExtensions(want, got); err == nil {
			return nil
		}
	}
	return err
}

func checkHTTPS(v string) error {
	if !strings.HasPrefix(v, "https://") || len(v) > 512 || strings.ContainsAny(v, " \t\r\n") {
		return fmt.Errorf("%q is not an https URL", v)
	}
	return nil
}

func checkNumericID(v string) error {
	if len(v) > 20 || strings.Trim(v, "0123456789") != "" || (len(v) > 1 && v[0] == '0') {
		return fmt.Errorf("%q is not a numeric ID (decimal digits, as GitHub's repository_id and repository_owner_id claims)", v)
	}
	return nil
}

func checkRef(v string) error {
	if !strings.HasPrefix(v, "refs/") || len(v) > 512 || strings.ContainsAny(v, " \t\r\n") {
		return fmt.Errorf("%q is not a full git ref (refs/heads/…, refs/tags/…)", v)
	}
	return nil
}

func checkTrigger(v string) error {
	if v == "" || len(v) > 64 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return fmt.Errorf("%q is not a GitHub event name (push, workflow_dispatch, …)", v)
	}
	return nil
}

func checkRunnerEnvironment(v string) error {
	if v != "github-hosted" && v != "self-hosted" {
		return fmt.Errorf("%q, want github-hosted or self-hosted", v)
	}
	return nil
}
