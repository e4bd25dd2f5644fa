package emit

import (
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/snapshot/scrub"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// RuleCTRFAllowlist is the rule id of the CTRF allow-list, reported for every
// minimised report.
const RuleCTRFAllowlist = "ctrf.allowlist"

// ctrfAllowlist returns the members minimal redaction keeps, per level of a
// CTRF report; every other member, at every level, is dropped. The verifier
// reads reportFormat, the summary counts and each test's name and status
// (schema.ParseCTRF, schema.CountCTRF); duration, start and stop, specVersion
// and the tool's name and version are kept for the reader.
func ctrfAllowlist() (top, results, tool, summary, test []string) {
	return []string{"reportFormat", "specVersion", "results"},
		[]string{"tool", "summary", "tests"},
		[]string{"name", "version"},
		[]string{"tests", "passed", "failed", "skipped", "pending", "other", "start", "stop"},
		[]string{"name", "status", "duration"}
}

// CTRFRedactionRules are the rule ids that minimal redaction of a CTRF report
// always reports (the scrubber's rules are reported when they apply).
func CTRFRedactionRules() []string { return []string{RuleCTRFAllowlist} }

// RedactCTRF minimises a CTRF report to its allow-list (ctrfAllowlist):
// reportFormat, specVersion, results.tool.{name,version},
// results.summary.{tests,passed,failed,skipped,pending,other,start,stop} and
// per test name, status and duration. Every string kept, at every level
// (specVersion, tool name and version, test names and statuses, any string in
// the summary), is scrubbed (package scrub). The result is re-encoded
// deterministically: keys sorted, strings in their shortest escaping, numbers
// written exactly as read, two-space indentation and a final newline. It
// returns the ids of the rules applied, sorted. The report is read with the
// same strict reader the verifier uses (schema.ParseCTRF) and must be valid
// CTRF before and after; the counts are unchanged.
func RedactCTRF(report []byte, opts ...scrub.Option) ([]byte, []string, error) {
	if _, err := schema.ParseCTRF(report); err != nil {
		return nil, nil, err
	}
	sc := scrub.New(opts...)
	sc.Record(RuleCTRFAllowlist)
	topKeys, resultKeys, toolKeys, summaryKeys, testKeys := ctrfAllowlist()
	doc, err := pick(report, topKeys, sc, "CTRF")
	if err != nil {
		return nil, nil, err
	}
	results, err := pick(doc["results"], resultKeys, sc, "CTRF results")
	if err != nil {
		return nil, nil, err
	}
	if raw, ok := results["tool"]; ok {
		tool, err := pick(raw, toolKeys, sc, "CTRF results.tool")
		if err != nil {
			return nil, nil, err
		}
		if results["tool"], err = json.Marshal(tool); err != nil {
			return nil, nil, fmt.Errorf("CTRF: %w", err)
		}
	}
	if raw, ok := results["summary"]; ok {
		summary, err := pick(raw, summaryKeys, sc, "CTRF results.summary")
		if err != nil {
			return nil, nil, err
		}
		if results["summary"], err = json.Marshal(summary); err != nil {
			return nil, nil, fmt.Errorf("CTRF: %w", err)
		}
	}
	if raw, ok := results["tests"]; ok {
		var tests []jsontext.Value
		if err := strictjson.Unmarshal(raw, &tests); err != nil {
			return nil, nil, fmt.Errorf("CTRF results.tests: %w", err)
		}
		kept := make([]map[string]jsontext.Value, 0, len(tests))
		for i, t := range tests {
			m, err := pick(t, testKeys, sc, fmt.Sprintf("CTRF results.tests[%d]", i))
			if err != nil {
				return nil, nil, err
			}
			kept = append(kept, m)
		}
		if results["tests"], err = json.Marshal(kept); err != nil {
			return nil, nil, fmt.Errorf("CTRF: %w", err)
		}
	}
	if doc["results"], err = json.Marshal(results); err != nil {
		return nil, nil, fmt.Errorf("CTRF: %w", err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("CTRF: %w", err)
	}
	v := jsontext.Value(out)
	if err := v.Canonicalize(jsontext.CanonicalizeRawInts(false), jsontext.CanonicalizeRawFloats(false)); err != nil {
		return nil, nil, fmt.Errorf("CTRF: %w", err)
	}
	if err := v.Indent(jsontext.WithIndent("  ")); err != nil {
		return nil, nil, fmt.Errorf("CTRF: %w", err)
	}
	v = append(v, '\n')
	if _, err := schema.CheckCTRFSummary(v); err != nil {
		return nil, nil, fmt.Errorf("redacted CTRF: %w", err)
	}
	return v, sc.Applied(), nil
}

// pick returns the members of the JSON object b named in keys. With a
// scrubber, the string members kept are scrubbed; other members are kept as
// read.
func pick(b jsontext.Value, keys []string, sc *scrub.Scrubber, what string) (map[string]jsontext.Value, error) {
	all, err := strictjson.Members(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make(map[string]jsontext.Value, len(keys))
	for _, k := range keys {
		v, ok := all[k]
		if !ok {
			continue
		}
		if sc != nil && v.Kind() == '"' {
			var s string
			if err := strictjson.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", what, k, err)
			}
			if v, err = json.Marshal(sc.String(s)); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", what, k, err)
			}
		}
		out[k] = v
	}
	return out, nil
}
