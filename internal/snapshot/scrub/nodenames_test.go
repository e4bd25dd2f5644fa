package scrub

import (
	"strings"
	"testing"
)

// TestWithNodeNames: node names are replaced as whole tokens, dotless or
// dotted (and a dotted name's first label), in any case, glued to
// punctuation; a longer word that only contains a name, names shorter than
// MinNodeName and addresses are left to the other rules.
func TestWithNodeNames(t *testing.T) {
	sc := New(WithNodeNames("dgx-prod-07", "gpu-7.lab.example.org", "n1", "10.0.3.4", "worker.acme.io"))
	for in, want := range map[string]string{
		"nccl dgx-prod-08 to dgx-prod-07":      "nccl dgx-prod-08 to [redacted:node]",
		"H100-on-DGX-PROD-07-rack":             "H100-on-[redacted:node]-rack",
		"test_dgx-prod-07_ping":                "test_[redacted:node]_ping",
		"xdgx-prod-07 dgx-prod-070":            "xdgx-prod-07 dgx-prod-070",
		"ssh gpu-7 then gpu-7.lab.example.org": "ssh [redacted:node] then [redacted:node]",
		"n1 n1":                                "n1 n1",
		"worker pool":                          "worker pool",
	} {
		if got := sc.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sc.String("ping 10.0.3.4"); got != "ping "+Placeholder(RuleIP) {
		t.Errorf("an address node name: %q, want the ip rule's placeholder", got)
	}
	if got := New(WithNodeNames()).String("dgx-prod-07"); got != "dgx-prod-07" {
		t.Errorf("no names: %q", got)
	}
	applied := strings.Join(sc.Applied(), ",")
	if !strings.Contains(applied, RuleNode) {
		t.Errorf("applied %s lacks %s", applied, RuleNode)
	}
}
