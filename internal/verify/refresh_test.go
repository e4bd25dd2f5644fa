package verify_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Refresh at a later time gives exactly what a full Verify at that time gives:
// the cached verification of a sweep only has its age recomputed.
func TestRefreshEqualsVerifyAtThatTime(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "examples")
	bundle, err := os.ReadFile(filepath.Join(dir, "h100-eks-ubuntu-training", "evidence-bundle.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trust.FromFile(filepath.Join(dir, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := os.ReadFile(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse(pb)
	if err != nil {
		t.Fatal(err)
	}
	run := func(now time.Time, maxAge time.Duration) *verify.Result {
		v, err := verify.New(verify.Config{Trust: tr, Policy: pol, MaxAge: maxAge, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return v.Verify(context.Background(), bytes.NewReader(bundle), verify.Options{Name: "b"})
	}
	early := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	late := early.AddDate(2, 0, 0)
	year := 365 * 24 * time.Hour
	cached := run(early, 0)
	if cached.Verdict != verify.VerdictPassed {
		t.Fatalf("example: %s: %s", cached.Verdict, cached.Summary)
	}
	for _, tc := range []struct {
		now    time.Time
		maxAge time.Duration
		want   verify.Verdict
	}{{early, year, verify.VerdictPassed}, {late, year, verify.VerdictFailing}, {late, 0, verify.VerdictPassed}} {
		got := verify.Refresh(cached, tc.now, tc.maxAge)
		full := run(tc.now, tc.maxAge)
		if got.Verdict != tc.want || full.Verdict != tc.want {
			t.Errorf("%s/%s: refresh %s, verify %s, want %s", tc.now, tc.maxAge, got.Verdict, full.Verdict, tc.want)
		}
		if got.Summary != full.Summary {
			t.Errorf("summary: refresh %q, verify %q", got.Summary, full.Summary)
		}
		g, _ := got.Check(verify.CheckFreshness)
		f, _ := full.Check(verify.CheckFreshness)
		if g.Status != f.Status || g.Detail != f.Detail || g.Verdict != f.Verdict {
			t.Errorf("freshness: refresh %+v, verify %+v", g, f)
		}
	}
	// The cached result itself is not modified.
	if c, _ := cached.Check(verify.CheckFreshness); c.Status != verify.StatusPassed || cached.Verdict != verify.VerdictPassed {
		t.Errorf("Refresh modified its input: %+v", c)
	}
}
