package snapshot

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

func TestMarshalGolden(t *testing.T) {
	s, err := Collect(context.Background(), fakeClient(t, "v1.33.4-eks-e386d34", eksNodes()...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	minimal, _, err := Redact(s, PolicyMinimal)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(minimal)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "eks-minimal.golden.yaml")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal output differs from %s (UPDATE_GOLDEN=1 rewrites it):\n%s", golden, got)
	}
}

func TestMarshalDeterministicRoundTrip(t *testing.T) {
	s := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "Zeta", Subtypes: []fingerprint.Subtype{{Subtype: "z", Data: map[string]any{}}}},
		{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{{Subtype: "summary", Data: map[string]any{"node-count": 3, "gpu-node-count": 1}}}},
		{Type: "Alpha", Subtypes: nil},
		{Type: "GPU", Subtypes: []fingerprint.Subtype{{Subtype: "hardware", Data: map[string]any{
			"model": "NVIDIA H200", "memory-bytes": int64(150754820096), "big": uint64(math.MaxUint64),
			"ratio": 0.5, "whole": 2.0, "inf": math.Inf(-1), "mig": false, "none": nil, "small": int8(-3),
		}}}},
		{Type: "OS", Subtypes: []fingerprint.Subtype{{Subtype: "release", Data: map[string]any{
			"VERSION_ID": "24.04", "ID": "ubuntu", "yes": "true", "nul": "null", "octal": "0755", "num": "12",
			"colon": "a: b", "hash": "# not a comment", "multi": "line1\nline2", "space": " padded ", "empty": "",
			"tilde": "~", "unicode": "Größe", "star": "*alias",
		}}}},
		{Type: "K8s", Subtypes: []fingerprint.Subtype{
			{Subtype: "server", Data: map[string]any{"version": "v1.33.4"}},
			{Subtype: "node", Data: map[string]any{"provider": "oke"}},
		}},
	}}
	first, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatalf("Marshal is not deterministic:\n%s\n---\n%s", first, again)
		}
	}
	text := string(first)
	order := []string{"type: K8s", "type: OS", "type: GPU", "type: NodeTopology", "type: Alpha", "type: Zeta"}
	last := -1
	for _, o := range order {
		i := strings.Index(text, o)
		if i <= last {
			t.Fatalf("measurement order: %q not after the previous one:\n%s", o, text)
		}
		last = i
	}
	if strings.Index(text, "subtype: server") > strings.Index(text, "subtype: node") {
		t.Error("subtype order not kept")
	}
	if strings.Index(text, "ID: ubuntu") > strings.Index(text, "VERSION_ID:") {
		t.Error("data keys not sorted")
	}
	back, err := fingerprint.ParseSnapshot(first)
	if err != nil {
		t.Fatalf("ParseSnapshot: %v\n%s", err, first)
	}
	// ParseSnapshot gives int for integers that fit, and [] for an empty list.
	want := clone(s)
	for i := range want.Measurements {
		switch want.Measurements[i].Type {
		case "GPU":
			want.Measurements[i].Subtypes[0].Data["memory-bytes"] = 150754820096
			want.Measurements[i].Subtypes[0].Data["small"] = -3
		case "Alpha":
			want.Measurements[i].Subtypes = []fingerprint.Subtype{}
		}
	}
	byType := map[string]fingerprint.Measurement{}
	for _, m := range back.Measurements {
		byType[m.Type] = m
	}
	for _, m := range want.Measurements {
		if !reflect.DeepEqual(byType[m.Type], m) {
			t.Errorf("round trip of %s:\n got %#v\nwant %#v", m.Type, byType[m.Type], m)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	for name, s := range map[string]*fingerprint.Snapshot{
		"nil":       nil,
		"duplicate": {Measurements: []fingerprint.Measurement{{Type: "K8s"}, {Type: "K8s"}}},
		"non-scalar": {Measurements: []fingerprint.Measurement{{Type: "X", Subtypes: []fingerprint.Subtype{
			{Subtype: "y", Data: map[string]any{"list": []string{"a"}}}}}}},
		"bad utf-8": {Measurements: []fingerprint.Measurement{{Type: "X", Subtypes: []fingerprint.Subtype{
			{Subtype: "y", Data: map[string]any{"k": "\xff"}}}}}},
		"node-count string": {Measurements: []fingerprint.Measurement{{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
			{Subtype: "summary", Data: map[string]any{"node-count": "4"}}}}}},
	} {
		if _, err := Marshal(s); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "snapshot: marshal: ") {
			t.Errorf("%s: error %q", name, err)
		}
	}
}
