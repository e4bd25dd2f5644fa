package statuspage_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/statuspage"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/verify"
)

// FINDING (medium): WriteDir never removes badges of recipes that are no
// longer in the report. The action writes the page into
// <sweep-dir>/page, and the workflow restores and saves the whole sweep
// folder with actions/cache, so the page folder of the previous night is the
// starting point of tonight's. A recipe that is deleted or renamed (e.g.
// because its evidence was found forged, or to dodge the sweep) keeps its
// last badge file — a green "passed" — on the published Pages site forever,
// and every README that embeds
// https://img.shields.io/endpoint?url=<page>/badges/<recipe>.json keeps
// showing green. An attacker gains a permanent "passed" badge for evidence
// that no longer exists or was withdrawn.
// Fix: write the page into a fresh folder (e.g. a temp dir renamed over the
// old one) or delete badges/*.json that the report does not name.
func TestSweepAttackStaleBadgeSurvivesRecipeRemoval(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	passed := sweep.Report{ReportVersion: sweep.ReportVersion, GeneratedAt: now, Recipes: []sweep.Recipe{
		{Name: "h100-eks-ubuntu-training", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictPassed},
	}}
	if err := statuspage.WriteDir(dir, &passed); err != nil {
		t.Fatal(err)
	}
	// The next night the recipe is gone from the checkout.
	gone := sweep.Report{ReportVersion: sweep.ReportVersion, GeneratedAt: now.Add(24 * time.Hour)}
	if err := statuspage.WriteDir(dir, &gone); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, statuspage.BadgeDir, "h100-eks-ubuntu-training.json"))
	if err == nil {
		var badge statuspage.Badge
		_ = json.Unmarshal(b, &badge)
		t.Fatalf("the badge of a recipe that no longer exists is still published: %s", strings.TrimSpace(string(b)))
	}
}

// Defence held: badge files are only written for valid recipe names, so an
// orphan bundle folder named like a path cannot write outside badges/, and
// the badge JSON carries only fixed words (no recipe-derived message).
func TestSweepAttackBadgeNamesAndMessagesHeld(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rep := sweep.Report{ReportVersion: sweep.ReportVersion, GeneratedAt: now, Recipes: []sweep.Recipe{
		{Name: "../../index", Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid, Detail: `"},"color":"brightgreen`},
		{Name: "..", Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid},
		{Name: "ok-recipe", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictInvalid, Detail: `"message":"passed"`},
	}}
	if err := statuspage.WriteDir(dir, &rep); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, statuspage.BadgeDir))
	if len(ents) != 1 || ents[0].Name() != "ok-recipe.json" {
		t.Fatalf("badges: %v", ents)
	}
	b, _ := os.ReadFile(filepath.Join(dir, statuspage.BadgeDir, "ok-recipe.json"))
	var badge map[string]any
	if err := json.Unmarshal(b, &badge); err != nil || badge["message"] != "invalid" || badge["color"] != "critical" || len(badge) != 4 {
		t.Fatalf("badge %s", b)
	}
}

// FINDING (high, the product side of
// action.TestSweepAttackCommittedPageSymlinkWritesOutside): WriteDir writes
// index.html, report.json and badges/<recipe>.json with os.WriteFile, which
// follows a symbolic link already at that name. Whoever can place a link in
// the page folder (the checkout, since the action's page folder is in it)
// redirects the write to any file the process may write.
// Fix: write into a fresh folder and rename it into place, or remove the
// name first and create with O_EXCL|O_NOFOLLOW.
func TestSweepAttackWriteDirFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, statuspage.BadgeDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, statuspage.BadgeDir, "ok-recipe.json")); err != nil {
		t.Fatal(err)
	}
	rep := sweep.Report{ReportVersion: sweep.ReportVersion, GeneratedAt: time.Now().UTC(), Recipes: []sweep.Recipe{
		{Name: "ok-recipe", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictPassed},
	}}
	_ = statuspage.WriteDir(dir, &rep)
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("WriteDir followed a link and overwrote %s with %q", victim, b)
	}
}

// WriteDir replaces an earlier page, never a folder that holds anything
// else (a mistyped --page-dir of "." or a home folder is refused, not wiped).
func TestWriteDirRefusesForeignFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := statuspage.WriteDir(dir, &sweep.Report{}); err == nil {
		t.Fatal("a folder holding notes.txt was replaced")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("notes.txt: %q, %v", b, err)
	}
}
