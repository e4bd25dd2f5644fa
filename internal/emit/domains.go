package emit

import (
	"net/netip"
	"sort"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/snapshot"
)

// clusterDomains returns the cluster's own DNS domains, which minimal
// redaction treats as private wherever they appear (a test name that pulls
// from registry.acme-corp.com, a node gpu-7.acme-corp.com): the registrable
// domain (eTLD+1, by the public suffix list) of the API server's host and of
// every node name in the raw snapshot (per-node records and AICR's label and
// taint node lists), plus the --private-domain values.
// Addresses and dotless names give none.
func clusterDomains(o *Options, raw *fingerprint.Snapshot) []string {
	set := map[string]bool{}
	add := func(host string) {
		host = strings.Trim(strings.ToLower(strings.TrimSpace(host)), ".")
		if host == "" || !strings.Contains(host, ".") {
			return
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return
		}
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			set[d] = true
		}
	}
	for _, d := range o.PrivateDomains {
		if d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), "."); d != "" {
			set[d] = true
		}
	}
	if o.Snapshot == "" {
		if cfg, err := snapshot.LoadConfig(o.Kubeconfig); err == nil {
			host := cfg.Host
			if i := strings.Index(host, "://"); i >= 0 {
				host = host[i+3:]
			}
			host, _, _ = strings.Cut(host, "/")
			if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
				host = h
			}
			add(host)
		}
	}
	for _, name := range snapshot.NodeNames(raw) {
		add(name)
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}
