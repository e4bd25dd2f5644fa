// Package scrub is the one value scrubber of minimal redaction: every string a
// minimal allow-list keeps (CTRF test and tool names, snapshot readings, BOM
// component fields) goes through Scrubber.String, which replaces what can
// identify a cluster, a machine or a person by a fixed placeholder
// "[redacted:<kind>]" and records the rule id "scrub:<kind>".
//
// It has no dependencies beyond the standard library, so the verifier-side
// packages (internal/bom) can use it without linking the cluster client.
package scrub

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// Rule ids (and placeholder kinds) of the scrubber, "scrub:<kind>".
const (
	RuleGPUUUID  = "scrub:gpu-uuid"
	RuleUUID     = "scrub:uuid"
	RuleEmail    = "scrub:email"
	RuleARN      = "scrub:arn"
	RuleHost     = "scrub:host"
	RuleIP       = "scrub:ip"
	RuleToken    = "scrub:token"
	RuleHomePath = "scrub:home"
	RuleURL      = "scrub:url"
)

// Placeholder is the text that replaces a value scrubbed under rule.
func Placeholder(rule string) string {
	return "[redacted:" + strings.TrimPrefix(rule, "scrub:") + "]"
}

// pattern is one rule: a regular expression and an optional check of a match
// (nil accepts every match).
type pattern struct {
	rule  string
	re    *regexp.Regexp
	check func(s string, start, end int) bool
}

// Scrubber scrubs strings and remembers which rules replaced something. The
// zero value is not usable; call New.
type Scrubber struct {
	patterns []pattern
	applied  map[string]bool
}

// New returns a Scrubber with the rules in their fixed order: the more
// specific first, so a GPU UUID is not reported as a plain UUID nor an EKS
// endpoint inside a URL as a host.
func New() *Scrubber {
	host := `[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?`
	return &Scrubber{applied: map[string]bool{}, patterns: []pattern{
		// GPU and MIG UUIDs as nvidia-smi prints them (also MIG-GPU-<uuid>/gi/ci).
		{rule: RuleGPUUUID, re: regexp.MustCompile(`(?i)\b(?:MIG-)?(?:GPU|MIG)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:/\d+/\d+)?`)},
		// JSON Web Tokens (service-account and OIDC tokens) and well-known token formats.
		{rule: RuleToken, re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|A[KS]IA[0-9A-Z]{16}|ocid1\.[a-z0-9._-]+)`)},
		// E-mail addresses.
		{rule: RuleEmail, re: regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)},
		// Amazon resource names (cluster, role, account).
		{rule: RuleARN, re: regexp.MustCompile(`\barn:aws[a-z-]*:[^\s"',;]*`)},
		// Cloud API server and registry endpoints, and cluster-internal or
		// cloud-generated host and node names.
		{rule: RuleHost, re: regexp.MustCompile(`(?i)\b(?:` + host + `\.)*(?:` +
			host + `\.(?:internal|cluster\.local|local)` + // *.compute.internal, *.c.<project>.internal, *.svc.cluster.local
			`|(?:` + host + `\.)+(?:eks\.amazonaws\.com|amazonaws\.com|azmk8s\.io|oraclecloud\.com|oci\.oraclecloud\.com|cloudapp\.azure\.com|googleapis\.com)` +
			`|ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}` + // EC2 private DNS names
			`|aks-[a-z0-9]+-\d+-vmss[0-9a-z]+` + // AKS nodes
			`|gke-[a-z0-9-]+-[0-9a-f]{8}-[a-z0-9]{4}` + // GKE nodes
			`)\b`)},
		// URLs left (API servers by address, private endpoints).
		{rule: RuleURL, re: regexp.MustCompile(`(?i)\bhttps?://[^\s"'<>]+`)},
		// Plain UUIDs (Azure subscriptions, node and machine ids).
		{rule: RuleUUID, re: regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)},
		// IPv4 and IPv6 addresses (checked with netip).
		{rule: RuleIP, re: regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`), check: validIP},
		{rule: RuleIP, re: regexp.MustCompile(`(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}`), check: validIPv6},
		// /home/<user>/ and /Users/<user>/ paths: the user name.
		{rule: RuleHomePath, re: regexp.MustCompile(`(?:/home|/Users)/[^/\s"']+`)},
		// Long tokens: 32 or more hex digits (not a named digest), or 32 or
		// more base64 characters that look random.
		{rule: RuleToken, re: regexp.MustCompile(`[A-Za-z0-9+/_-]{32,}={0,2}`), check: longToken},
	}}
}

// String returns s with every match of every rule replaced by its placeholder.
func (sc *Scrubber) String(s string) string {
	for _, p := range sc.patterns {
		idx := p.re.FindAllStringIndex(s, -1)
		if len(idx) == 0 {
			continue
		}
		var b strings.Builder
		last := 0
		for _, m := range idx {
			if p.check != nil && !p.check(s, m[0], m[1]) {
				continue
			}
			b.WriteString(s[last:m[0]])
			b.WriteString(Placeholder(p.rule))
			last = m[1]
			sc.applied[p.rule] = true
		}
		if last == 0 {
			continue
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return s
}

// Applied returns the ids of the rules that replaced something, sorted.
func (sc *Scrubber) Applied() []string {
	out := make([]string, 0, len(sc.applied))
	for r := range sc.applied {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// validIP accepts a match that is an IPv4 address on its own.
func validIP(s string, start, end int) bool {
	a, err := netip.ParseAddr(s[start:end])
	return err == nil && a.Is4()
}

// validIPv6 accepts a match that is an IPv6 address with a digit, standing
// alone: not "::", not a run of words like "feed::add" or "mod::test".
func validIPv6(s string, start, end int) bool {
	word := func(c byte) bool {
		return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if start > 0 && word(s[start-1]) || end < len(s) && word(s[end]) {
		return false
	}
	m := s[start:end]
	a, err := netip.ParseAddr(m)
	return err == nil && a.Is6() && !a.IsUnspecified() && strings.ContainsAny(m, "0123456789")
}

// longToken accepts hex of 32 or more digits not written as a digest
// (sha256:…, sha512:…, @sha256%3A…), and other 32+ character runs whose
// letters and digits alternate at least every eighth character, as random
// strings do and names, paths and versions do not.
func longToken(s string, start, end int) bool {
	m := s[start:end]
	pre := strings.ToLower(s[:start])
	if isHex(m) {
		for _, alg := range []string{"sha1", "sha256", "sha384", "sha512"} {
			if strings.HasSuffix(pre, alg+":") || strings.HasSuffix(pre, alg+"%3a") ||
				strings.HasSuffix(pre, alg+"%") && strings.HasPrefix(strings.ToLower(m), "3a") {
				return false
			}
		}
		return true
	}
	alnum, changes, prevDigit := 0, 0, false
	for i := 0; i < len(m); i++ {
		c := m[i]
		digit := c >= '0' && c <= '9'
		if !digit && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			continue
		}
		if alnum > 0 && digit != prevDigit {
			changes++
		}
		alnum++
		prevDigit = digit
	}
	return alnum >= 32 && changes*8 >= alnum
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
