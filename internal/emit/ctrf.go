package emit

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/aicr/verify-evidence/internal/schema"
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
// re-encodes it deterministically. Unknown fields are kept. The report must be
// valid CTRF (schema.ParseCTRF) before and after.
func RedactCTRF(report []byte) ([]byte, error) {
	if _, err := schema.ParseCTRF(report); err != nil {
		return nil, err
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(report))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	results, _ := doc["results"].(map[string]any)
	delete(results, "environment")
	tests, _ := results["tests"].([]any)
	for _, t := range tests {
		if m, ok := t.(map[string]any); ok {
			for _, f := range ctrfOmitted {
				delete(m, f)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	if _, err := schema.ParseCTRF(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("redacted CTRF: %w", err)
	}
	return buf.Bytes(), nil
}
