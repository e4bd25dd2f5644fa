package strictjson_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/aicr/verify-evidence/internal/strictjson"
)

// report is a CTRF-like shape: nested structs, slices, maps and raw values.
type report struct {
	Format  string `json:"reportFormat"`
	Results struct {
		Tests []struct {
			Name   string         `json:"name"`
			Status string         `json:"status"`
			Extra  map[string]any `json:"extra,omitempty"`
		} `json:"tests"`
		Summary map[string]int `json:"summary"`
	} `json:"results"`
	Count *int `json:"count,omitempty"`
}

func TestUnmarshalRefuses(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"fold-equal key (U+017F)", `{"results":{"tests":[{"status":"failed","ſtatus":"passed"}]}}`, `"ſtatus" at /results/tests/0`},
		{"fold-equal key (Kelvin sign)", `{"results":{"summary":{"k":1,"K":2}}}`, `"K" at /results/summary`},
		{"case variant of a key", `{"results":{"tests":[{"status":"failed","Status":"passed"}]}}`, `"Status"`},
		{"exact duplicate", `{"reportFormat":"a","reportFormat":"b"}`, `duplicate key "reportFormat" at /`},
		{"escaped duplicate", `{"results":{"tests":[{"status":"failed","st\u0061tus":"passed"}]}}`, `duplicate key "status"`},
		{"nested duplicate in unknown member", `{"other":[{"a":{"x":1,"x":2}}]}`, `duplicate key "x" at /other/0/a`},
		{"lone case variant of a field", `{"Results":{}}`, `key "Results" at / differs from "results" only by letter case`},
		{"lone case variant, nested", `{"results":{"tests":[{"Name":"a"}]}}`, `key "Name" at /results/tests/0`},
		{"invalid UTF-8", "{\"reportFormat\":\"\xff\"}", "invalid UTF-8"},
		{"byte order mark", "\ufeff{}", "not valid JSON"},
		{"NaN", `{"count":NaN}`, "not valid JSON"},
		{"trailing data", `{} {}`, "trailing data"},
		{"truncated", `{"results":`, "not valid JSON"},
		{"integer beyond 2^53", `{"count":9007199254740993}`, "beyond ±2^53"},
		{"integer beyond int64", `{"count":123456789012345678901}`, "out of range"},
		{"fraction for an integer", `{"count":1.5}`, "count"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r report
			err := strictjson.Unmarshal([]byte(tt.doc), &r)
			if err == nil {
				t.Fatalf("accepted as %+v", r)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q does not say %q on one line", err, tt.want)
			}
			// Valid JSON that readers could read differently is ErrAmbiguous;
			// broken JSON and type errors are not.
			notAmbiguous := map[string]bool{"invalid UTF-8": true, "byte order mark": true, "NaN": true, "trailing data": true, "truncated": true, "fraction for an integer": true}
			if got := errors.Is(err, strictjson.ErrAmbiguous); got == notAmbiguous[tt.name] {
				t.Errorf("errors.Is(%v, ErrAmbiguous) = %v", err, got)
			}
		})
	}
}

func TestUnmarshalAccepts(t *testing.T) {
	doc := `{"reportFormat":"CTRF","results":{"tests":[{"name":"a","status":"passed","extra":{"Status":"kept"}}],"summary":{"passed":1}},"unknown":{"Results":1},"count":9007199254740992}`
	var r report
	if err := strictjson.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	// Keys inside maps and unknown members are data, not fields: a case variant
	// there is kept (only folding duplicates are refused, at any depth).
	if r.Results.Tests[0].Status != "passed" || r.Results.Tests[0].Extra["Status"] != "kept" || *r.Count != 1<<53 {
		t.Errorf("got %+v", r)
	}
}

func TestCheckAndMembers(t *testing.T) {
	if err := strictjson.Check([]byte(`{"a":{"b":1,"B":2}}`)); err == nil || !strings.Contains(err.Error(), `"B" at /a`) {
		t.Errorf("Check: %v", err)
	}
	m, err := strictjson.Members([]byte(`{"a": {"b" : 1 }, "c":[1, 2]}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(m["a"]) != `{"b" : 1 }` || string(m["c"]) != `[1, 2]` {
		t.Errorf("members are not the exact bytes: %q", m)
	}
	for _, doc := range []string{`[]`, `null`, `"x"`} {
		if _, err := strictjson.Members([]byte(doc)); err == nil {
			t.Errorf("Members(%s) accepted", doc)
		}
	}
}

// FuzzStrictAgreesWithEncodingJSON: whatever the strict reader accepts, Go's
// encoding/json (case-insensitive, last duplicate wins) reads the same way —
// into a struct and into a generic value — and so does go-json-experiment's
// generic decode. No case-folding surprise survives strict reading.
func FuzzStrictAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"reportFormat":"CTRF","results":{"tests":[{"name":"a","status":"passed"}],"summary":{"passed":1}}}`,
		`{"results":{"tests":[{"status":"failed","ſtatus":"passed"}]}}`,
		`{"results":{"tests":[{"STATUS":"passed"}]}}`,
		`{"results":{"summary":{"k":1,"\u212a":2}}}`,
		`{"count":9007199254740993}`, `{"unknown":{"a":1}}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var strict report
		if err := strictjson.Unmarshal(b, &strict); err != nil {
			return
		}
		var v1 report
		if err := json.Unmarshal(b, &v1); err != nil {
			t.Fatalf("strict reader accepted what encoding/json refuses (%v): %q", err, b)
		}
		if !reflect.DeepEqual(strict, v1) {
			t.Fatalf("readers disagree on %q:\nstrict       %+v\nencoding/json %+v", b, strict, v1)
		}
		var g1, g2 any
		if err := json.Unmarshal(b, &g1); err != nil {
			t.Fatal(err)
		}
		if err := jsonv2.Unmarshal(b, &g2); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g1, g2) {
			t.Fatalf("generic decodes disagree on %q:\n%#v\n%#v", b, g1, g2)
		}
	})
}
