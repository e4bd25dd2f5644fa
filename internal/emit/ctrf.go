package emit

import (
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// ctrfOmitted are the per-test fields minimal redaction drops: free text and
// attachments that may carry node names, IPs or secrets. Counts, names,
// statuses, durations, suites, parameters and the redaction-safe "extra" map
// stay. results.environment (build and host details) is dropped too.
var ctrfOmitted = []string{"message", "stdout", "stderr", "trace", "snippet", "ai", "attachments", "screenshot"}

// CTRFRedactionRules are the rule ids recorded in predicate.redaction for CTRF.
func CTRFRedactionRules() []string {
	out := make([]string, 0, len(ctrfOmitted)+1)
	for _, f := range ctrfOmitted {
		out = append(out, "ctrf.tests.omit:"+f)
	}
	return append(out, "ctrf.results.omit:environment")
}

// RedactCTRF drops the free-text fields of every test from a CTRF report and
// re-encodes it deterministically: keys sorted, strings in their shortest
// escaping, numbers written exactly as read, two-space indentation and a final
// newline. Unknown fields are kept. The report is read with the same strict
// reader the verifier uses (schema.ParseCTRF) and must be valid CTRF before and
// after.
func RedactCTRF(report []byte) ([]byte, error) {
	if _, err := schema.ParseCTRF(report); err != nil {
		return nil, err
	}
	doc, err := strictjson.Members(report)
	if err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	results, err := strictjson.Members(doc["results"])
	if err != nil {
		return nil, fmt.Errorf("CTRF results: %w", err)
	}
	delete(results, "environment")
	var tests []map[string]jsontext.Value
	if raw, ok := results["tests"]; ok {
		if err := strictjson.Unmarshal(raw, &tests); err != nil {
			return nil, fmt.Errorf("CTRF results.tests: %w", err)
		}
	}
	for _, t := range tests {
		for _, f := range ctrfOmitted {
			delete(t, f)
		}
	}
	if tests != nil {
		if results["tests"], err = json.Marshal(tests); err != nil {
			return nil, fmt.Errorf("CTRF: %w", err)
		}
	}
	if doc["results"], err = json.Marshal(results); err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	v := jsontext.Value(out)
	if err := v.Canonicalize(jsontext.CanonicalizeRawInts(false), jsontext.CanonicalizeRawFloats(false)); err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	if err := v.Indent(jsontext.WithIndent("  ")); err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	v = append(v, '\n')
	if _, err := schema.ParseCTRF(v); err != nil {
		return nil, fmt.Errorf("redacted CTRF: %w", err)
	}
	return v, nil
}
