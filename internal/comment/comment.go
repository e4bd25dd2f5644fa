package comment

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/verify"
)

// Marker is the hidden HTML comment that identifies the action's sticky comment.
const Marker = "<!-- aicr/verify-evidence: sticky report -->"

// MaxCommentChars is the most characters the comment may hold; GitHub refuses
// bodies over 65,536.
const MaxCommentChars = 65000

// MaxSummaryBytes bounds the job summary ($GITHUB_STEP_SUMMARY holds at most 1 MiB).
const MaxSummaryBytes = 1000 * 1024

// Outcome is the state of one recipe in the PR.
type Outcome string

// Outcomes of a recipe row; verified rows carry the verifier's verdict instead.
const (
	OutcomeVerified Outcome = "verified"
	// OutcomeMissing: the recipe changed but the PR has no bundle for it.
	OutcomeMissing Outcome = "missing"
	// OutcomeOrphan: a bundle whose recipe does not exist at the PR head.
	OutcomeOrphan Outcome = "orphan"
	// OutcomeUnreadable: the bundle could not be fetched (LFS pointer, too large, API error).
	OutcomeUnreadable Outcome = "unreadable"
)

// Difference is one path where the PR's recipe and the bundle's recipe differ.
type Difference struct {
	Path       string `json:"path"`
	PRSays     string `json:"prSays"`
	BundleSays string `json:"bundleSays"`
	// SetBy is the overlay that set PRSays, for an overlay check.
	SetBy string `json:"setBy,omitempty"`
}

// RecipeMatch is the recipe ↔ PR cross-check of one row.
type RecipeMatch struct {
	// Kind is how the PR's recipe was compared (resolved, overlay, resolved-dir).
	Kind        string       `json:"kind"`
	Match       bool         `json:"match"`
	Summary     string       `json:"summary"`
	Differences []Difference `json:"differences,omitempty"`
}

// Row is one recipe of the PR and what was found about it.
type Row struct {
	Recipe     string         `json:"recipe"`
	RecipePath string         `json:"recipePath,omitempty"`
	BundlePath string         `json:"bundlePath,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Outcome    Outcome        `json:"outcome"`
	Detail     string         `json:"detail,omitempty"`
	Verdict    verify.Verdict `json:"verdict"`
	Result     *verify.Result `json:"result,omitempty"`
	Match      *RecipeMatch   `json:"recipeMatch,omitempty"`
}

// Report is everything the action found on one PR.
type Report struct {
	Repository string         `json:"repository"`
	PR         int            `json:"pullRequest"`
	HeadSHA    string         `json:"headSha"`
	RunURL     string         `json:"runUrl,omitempty"`
	Verdict    verify.Verdict `json:"verdict"`
	Rows       []Row          `json:"rows"`
	// Notes are PR-level remarks (file list truncated, LFS pointers, ignored files).
	Notes []string `json:"notes,omitempty"`
	// Counts per outcome, for the action's outputs.
	Counts Counts `json:"counts"`
}

// Counts tallies the rows.
type Counts struct {
	Passed  int `json:"passed"`
	Failing int `json:"failing"`
	Invalid int `json:"invalid"`
	Errors  int `json:"errors"`
	Missing int `json:"missing"`
}

// Tally recomputes the counts and the overall verdict from the rows.
func (r *Report) Tally() {
	r.Counts = Counts{}
	r.Verdict = verify.VerdictPassed
	for _, row := range r.Rows {
		switch row.Outcome {
		case OutcomeMissing:
			r.Counts.Missing++
			continue
		}
		switch row.Verdict {
		case verify.VerdictPassed:
			r.Counts.Passed++
		case verify.VerdictFailing:
			r.Counts.Failing++
		case verify.VerdictInvalid:
			r.Counts.Invalid++
		default:
			r.Counts.Errors++
		}
		r.Verdict = r.Verdict.Worse(row.Verdict)
	}
}

func rowIcon(row Row) string {
	if row.Outcome == OutcomeMissing {
		return "📭 missing"
	}
	switch row.Verdict {
	case verify.VerdictPassed:
		return "✅ passed"
	case verify.VerdictFailing:
		return "⚠️ failing"
	case verify.VerdictInvalid:
		return "❌ invalid"
	}
	return "⏳ could not decide"
}

func overallLine(r *Report) string {
	n := len(r.Rows)
	switch {
	case n == 0:
		return "ℹ️ **No recipe evidence to verify in this PR.**"
	case r.Verdict == verify.VerdictPassed && r.Counts.Missing == 0:
		return fmt.Sprintf("✅ **Evidence verified** for %d recipe(s).", n)
	case r.Verdict == verify.VerdictInvalid:
		return fmt.Sprintf("❌ **Invalid evidence** — %d invalid, %d failing, %d passed, %d missing, %d undecided.", r.Counts.Invalid, r.Counts.Failing, r.Counts.Passed, r.Counts.Missing, r.Counts.Errors)
	case r.Verdict == verify.VerdictError:
		return fmt.Sprintf("⏳ **Could not decide** for %d recipe(s) — retry the job; %d passed, %d failing, %d missing.", r.Counts.Errors, r.Counts.Passed, r.Counts.Failing, r.Counts.Missing)
	case r.Verdict == verify.VerdictFailing:
		return fmt.Sprintf("⚠️ **Genuine evidence that does not show a pass** — %d failing, %d passed, %d missing.", r.Counts.Failing, r.Counts.Passed, r.Counts.Missing)
	default:
		return fmt.Sprintf("📭 **Evidence missing** for %d recipe(s); %d passed.", r.Counts.Missing, r.Counts.Passed)
	}
}

func signerCell(row Row) string {
	res := row.Result
	if res == nil || res.Signature == nil || !res.Signature.Verified {
		if res != nil && res.Signature != nil && !res.Signature.Signed {
			return "unsigned"
		}
		return "—"
	}
	s := res.Signature
	class := "not on the list"
	if s.Class != "" {
		class = s.Class
	}
	return Code(s.Identity) + "<br>" + Text(class)
}

func rekorCell(row Row) string {
	if row.Result == nil || row.Result.Signature == nil || !row.Result.Signature.Verified {
		return "—"
	}
	s := row.Result.Signature
	cell := fmt.Sprintf("#%d", s.LogIndex)
	if s.SignedAt != nil {
		cell += "<br>" + s.SignedAt.UTC().Format("2006-01-02 15:04Z")
	}
	return cell
}

func checkCell(row Row, name string) string {
	if row.Result == nil {
		return "—"
	}
	c, ok := row.Result.Check(name)
	if !ok {
		return "—"
	}
	return statusIcon[c.Status]
}

func phasesCell(row Row) string {
	if row.Result == nil || len(row.Result.Phases) == 0 {
		return "—"
	}
	var parts []string
	for _, p := range row.Result.Phases {
		mark := "✅"
		if p.Failed+p.Pending+p.Other > 0 {
			mark = "❌"
		}
		parts = append(parts, fmt.Sprintf("%s %s %d/%d", mark, Text(p.Phase), p.Passed, p.Passed+p.Failed+p.Pending+p.Other))
	}
	return strings.Join(parts, "<br>")
}

func matchCell(row Row) string {
	switch {
	case row.Match == nil:
		return "—"
	case row.Match.Match:
		return "✅ " + Text(row.Match.Kind)
	default:
		return fmt.Sprintf("❌ %d difference(s)", len(row.Match.Differences))
	}
}

// tableRow renders the summary table row of one recipe.
func tableRow(row Row) string {
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |\n",
		Code(row.Recipe), signerCell(row), rekorCell(row), checkCell(row, verify.CheckFingerprint), phasesCell(row), matchCell(row), rowIcon(row))
}

const tableHeader = "| recipe | signer | Rekor | fingerprint | phases | recipe ↔ PR | verdict |\n|---|---|---|---|---|---|---|\n"

// details renders the collapsible per-check section of one recipe.
func details(row Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%s — %s</summary>\n\n", Code(row.Recipe), rowIcon(row))
	if row.RecipePath != "" {
		fmt.Fprintf(&b, "Recipe %s", Code(row.RecipePath))
	}
	if row.BundlePath != "" {
		fmt.Fprintf(&b, ", bundle %s", Code(row.BundlePath))
	}
	if row.Reason != "" {
		fmt.Fprintf(&b, " (%s)", Text(row.Reason))
	}
	b.WriteString("\n\n")
	if row.Detail != "" {
		fmt.Fprintf(&b, "%s\n\n", Text(row.Detail))
	}
	if row.Result != nil {
		b.WriteString("| # | check | status | detail |\n|---:|---|---|---|\n")
		for i, c := range row.Result.Checks {
			fmt.Fprintf(&b, "| %d | %s | %s %s | %s |\n", i+1, Text(c.Title), statusIcon[c.Status], c.Status, Text(c.Detail))
		}
		b.WriteString("\n")
	}
	if m := row.Match; m != nil && len(m.Differences) > 0 {
		fmt.Fprintf(&b, "Recipe ↔ PR (%s): %s\n\n| path | PR says | bundle says | set by |\n|---|---|---|---|\n", Text(m.Kind), Text(m.Summary))
		for _, d := range m.Differences {
			setBy := "—"
			if d.SetBy != "" {
				setBy = Code(d.SetBy)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", Code(d.Path), Text(d.PRSays), Text(d.BundleSays), setBy)
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// sortedRows puts the rows that need attention first: invalid, undecided, failing, missing, passed.
func sortedRows(rows []Row) []Row {
	rank := func(r Row) int {
		if r.Outcome == OutcomeMissing {
			return 3
		}
		switch r.Verdict {
		case verify.VerdictInvalid:
			return 0
		case verify.VerdictError:
			return 1
		case verify.VerdictFailing:
			return 2
		}
		return 4
	}
	out := append([]Row(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		if rank(out[i]) != rank(out[j]) {
			return rank(out[i]) < rank(out[j])
		}
		return out[i].Recipe < out[j].Recipe
	})
	return out
}

// Render writes the Markdown report: the marker, a verdict line, one table row
// per recipe, a collapsible per-check section per recipe, notes and a footer with
// the run link. When the result would exceed limit characters, whole rows and
// sections are dropped from the end (the least urgent first) and the report says
// how many and links the run.
func Render(r *Report, limit int) string {
	head := Marker + "\n## Recipe evidence\n\n" + overallLine(r) + "\n\n"
	footer := "\n---\n<sub>Evidence informs review; it never merges anything by itself."
	if r.RunURL != "" {
		footer += " Full report: [job summary](" + r.RunURL + ")."
	}
	if r.HeadSHA != "" {
		footer += " Head " + Code(shortSHA(r.HeadSHA)) + "."
	}
	footer += "</sub>\n"
	var notes strings.Builder
	for _, n := range r.Notes {
		notes.WriteString("> " + Text(n) + "\n")
	}
	if notes.Len() > 0 {
		notes.WriteString("\n")
	}
	rows := sortedRows(r.Rows)
	for keep := len(rows); keep >= 0; keep-- {
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(notes.String())
		if len(rows) > 0 {
			b.WriteString(tableHeader)
			for _, row := range rows[:keep] {
				b.WriteString(tableRow(row))
			}
			b.WriteString("\n")
			for _, row := range rows[:keep] {
				b.WriteString(details(row))
			}
		}
		if dropped := len(rows) - keep; dropped > 0 {
			fmt.Fprintf(&b, "> ✂️ %d more recipe(s) not shown: the comment is limited to %d characters. See the job summary for the full report.\n", dropped, limit)
		}
		b.WriteString(footer)
		if out := b.String(); utf8.RuneCountInString(out) <= limit || keep == 0 {
			return out
		}
	}
	return head + footer
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
