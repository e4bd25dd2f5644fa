package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// marshalTree is Marshal as it was before it streamed: the whole document
// built as one yaml.Node tree and encoded at once. Tests check that Marshal's
// output is byte for byte the same.
func marshalTree(s *fingerprint.Snapshot) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("snapshot: marshal: nil snapshot")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", err)
	}
	ms := make([]fingerprint.Measurement, len(s.Measurements))
	copy(ms, s.Measurements)
	sort.SliceStable(ms, func(i, j int) bool {
		ri, rj := measurementRank(ms[i].Type), measurementRank(ms[j].Type)
		if ri != rj {
			return ri < rj
		}
		return ri == 4 && ms[i].Type < ms[j].Type
	})
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, m := range ms {
		subs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, st := range m.Subtypes {
			data, err := dataNode(st.Data)
			if err != nil {
				return nil, fmt.Errorf("snapshot: marshal: measurement %q, subtype %q: %w", m.Type, st.Subtype, err)
			}
			subs.Content = append(subs.Content, mapping(
				strNode("subtype"), strNode(st.Subtype),
				strNode("data"), data,
			))
		}
		list.Content = append(list.Content, mapping(
			strNode("type"), strNode(m.Type),
			strNode("subtypes"), subs,
		))
	}
	root := mapping(strNode("measurements"), list)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root},
		HeadComment: "Cluster snapshot in AICR measurement form."}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", err)
	}
	if buf.Len() > fingerprint.MaxSnapshotBytes {
		return nil, fmt.Errorf("snapshot: marshal: %d bytes, more than the %d a snapshot may have", buf.Len(), fingerprint.MaxSnapshotBytes)
	}
	return buf.Bytes(), nil
}

// dataNode renders a data mapping with its keys sorted.
func dataNode(data map[string]any) (*yaml.Node, error) {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := mapping()
	if len(keys) == 0 {
		n.Style = yaml.FlowStyle
	}
	for _, k := range keys {
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("key %q is not UTF-8", k)
		}
		v, err := scalarNode(data[k])
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		n.Content = append(n.Content, strNode(k), v)
	}
	return n, nil
}

// TestMarshalSameAsTree checks that the streaming Marshal writes what the
// whole-tree encode wrote, byte for byte, for awkward scalars (in data mappings
// larger than a chunk, so that some sit at chunk boundaries) and for the
// structure's edge cases.
func TestMarshalSameAsTree(t *testing.T) {
	awkward := []any{
		"plain", "24.04", "true", "null", "~", "0755", "12", "", " padded ", "a: b", "# hash", "*alias", "&anchor",
		"line1\nline2", "line1\n\nline3\n", "\n", "\n\nlead", "  indented\nlines", "trail \n", "tab\tin", "Größe",
		"quote's", `dq"x`, "- dash", "[flow]", "{map}", "key: value\n  nested: x", strings.Repeat("long ", 60),
		strings.Repeat("x", 300), "\x01ctl", "a\r\nb", "\u2028sep", "end\n\n\n",
		nil, true, false, 0, -7, int64(1) << 40, uint64(math.MaxUint64), 0.5, 2.0, math.Inf(1), math.NaN(), int8(-3), float32(1.25),
	}
	big := map[string]any{}
	for i := 0; i < 3*dataChunk+17; i++ {
		key := fmt.Sprintf("node-%04d.value", i)
		switch i % 11 {
		case 3:
			key = fmt.Sprintf("multi\nline key %d", i)
		case 5:
			key = fmt.Sprintf("%04d-%s", i, strings.Repeat("k", 140)) // no simple key
		case 7:
			key = fmt.Sprintf("%d", i)
		}
		big[key] = awkward[i%len(awkward)]
	}
	small := map[string]any{}
	for i, v := range awkward {
		small[fmt.Sprintf("k%02d", i)] = v
	}
	api, srv := newAPIServer(t, 1200)
	_ = api
	cluster, err := Collect(context.Background(), clientFor(t, srv.URL), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*fingerprint.Snapshot{
		"awkward": {Measurements: []fingerprint.Measurement{
			{Type: "Zeta", Subtypes: []fingerprint.Subtype{{Subtype: "empty", Data: map[string]any{}}, {Subtype: "nil"}}},
			{Type: "Alpha"},
			{Type: "GPU", Subtypes: []fingerprint.Subtype{{Subtype: "hardware", Data: small}}},
			{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
				{Subtype: "summary", Data: map[string]any{"node-count": 3}},
				{Subtype: "nodes", Data: big},
			}},
			{Type: "24.04", Subtypes: []fingerprint.Subtype{{Subtype: "true", Data: map[string]any{"x": "y"}}}},
		}},
		"cluster": cluster,
		"empty":   {},
	} {
		want, wantErr := marshalTree(s)
		got, err := Marshal(s)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%s: Marshal error %v, tree encode error %v", name, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: Marshal differs from the tree encode:\n%s\n--- want ---\n%s", name, got, want)
		}
	}
}
