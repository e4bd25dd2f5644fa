package sweep

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/aicr/verify-evidence/internal/strictjson"
	"github.com/aicr/verify-evidence/internal/verify"
)

// MaxReportBytes bounds a previous report read back.
const MaxReportBytes = 64 << 20

// ReadReport reads a previous JSON report (written by WriteJSON), strictly.
func ReadReport(path string) (*Report, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("previous report: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("previous report %s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("previous report: %w", err)
	}
	if len(b) > MaxReportBytes {
		return nil, fmt.Errorf("previous report %s: larger than %d bytes", path, MaxReportBytes)
	}
	var rep Report
	if err := decodeStrict(b, &rep); err != nil {
		return nil, fmt.Errorf("previous report %s: %w", path, err)
	}
	if rep.ReportVersion != ReportVersion {
		return nil, fmt.Errorf("previous report %s: reportVersion %q, want %q", path, rep.ReportVersion, ReportVersion)
	}
	return &rep, nil
}

// track sets each recipe's VerdictSince and Change from the previous report:
// a recipe whose verdict is the one it had keeps its date and reason; one
// whose verdict changed gets the sweep's time and what changed since.
func track(rep, prev *Report) {
	if prev == nil {
		// The first sweep: every verdict is as old as what is known of it.
		for i := range rep.Recipes {
			t := rep.GeneratedAt
			rep.Recipes[i].VerdictSince = &t
		}
		return
	}
	before := map[string]*Recipe{}
	for i := range prev.Recipes {
		r := &prev.Recipes[i]
		before[historyKey(r)] = r
	}
	for i := range rep.Recipes {
		r := &rep.Recipes[i]
		p := before[historyKey(r)]
		if p != nil && VerdictWord(p) == VerdictWord(r) {
			r.VerdictSince, r.Change = p.VerdictSince, p.Change
			if r.VerdictSince == nil {
				t := prev.GeneratedAt
				r.VerdictSince = &t
			}
			continue
		}
		t := rep.GeneratedAt
		r.VerdictSince, r.Change = &t, changeReason(rep, prev, r, p)
	}
}

// historyKey is what names a row from one sweep to the next: its recipe and
// its evidence (bundle or pointer file).
func historyKey(r *Recipe) string { return r.Name + "\x00" + r.BundlePath + "\x00" + r.PointerPath }

// changeReason says what changed between the previous sweep and this one
// for a recipe whose verdict changed.
func changeReason(rep, prev *Report, r, p *Recipe) string {
	if p == nil {
		return "new since the last sweep"
	}
	var why []string
	if r.BundleDigest != p.BundleDigest {
		why = append(why, "evidence changed")
	}
	if r.RecipeDigest != p.RecipeDigest {
		why = append(why, "recipe changed")
	}
	if rep.TrustRootDigest != prev.TrustRootDigest {
		why = append(why, "trust root changed")
	}
	if rep.PolicyDigest != prev.PolicyDigest || rep.MaxAgeDays != prev.MaxAgeDays {
		why = append(why, "policy changed")
	}
	if rep.VerifierVersion != prev.VerifierVersion {
		why = append(why, "verifier changed")
	}
	if c, ok := findCheck(r.Checks, verify.CheckFreshness); ok && c.Status == verify.StatusFailed && c.Verdict == verify.VerdictFailing {
		why = append(why, "expired")
	}
	if len(why) == 0 {
		return "no input changed (an unavailable service, or time)"
	}
	return strings.Join(why, ", ")
}

func findCheck(cs []verify.Check, name string) (verify.Check, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return verify.Check{}, false
}

// decodeStrict decodes a document this package wrote: strict JSON
// (strictjson.Check: no key twice, even under case folding), and no member
// the type does not have (names match by exact case). It decodes once: a
// warm sweep decodes one cache entry per bundle.
func decodeStrict(b []byte, v any) error {
	if err := strictjson.Check(b); err != nil {
		return err
	}
	return jsonv2.Unmarshal(b, v, jsonv2.RejectUnknownMembers(true))
}
