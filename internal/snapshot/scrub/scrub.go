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
	// RuleBucket: object-storage URLs (s3://, gs://, az://, …), whole.
	RuleBucket = "scrub:bucket"
	// RuleGCPProject: the id in a GCP resource path "projects/<id>".
	RuleGCPProject = "scrub:gcp-project"
	// RuleAzureRG: the name in an Azure resource path "/resourceGroups/<name>".
	RuleAzureRG = "scrub:azure-rg"
	// RuleEC2Instance: EC2 instance ids "i-<8 or 17 hex>".
	RuleEC2Instance = "scrub:ec2-instance"
	// RuleAWSAccount: a bare 12-digit AWS account id standing as a whole
	// token in a string that holds more than the number.
	RuleAWSAccount = "scrub:aws-account"
	// RuleNode: a node name of the cluster (WithNodeNames), as a whole token.
	RuleNode = "scrub:node"
)

// Placeholder is the text that replaces a value scrubbed under rule.
func Placeholder(rule string) string {
	return "[redacted:" + strings.TrimPrefix(rule, "scrub:") + "]"
}

// pattern is one rule: a regular expression and an optional check of a match
// (nil accepts every match).
//
// A pattern with a capture group named "v" replaces only that group (the
// rest of the match is context, like "projects/" before a GCP project id).
// With underscoreSep the expression sees '_' as a space, so that \b matches
// between '_' and a word ("test_ping_10.0.12.34"); the replacement is made in
// the original string. With rescan, a match the check rejects is searched
// again from its next byte, so that a wide match ("de:ab:fd00::1" glued to a
// word) does not hide an address inside it.
type pattern struct {
	rule          string
	re            *regexp.Regexp
	check         func(s string, start, end int) bool
	refine        func(s string, start, end int) (int, int, bool)
	underscoreSep bool
	rescan        bool
	// anyURL marks the rule that removes every URL left, public or not.
	anyURL bool
	// group, when set, is the submatch replaced (the rest of the match is
	// context: the characters around a host).
	group int
	// find, when set, replaces re: it returns the first match in s at or
	// after from.
	find func(s string, from int) (start, end int, ok bool)
}

// Scrubber scrubs strings and remembers which rules replaced something. The
// zero value is not usable; call New.
type Scrubber struct {
	patterns []pattern
	applied  map[string]bool
}

// Option configures a Scrubber.
type Option func(*Scrubber)

// WithPrivateDomains makes the Scrubber treat every host name under the
// given DNS domains (and the domains themselves) as private, rule host:
// the cluster's own domains (its API server's, its nodes'), which may sit
// under a public top-level domain (registry.acme-corp.com). Domains are
// matched case-insensitively, whole labels only; an empty or dotless name
// is ignored (it would match too much).
func WithPrivateDomains(domains ...string) Option {
	return func(sc *Scrubber) {
		var alts []string
		for _, d := range domains {
			d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
			if d == "" || !strings.Contains(d, ".") {
				continue
			}
			alts = append(alts, regexp.QuoteMeta(d))
		}
		if len(alts) == 0 {
			return
		}
		sort.Strings(alts)
		p := pattern{rule: RuleHost, re: regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9.-])((?:` + hostLabel + `\.)*(?:` + strings.Join(alts, "|") + `))(?:$|[^A-Za-z0-9-])`), underscoreSep: true, group: 1}
		// With the host rules, after the rules that take a whole token
		// around a host (e-mail addresses, URLs with credentials, ARNs).
		at := len(sc.patterns)
		for i, q := range sc.patterns {
			if q.rule == RuleHost {
				at = i
				break
			}
		}
		sc.patterns = append(sc.patterns[:at], append([]pattern{p}, sc.patterns[at:]...)...)
	}
}

// MinNodeName is the length under which WithNodeNames ignores a name (a
// one- or two-letter name would match too much and says little).
const MinNodeName = 3

// WithNodeNames makes the Scrubber replace the cluster's node names, rule
// node: each name, and for a dotted name also its first label when that
// holds a digit or '-' ("gpu-7" of "gpu-7.lab.example"), wherever it stands
// as a whole token, case-insensitively: not glued to a letter or digit on
// either side ('-', '.', '_' and other punctuation separate), so
// "H100-on-dgx-prod-07" loses the node "dgx-prod-07". Names shorter than
// MinNodeName, and names that are IP addresses (rule ip), are ignored.
// Matching is by set look-up, not one expression, so a cluster of any size
// costs the same per byte scrubbed.
func WithNodeNames(names ...string) Option {
	return func(sc *Scrubber) {
		set := map[string]bool{}
		maxLen := 0
		add := func(n string) {
			// An address is the IP rule's (scrub:ip).
			if _, err := netip.ParseAddr(n); err == nil {
				return
			}
			if len(n) >= MinNodeName {
				set[n] = true
				maxLen = max(maxLen, len(n))
			}
		}
		for _, n := range names {
			n = strings.Trim(strings.ToLower(strings.TrimSpace(n)), ".")
			add(n)
			if first, _, dotted := strings.Cut(n, "."); dotted && strings.ContainsAny(first, "0123456789-") {
				add(first)
			}
		}
		if len(set) == 0 {
			return
		}
		p := pattern{rule: RuleNode, find: func(s string, from int) (int, int, bool) { return findToken(s, from, set, maxLen) }}
		at := len(sc.patterns)
		for i, q := range sc.patterns {
			if q.rule == RuleHost {
				at = i
				break
			}
		}
		sc.patterns = append(sc.patterns[:at], append([]pattern{p}, sc.patterns[at:]...)...)
	}
}

// findToken returns the first and longest whole token of s, at or after
// from, whose lower case is in set: it starts and ends at a letter or digit
// with no letter or digit just outside.
func findToken(s string, from int, set map[string]bool, maxLen int) (int, int, bool) {
	for i := from; i < len(s); i++ {
		if !isAlnum(s[i]) || i > 0 && isAlnum(s[i-1]) {
			continue
		}
		for j := min(len(s), i+maxLen); j > i; j-- {
			if !isAlnum(s[j-1]) || j < len(s) && isAlnum(s[j]) {
				continue
			}
			if set[strings.ToLower(s[i:j])] {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// New returns a Scrubber with the rules in their fixed order: the more
// specific first, so a GPU UUID is not reported as a plain UUID nor an EKS
// endpoint inside a URL as a host. Options add rules.
func New(opts ...Option) *Scrubber {
	sc := newScrubber()
	for _, o := range opts {
		o(sc)
	}
	return sc
}

// hostLabel is one DNS label.
const hostLabel = `[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?`

func newScrubber() *Scrubber {
	host := hostLabel
	return &Scrubber{applied: map[string]bool{}, patterns: []pattern{
		// GPU and MIG UUIDs as nvidia-smi prints them (also MIG-GPU-<uuid>/gi/ci).
		{rule: RuleGPUUUID, re: regexp.MustCompile(`(?i)\b(?:MIG-)?(?:GPU|MIG)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:/\d+/\d+)?`), underscoreSep: true},
		// JSON Web Tokens (service-account and OIDC tokens) and well-known token formats.
		{rule: RuleToken, re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abeprs]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|A[KS]IA[0-9A-Z]{16}|ocid1\.[a-z0-9._-]+|hf_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36}|AIza[0-9A-Za-z_-]{35}|pypi-[A-Za-z0-9_-]{50,}|dop_v1_[a-f0-9]{64}|glc_[A-Za-z0-9+/=_-]{20,})`)},
		// kubeadm bootstrap tokens "<6>.<16>" (with a digit, as generated ones have).
		{rule: RuleToken, re: regexp.MustCompile(`\b[a-z0-9]{6}\.[a-z0-9]{16}\b`), check: hasDigit, underscoreSep: true},
		// URLs with user information (credentials), any scheme: the whole URL.
		{rule: RuleURL, re: regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s/?#@"'<>]*@[^\s"'<>]*`)},
		// Object-storage URLs name private buckets: the whole URL.
		{rule: RuleBucket, re: regexp.MustCompile(`(?i)\b(?:s3|s3a|s3n|gs|az|abfss?|wasbs?|oss|cos|r2)://[^\s"'<>]+`)},
		// E-mail addresses.
		{rule: RuleEmail, re: regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)},
		// Amazon resource names (cluster, role, account).
		{rule: RuleARN, re: regexp.MustCompile(`\barn:aws[a-z-]*:[^\s"',;]*`)},
		// GCP resource paths: the project id or number.
		{rule: RuleGCPProject, re: regexp.MustCompile(`\bprojects/(?P<v>[a-z0-9][a-z0-9-]{4,28}[a-z0-9])\b`)},
		// Azure resource paths: the resource group name.
		{rule: RuleAzureRG, re: regexp.MustCompile(`(?i)/resourceGroups/(?P<v>[^/\s"'?#]+)`)},
		// Cloud API server and registry endpoints, and cluster-internal or
		// cloud-generated host and node names; hosts under private-use
		// top-level names (.corp, .lan, .intranet, .localdomain, .home.arpa,
		// .example).
		{rule: RuleHost, re: regexp.MustCompile(`(?i)\b(?:` + host + `\.)*(?:` +
			host + `\.(?:internal|cluster\.local|local|corp|lan|intranet|localdomain|home\.arpa|example)` + // *.compute.internal, *.c.<project>.internal, *.svc.cluster.local
			`|(?:` + host + `\.)+(?:eks\.amazonaws\.com|amazonaws\.com|azmk8s\.io|oraclecloud\.com|oci\.oraclecloud\.com|cloudapp\.azure\.com|googleapis\.com)` +
			`|ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}` + // EC2 private DNS names
			`|aks-[a-z0-9]+-\d+-vmss[0-9a-z]+` + // AKS nodes (scale sets)
			`|aks-[a-z0-9]+-\d{6,}-\d+` + // AKS nodes (availability sets)
			`|gke-[a-z0-9-]+-[0-9a-f]{8}-[a-z0-9]{4}` + // GKE nodes
			`|oke-c[a-z0-9]{6,}(?:-[a-z0-9]+)*` + // OKE nodes and instances (oke-c<cluster>-n<pool>-s<subnet>-<n>)
			`)\b`), underscoreSep: true},
		// EC2 instance ids.
		{rule: RuleEC2Instance, re: regexp.MustCompile(`\bi-(?:[0-9a-f]{17}|[0-9a-f]{8})\b`), check: hasDigit, underscoreSep: true},
		// URLs left (API servers by address, private endpoints), any scheme.
		{rule: RuleURL, re: regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>]+`), anyURL: true},
		// Plain UUIDs (Azure subscriptions, node and machine ids).
		{rule: RuleUUID, re: regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), underscoreSep: true},
		// IPv4 and IPv6 addresses (checked with netip).
		{rule: RuleIP, re: regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`), check: validIP, underscoreSep: true, rescan: true},
		{rule: RuleIP, re: regexp.MustCompile(`(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}`), refine: validIPv6, rescan: true},
		// Bare AWS account ids: 12 digits as a whole token, in a string that
		// is more than the number (a reading that is only a number, like
		// memory-bytes, is a count, not an account).
		{rule: RuleAWSAccount, re: regexp.MustCompile(`\d{12}`), check: accountToken},
		// /home/<user>/, /Users/<user>/ and C:\Users\<user>\ paths: the user name.
		{rule: RuleHomePath, re: regexp.MustCompile(`(?:/home|/Users)/[^/\s"']+|(?i)\b[a-z]:\\+(?:Users|Documents and Settings)\\+[^\\\s"']+`)},
		// Long tokens: 32 or more hex digits (not a named digest), or 32 or
		// more base64 characters that look random.
		{rule: RuleToken, re: regexp.MustCompile(`[A-Za-z0-9+/_-]{32,}={0,2}`), check: longToken},
	}}
}

// NewPublicURLs returns a Scrubber without the rule that removes every URL
// left: for text where public URLs are expected (a recipe's chart
// repositories), to find what else is private in it. URLs with credentials,
// bucket URLs and private hosts and addresses inside URLs are still matched.
func NewPublicURLs(opts ...Option) *Scrubber {
	sc := New(opts...)
	kept := sc.patterns[:0]
	for _, p := range sc.patterns {
		if !p.anyURL {
			kept = append(kept, p)
		}
	}
	sc.patterns = kept
	return sc
}

// String returns s with every match of every rule replaced by its placeholder.
func (sc *Scrubber) String(s string) string {
	for _, p := range sc.patterns {
		if r, ok := sc.apply(p, s); ok {
			s = r
		}
	}
	return s
}

// apply replaces the matches of one pattern in s; ok says it replaced any.
func (sc *Scrubber) apply(p pattern, s string) (string, bool) {
	if p.find != nil {
		return sc.applyFind(p, s)
	}
	view := s
	if p.underscoreSep {
		view = strings.ReplaceAll(s, "_", " ") // same length, same indices
	}
	group := p.re.SubexpIndex("v")
	if p.group > 0 {
		group = p.group
	}
	var b strings.Builder
	last, pos, any := 0, 0, false
	for pos <= len(view) {
		m := p.re.FindStringSubmatchIndex(view[pos:])
		if m == nil {
			break
		}
		start, end := m[0]+pos, m[1]+pos
		next := end
		if end == start {
			next = end + 1
		}
		if group > 0 && m[2*group] >= 0 {
			start, end = m[2*group]+pos, m[2*group+1]+pos
		}
		ok := true
		switch {
		case p.refine != nil:
			start, end, ok = p.refine(s, start, end)
		case p.check != nil:
			ok = p.check(s, start, end)
		}
		if !ok || start < last {
			if p.rescan {
				next = m[0] + pos + 1
			}
			pos = next
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(Placeholder(p.rule))
		last = end
		any = true
		sc.applied[p.rule] = true
		if next < end {
			next = end
		}
		pos = next
	}
	if !any {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// applyFind replaces the matches of a pattern with a find function.
func (sc *Scrubber) applyFind(p pattern, s string) (string, bool) {
	var b strings.Builder
	last := 0
	for {
		start, end, ok := p.find(s, last)
		if !ok {
			break
		}
		b.WriteString(s[last:start])
		b.WriteString(Placeholder(p.rule))
		last = end
	}
	if last == 0 {
		return s, false
	}
	sc.applied[p.rule] = true
	b.WriteString(s[last:])
	return b.String(), true
}

// Record records a rule id applied outside the scrubber (an allow-list, a
// dropped field) so that Applied reports every rule of one redaction.
func (sc *Scrubber) Record(rule string) { sc.applied[rule] = true }

// Applied returns the ids of the rules that replaced something, sorted.
func (sc *Scrubber) Applied() []string {
	out := make([]string, 0, len(sc.applied))
	for r := range sc.applied {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// validIP accepts a match that is an IPv4 address on its own: not glued to a
// letter or digit, and not part of a longer dotted run ("1.2.3.4.5").
func validIP(s string, start, end int) bool {
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	digit := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	if start > 0 && (alnum(s[start-1]) || s[start-1] == '.' && digit(start-2)) {
		return false
	}
	if end < len(s) && (alnum(s[end]) || s[end] == '.' && digit(end+1)) {
		return false
	}
	a, err := netip.ParseAddr(s[start:end])
	return err == nil && a.Is4()
}

// validIPv6 narrows a match to an IPv6 address with a digit standing alone
// (not "::", not a run of words like "feed::add" or "mod::test"): a single
// ':' before or after it is a separator ("InternalIP:fd00:ec2::23"), and a
// '.' after it ends a sentence unless a word follows.
func validIPv6(s string, start, end int) (int, int, bool) {
	word := func(c byte) bool {
		return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if strings.HasPrefix(s[start:end], ":") && !strings.HasPrefix(s[start:end], "::") {
		start++
	}
	if strings.HasSuffix(s[start:end], ":") && !strings.HasSuffix(s[start:end], "::") {
		end--
	}
	if start >= end || start > 0 && word(s[start-1]) {
		return 0, 0, false
	}
	if end < len(s) && word(s[end]) && !(s[end] == '.' && (end+1 == len(s) || !word(s[end+1]))) {
		return 0, 0, false
	}
	m := s[start:end]
	a, err := netip.ParseAddr(m)
	return start, end, err == nil && a.Is6() && !a.IsUnspecified() && strings.ContainsAny(m, "0123456789")
}

// hasDigit accepts a match with a digit in it.
func hasDigit(s string, start, end int) bool { return strings.ContainsAny(s[start:end], "0123456789") }

// accountToken accepts 12 digits that stand as a whole token, delimited by
// the string's ends, white space or one of =:/,;()[]{}"'<>, in a string that
// is more than the number. A '.', '-', '+', '_' or another digit or letter next
// to them makes them part of a version, build stamp or timestamp
// ("v1.2-202612041200") and they are kept.
func accountToken(s string, start, end int) bool {
	if strings.TrimSpace(s) == s[start:end] {
		return false
	}
	delim := func(c byte) bool { return strings.IndexByte(" \t\r\n=:/,;()[]{}\"'<>", c) >= 0 }
	return (start == 0 || delim(s[start-1])) && (end == len(s) || delim(s[end]))
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
