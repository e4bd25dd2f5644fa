package emit_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// logsReport is a deployment report whose free text names nodes, addresses and a secret.
func logsReport(t testing.TB) []byte {
	t.Helper()
	return readFile(t, filepath.Join("testdata", "deployment-with-logs.json"))
}

// secretsInLogs are strings of logsReport's free text only.
var secretsInLogs = []string{"corp-secret", "ip-10-42-7-19", "ip-10-42-9-201", "10.42.9.201", "i-0badc0ffee1234567", "aws:///", "sk-live-", "goroutine"}

// mixedReport has every status, with free text on each test.
const mixedReport = `{"reportFormat":"CTRF","specVersion":"0.0.0",
 "results":{"tool":{"name":"t"},
  "summary":{"tests":5,"passed":1,"failed":1,"skipped":1,"pending":1,"other":1,"start":1795168800123,"stop":1795168800999},
  "tests":[
   {"name":"a","status":"passed","duration":1.25,"message":"m","stdout":["o"],"stderr":["e"],"trace":"tr"},
   {"name":"b","status":"failed","duration":2,"message":"boom on node-7","extra":{"stdout":"kept","n":12345678901234567890,"m":9007199254740993}},
   {"name":"c","status":"skipped","duration":0,"stderr":["x"]},
   {"name":"d","status":"pending","duration":0,"trace":"t"},
   {"name":"e","status":"other","duration":0,"suite":["s","u"],"rawStatus":"timedOut"}]}}`

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return m
}

func testsOf(t testing.TB, doc map[string]any) []map[string]any {
	t.Helper()
	raw := doc["results"].(map[string]any)["tests"].([]any)
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func TestRedactCTRFDropsFreeText(t *testing.T) {
	for name, report := range map[string][]byte{"mixed": []byte(mixedReport), "logs": logsReport(t)} {
		t.Run(name, func(t *testing.T) {
			red, rules, err := emit.RedactCTRF(report)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(rules, emit.RuleCTRFAllowlist) {
				t.Errorf("rules %v lack %s", rules, emit.RuleCTRFAllowlist)
			}
			before, after := decodeJSON(t, report), decodeJSON(t, red)
			bt, at := testsOf(t, before), testsOf(t, after)
			if len(bt) != len(at) {
				t.Fatalf("%d tests before, %d after", len(bt), len(at))
			}
			for i := range bt {
				for f := range at[i] {
					if f != "name" && f != "status" && f != "duration" {
						t.Errorf("tests[%d].%s kept", i, f)
					}
				}
				if at[i]["status"] != bt[i]["status"] || at[i]["duration"] != bt[i]["duration"] {
					t.Errorf("tests[%d] = %v, from %v", i, at[i], bt[i])
				}
			}
			// Only the allow-listed members are left outside the tests.
			for k := range after {
				if k != "reportFormat" && k != "specVersion" && k != "results" {
					t.Errorf("%s kept", k)
				}
			}
			for k := range after["results"].(map[string]any) {
				if k != "tool" && k != "summary" && k != "tests" {
					t.Errorf("results.%s kept", k)
				}
			}

			// The counts are the same, and the summary still agrees with the tests.
			pb, err := schema.ParseCTRF(report)
			if err != nil {
				t.Fatal(err)
			}
			pa, err := schema.ParseCTRF(red)
			if err != nil {
				t.Fatalf("redacted report is not CTRF: %v", err)
			}
			if pb.Results.Summary != pa.Results.Summary || schema.CountCTRF(pb) != schema.CountCTRF(pa) {
				t.Errorf("counts changed: %+v → %+v", pb.Results.Summary, pa.Results.Summary)
			}
			if schema.CountCTRF(pa) != pa.Results.Summary {
				t.Errorf("redacted summary %+v disagrees with its tests %+v", pa.Results.Summary, schema.CountCTRF(pa))
			}
		})
	}
}

func TestRedactCTRFKeepsNumbersAndText(t *testing.T) {
	red, _, err := emit.RedactCTRF([]byte(mixedReport))
	if err != nil {
		t.Fatal(err)
	}
	// Large integers and fractional durations are written as read.
	for _, lit := range []string{"1795168800123", "1795168800999", "1.25"} {
		if !bytes.Contains(red, []byte(lit)) {
			t.Errorf("redacted report lost the number %s:\n%s", lit, red)
		}
	}
	if bytes.Contains(red, []byte("node-7")) {
		t.Error("a failed test's message survived")
	}
	if bytes.Contains(red, []byte(`"kept"`)) || bytes.Contains(red, []byte("timedOut")) {
		t.Error("extra or rawStatus survived")
	}
	logs, _, err := emit.RedactCTRF(logsReport(t))
	if err != nil {
		t.Fatal(err)
	}
	// Names are written as they are, not HTML-escaped.
	if !bytes.Contains(logs, []byte(`"cert-manager-ready <v1.17.2> & webhook"`)) {
		t.Errorf("test name re-escaped:\n%s", logs)
	}
	for _, s := range secretsInLogs {
		if bytes.Contains(logs, []byte(s)) {
			t.Errorf("redacted report still contains %q", s)
		}
	}
	if !bytes.HasSuffix(logs, []byte("}\n")) || !bytes.HasPrefix(logs, []byte("{\n  \"")) {
		t.Errorf("redacted report is not indented JSON ending in a newline:\n%s", logs)
	}
}

func TestRedactCTRFDeterministic(t *testing.T) {
	report := logsReport(t)
	a, _, err := emit.RedactCTRF(report)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, _, err := emit.RedactCTRF(report)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("two redactions of the same report differ")
		}
	}
	// The same report compacted, or with its keys in another order, redacts to the same bytes.
	var compact bytes.Buffer
	if err := json.Compact(&compact, report); err != nil {
		t.Fatal(err)
	}
	reordered, err := json.Marshal(decodeJSON(t, report)) // sorted keys, other layout
	if err != nil {
		t.Fatal(err)
	}
	for name, variant := range map[string][]byte{"compact": compact.Bytes(), "reordered": reordered} {
		b, _, err := emit.RedactCTRF(variant)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: redacted bytes differ from the original's:\n%s\n%s", name, a, b)
		}
	}
	// Idempotent.
	again, _, err := emit.RedactCTRF(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, again) {
		t.Error("redacting a redacted report changes it")
	}
}

func TestRedactCTRFRejectsInvalid(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":       `{"reportFormat":`,
		"not CTRF":       `{"reportFormat":"JUnit","results":{"tool":{"name":"t"},"summary":{},"tests":[]}}`,
		"unknown status": `{"reportFormat":"CTRF","results":{"tool":{"name":"t"},"summary":{"tests":1},"tests":[{"name":"a","status":"ok"}]}}`,
		"trailing data":  `{"reportFormat":"CTRF","results":{"tool":{"name":"t"},"summary":{},"tests":[]}} {}`,
		// The verifier's strict reader: encoding/json would read "ſtatus" as status.
		"fold-equal status": `{"reportFormat":"CTRF","results":{"tool":{"name":"t"},"summary":{"tests":1,"passed":1},"tests":[{"name":"a","status":"failed","ſtatus":"passed"}]}}`,
		"case variant":      `{"reportFormat":"CTRF","results":{"tool":{"name":"t"},"summary":{"tests":1,"passed":1},"tests":[{"name":"a","Status":"passed"}]}}`,
	} {
		if out, _, err := emit.RedactCTRF([]byte(in)); err == nil {
			t.Errorf("%s: accepted, gave %s", name, out)
		}
	}
}

func TestCTRFRedactionRules(t *testing.T) {
	if got, want := emit.CTRFRedactionRules(), []string{"ctrf.allowlist"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	// The caller's copy is its own.
	got := emit.CTRFRedactionRules()
	got[0] = "x"
	if emit.CTRFRedactionRules()[0] != "ctrf.allowlist" {
		t.Error("CTRFRedactionRules returns shared state")
	}
}

func TestMinimalBundleDropsCTRFFreeText(t *testing.T) {
	in := copyInputs(t, h100Example)
	writeFile(t, filepath.Join(in.results, "deployment.json"), logsReport(t))
	data, _ := mustEmit(t, in.args(outPath(t)), emit.Env{})
	res := inspect(t, data)
	if res.Verdict != verify.VerdictPassed {
		t.Fatalf("inspect: %s", describe(res))
	}
	tarBytes := rawTar(t, data)
	for _, s := range secretsInLogs {
		if bytes.Contains(tarBytes, []byte(s)) {
			t.Errorf("the minimal bundle contains %q", s)
		}
	}
	files := bundleFiles(t, data)
	want, _, err := emit.RedactCTRF(logsReport(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["ctrf/deployment.json"], want) {
		t.Error("ctrf/deployment.json is not RedactCTRF of the input")
	}
	// The untouched reports are re-encoded too, but keep their tests.
	_, pred := predicateOf(t, files)
	if got := pred.Phases["deployment"]; got.Passed != 4 || got.Failed != 0 || got.CTRFDigest != schema.SHA256Prefixed(want) {
		t.Errorf("deployment phase %+v", got)
	}
	if pred.Redaction == nil || !containsAll(pred.Redaction.Applied, emit.CTRFRedactionRules()) {
		t.Errorf("predicate.redaction %+v lacks the CTRF rules", pred.Redaction)
	}

	// Control: --redact full ships the report as given, free text and all.
	full, _ := mustEmit(t, append(in.args(outPath(t)), "--redact", "full"), emit.Env{})
	fullFiles := bundleFiles(t, full)
	if !bytes.Equal(fullFiles["ctrf/deployment.json"], logsReport(t)) {
		t.Error("--redact full changed the CTRF report")
	}
	if !bytes.Contains(rawTar(t, full), []byte("ip-10-42-7-19.corp-secret.internal")) {
		t.Error("--redact full lost the node names (the search above proves nothing)")
	}
	if res := inspect(t, full); res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect --redact full: %s", describe(res))
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
