package sweep_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// hostile strings an orphan bundle's folder name, a bundle's signer identity,
// a check detail or a fingerprint row can carry (git allows newlines and
// pipes in paths; a Fulcio SAN of an untrusted signer is anything).
var hostileStrings = []string{
	"a|b|c", "x\n# injected heading\n| fake | row |", "@mallory please see", "#1", "x\r\n::error::pwned",
	"[click](https://evil.example)", "![img](https://evil.example/x.png)", "<img src=x onerror=alert(1)>",
	"`code` ``x``", "<!-- verify-evidence:evidence-status -->", "<details open>", "*bold* _em_ ~~s~~",
	"https://evil.example/autolink", "&lt;script&gt;", "\u202eevil", ":warning:",
}

// Defence check: every recipe/bundle-derived string in the issue body and
// the Markdown report stays inside its table cell and line, and cannot
// mention, link, embed an image, render HTML or repeat the issue's marker
// (which would let the report be found as the issue by another body).
func TestSweepAttackMarkdownInjectionHeld(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var rep sweep.Report
	rep.ReportVersion, rep.GeneratedAt, rep.MaxAgeDays = sweep.ReportVersion, now, 365
	for _, h := range hostileStrings {
		at := now.Add(-300 * 24 * time.Hour)
		exp := at.Add(365 * 24 * time.Hour)
		left, age := 65, 300
		rep.Recipes = append(rep.Recipes,
			sweep.Recipe{Name: h, BundlePath: "recipes/evidence/" + h + "/evidence-bundle.tar.gz", Outcome: comment.OutcomeOrphan,
				Verdict: verify.VerdictInvalid, Detail: h, Change: h},
			sweep.Recipe{Name: "r", RecipePath: "recipes/" + h + ".yaml", BundlePath: "b/" + h, Outcome: comment.OutcomeVerified,
				Verdict: verify.VerdictFailing, Detail: h, AttestedAt: &at, ExpiresAt: &exp, DaysLeft: &left, AgeDays: &age,
				Signers:     []sweep.Signer{{Identity: h, Issuer: h, Allowed: false}},
				Fingerprint: &verify.Check{Detail: h, Rows: []verify.Row{{Key: h, Value: h}}},
				Phases:      []verify.PhaseInfo{{Phase: h, Passed: 1}},
				Match:       &comment.RecipeMatch{Summary: h}},
			sweep.Recipe{Name: h, Outcome: comment.OutcomeMissing, BundlePath: h})
	}
	rep.Notes = hostileStrings
	body, _ := sweep.IssueBody(&rep, "https://acme.github.io/recipes/")
	var md bytes.Buffer
	if err := sweep.WriteMarkdown(&md, &rep); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"issue": body, "markdown": md.String()} {
		if n := strings.Count(doc, "<!-- verify-evidence:evidence-status -->"); (name == "issue" && n != 1) || (name != "issue" && n != 0) {
			t.Errorf("%s: %d markers", name, n)
		}
		for _, bad := range []string{"@mallory", "](https://evil", "<img", "<details", "\r", "::error::", "# injected", "| fake |", "https://evil.example/autolink", "\u202e"} {
			if strings.Contains(doc, bad) {
				i := strings.Index(doc, bad)
				t.Errorf("%s: %q raw: …%q…", name, bad, doc[max(0, i-60):min(len(doc), i+60)])
			}
		}
		// Every table row has the header's number of cells.
		lines := strings.Split(doc, "\n")
		cells := 0
		for _, line := range lines {
			switch {
			case strings.HasPrefix(line, "|---"):
				cells = strings.Count(line, "|")
			case strings.HasPrefix(line, "|") && cells > 0:
				if got := strings.Count(line, "|"); got != cells {
					t.Errorf("%s: row with %d pipes, header %d: %q", name, got, cells, line)
				}
			case line == "":
				cells = 0
			}
		}
	}
}

// Defence held: a verification cached under a long maximum age is judged
// again under a shorter one (the max age is not in the key; freshness is
// recomputed), and a run whose trust root could not be loaded neither reads
// nor writes the cache: its verdict is "error", never a cached "passed".
func TestSweepAttackCacheMaxAgeAndTrustErrorHeld(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	if rep := run(t, cfg); rep.Counts.Passed != 1 {
		t.Fatalf("first: %+v", rep.Counts)
	}
	short := cfg
	short.Verify.MaxAge = 3 * 24 * time.Hour
	rep := run(t, short)
	if r := byName(t, rep, sweeptest.Examples[0]); !r.Cached || r.Verdict == verify.VerdictPassed || *r.DaysLeft >= 0 {
		t.Errorf("shorter max age from the cache: %s cached=%v daysLeft=%d", r.Verdict, r.Cached, *r.DaysLeft)
	}
	if rep.MaxAgeDays != 3 {
		t.Errorf("maxAgeDays %d", rep.MaxAgeDays)
	}
	noTrust := cfg
	noTrust.Verify.Trust = nil
	noTrust.Verify.TrustError = errors.New("TUF unavailable")
	rep = run(t, noTrust)
	for _, r := range rep.Recipes {
		if r.Cached || r.Verdict == verify.VerdictPassed {
			t.Errorf("without a trust root: %s %s cached=%v", r.Name, r.Verdict, r.Cached)
		}
	}
	if rep.Counts.Passed != 0 || rep.Cache.Hits != 0 {
		t.Errorf("without a trust root: %+v %+v", rep.Counts, rep.Cache)
	}
}

// Defence held: a cache entry that is a symbolic link (to a forged entry
// outside the cache) is not read.
func TestSweepAttackSymlinkedCacheEntryHeld(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	run(t, cfg)
	ents, _ := os.ReadDir(cfg.CacheDir)
	outside := t.TempDir()
	for _, e := range ents {
		p := filepath.Join(cfg.CacheDir, e.Name())
		if err := os.Rename(p, filepath.Join(outside, e.Name())); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, e.Name()), p); err != nil {
			t.Fatal(err)
		}
	}
	if rep := run(t, cfg); rep.Cache.Hits != 0 {
		t.Errorf("linked cache entries were read: %+v", rep.Cache)
	}
}

// FOUND, fixed (low): DaysLeft is int(hours/24), truncated toward zero, so
// evidence that expired less than a day ago has DaysLeft 0 and the Markdown
// report (job summary, CLI) says "expires <date> (in 0 days)" on a row whose
// verdict is failing because it is older than the maximum age; the page
// (Math.floor) says "expired 1 days ago" for the same row. Likewise AgeDays
// and DaysLeft disagree with the dates by a day around midnight.
// Fix: floor (math.Floor of the hours / 24, or compare times), and word
// expiry from ExpiresAt.Before(now), not from the rounded count.
func TestSweepAttackExpiredShowsInZeroDays(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	first := run(t, cfg)
	r := byName(t, first, sweeptest.Examples[0])
	cfg.Now = r.ExpiresAt.Add(12 * time.Hour)
	rep := run(t, cfg)
	r = byName(t, rep, sweeptest.Examples[0])
	var md bytes.Buffer
	_ = sweep.WriteMarkdown(&md, rep)
	// (Another example, attested a day later, legitimately expires "in 0 days".)
	if r.Verdict != verify.VerdictPassed && (*r.DaysLeft >= 0 || strings.Contains(md.String(), r.ExpiresAt.Format(time.DateOnly)+" (in 0 days)")) {
		t.Fatalf("evidence expired 12 hours ago (%s: %s) has daysLeft %d; the report says %q", r.Verdict, r.Detail, *r.DaysLeft, "(in 0 days)")
	}
}

// FOUND, fixed (medium): IssueBody bounds each section to 100 rows but not the
// body's size. Names and details are escaped into HTML entities (up to ~6
// bytes per character), so about 100 orphan bundle folders with long names
// (or long verifier details) make a body over GitHub's 65,536-character limit;
// GitHub answers 422, KeepIssue fails, and the issue keeps its last state —
// e.g. closed with "All recipes pass" — while evidence is failing. An
// attacker who lands such folders (or a bundle whose check details are long)
// silences the "Evidence status" issue.
// Fix: bound the body in bytes (truncate sections, cut long cells) and keep
// the marker, title and counts in whatever fits.
func TestSweepAttackIssueBodyOverGitHubLimit(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rep := sweep.Report{ReportVersion: sweep.ReportVersion, GeneratedAt: now}
	long := strings.Repeat("<:", 120) // a 240-byte folder name, legal on Linux and in git
	for i := range 300 {
		rep.Recipes = append(rep.Recipes, sweep.Recipe{Name: long + string(rune('a'+i%26)), BundlePath: "recipes/evidence/" + long + "/evidence-bundle.tar.gz",
			Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid, Detail: "a bundle whose recipe does not exist in the checkout: nothing to verify it against"})
	}
	body, open := sweep.IssueBody(&rep, "")
	if !open {
		t.Fatal("not open")
	}
	if n := len([]rune(body)); n > 65536 {
		t.Fatalf("issue body of %d characters: GitHub refuses bodies over 65,536, so the issue is never updated", n)
	}
}

// FOUND, fixed (low/medium): a sweep that finds no recipe at all — the recipe
// glob or evidence folder input is wrong after a repository reorganisation,
// a sparse or shallow checkout, recipes moved under another folder — reports
// "All 0 recipes have evidence that passes" and IssueBody says the issue
// should be closed, so the action closes the Evidence status issue and the
// worst verdict output is "passed". Nothing was decided, yet the alert is
// silenced. An attacker who lands a PR moving recipes (e.g. renaming
// recipes/ to Recipes/) gains a closed issue and a green job while every
// recipe goes unchecked.
// Fix: zero recipes is "could not decide" (keep the issue open saying the
// sweep found no recipe under the configured paths, verdict error).
func TestSweepAttackNoRecipesClosesIssue(t *testing.T) {
	dir := t.TempDir()
	sweeptest.Write(t, dir, "Recipes/h100.yaml", []byte("kind: RecipeResult\n"))
	rep := run(t, sweeptest.Config(t, dir))
	if _, open := sweep.IssueBody(rep, ""); !open && len(rep.Recipes) == 0 {
		t.Fatalf("a sweep that found no recipe (%+v) would close the Evidence status issue as all fine", rep.Counts)
	}
}

// FOUND, fixed (low): the issue body is documented to hold "dates, never ages",
// so that the same state gives the same body and the issue is not edited
// when nothing changed. But the "Why" column is the verdict's detail, and
// for expired evidence that is the freshness summary, which carries an age
// ("…, 400 days ago: older than the maximum age…"): the issue is edited every
// night for as long as any evidence stays expired (an edit storm in the
// issue's history and in webhooks/automation keyed on issue edits).
// Fix: strip ages from the detail in the issue (or use a date-only wording
// for freshness).
func TestSweepAttackExpiredEvidenceEditsIssueNightly(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.Now = sweeptest.Now.AddDate(2, 0, 0)
	a, _ := sweep.IssueBody(run(t, cfg), "")
	cfg.Previous = run(t, cfg)
	cfg.Now = cfg.Now.Add(24 * time.Hour)
	b, _ := sweep.IssueBody(run(t, cfg), "")
	if a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("nothing changed but a day, yet the issue body changed:\n%s\n%s", al[i], bl[i])
			}
		}
		t.Fatal("nothing changed but a day, yet the issue body changed")
	}
}
