package comment

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/schema"
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
	// OutcomePending: an AICR pointer file that is unsigned and pending (it
	// names no pushed bundle): no evidence yet, counted as missing.
	OutcomePending Outcome = "pending"
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
	// PointerPath is the AICR pointer file of a pointer row (BundlePath is
	// then ""); Pointer what it claims.
	PointerPath string       `json:"pointerPath,omitempty"`
	Pointer     *PointerInfo `json:"pointer,omitempty"`
	// AddOnly says how the PR edits or deletes an existing pointer file; the
	// row is then invalid.
	AddOnly string `json:"addOnly,omitempty"`
}

// PointerInfo is what an AICR pointer file claims (its checks are in the
// row's Result: the pointer check compares every claim with what verified).
type PointerInfo struct {
	// Source is the pointer's <source> folder: the first 32 hex digits of
	// sha256(issuer + "\n" + identity) of the signer it names.
	Source string `json:"source,omitempty"`
	// Identity and Issuer are its signer block ("" when unsigned).
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// OCI is the artifact it names (<registry>/<repository>:<tag>), Digest
	// the manifest digest it pins ("sha256:<hex>"); both "" when pending.
	OCI    string `json:"oci,omitempty"`
	Digest string `json:"digest,omitempty"`
	// RekorLogIndex is the log index it claims (nil when absent).
	RekorLogIndex *int64 `json:"rekorLogIndex,omitempty"`
	// Pending: unsigned, and nothing pushed to verify.
	Pending bool `json:"pending,omitempty"`
}

// Corroboration counts the independent signers of one recipe's evidence in
// the PR: its passed pointer rows, grouped by owner and by shared evidence.
type Corroboration struct {
	Recipe  string `json:"recipe"`
	Signers int    `json:"signers"`
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
	// Corroboration lists the recipes whose passed pointer rows have two or
	// more independent signers.
	Corroboration []Corroboration `json:"corroboration,omitempty"`
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
		case OutcomeMissing, OutcomePending:
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
	r.Corroboration = Corroborate(r.Rows)
}

// Corroborate counts, per recipe, the independent signers of its pointer
// rows that passed with a verified, trusted signature; recipes with two or
// more are listed, sorted by name. Rows are one signer when they share an
// owner (signerOwner: one GitHub account's repositories, workflows and refs
// are one signer) or any evidence (the same pinned artifact, the same
// manifest or CTRF digest: a second signature over one run's results is not
// a second run); the count is the number of groups left.
func Corroborate(rows []Row) []Corroboration {
	byRecipe := map[string][]Row{}
	for _, row := range rows {
		if corroborates(row) {
			byRecipe[row.Recipe] = append(byRecipe[row.Recipe], row)
		}
	}
	var out []Corroboration
	for name, rs := range byRecipe {
		if n := independentGroups(rs); n >= 2 {
			out = append(out, Corroboration{Recipe: name, Signers: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Recipe < out[j].Recipe })
	return out
}

// independentGroups joins rows that share an owner or any evidence digest
// and returns the number of groups.
func independentGroups(rows []Row) int {
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{} // key → first row holding it
	for i, row := range rows {
		keys := []string{"owner\x00" + signerOwner(row.Result.Signature)}
		if row.Pointer != nil && row.Pointer.Digest != "" {
			keys = append(keys, "artifact\x00"+row.Pointer.Digest)
		}
		if p := row.Result.Predicate; p != nil {
			for _, d := range p.EvidenceDigests {
				keys = append(keys, "evidence\x00"+d)
			}
		}
		for _, k := range keys {
			if j, ok := first[k]; ok {
				parent[find(i)] = find(j)
			} else {
				first[k] = i
			}
		}
	}
	groups := 0
	for i := range rows {
		if find(i) == i {
			groups++
		}
	}
	return groups
}

// signerOwner is who controls a signing identity: for an identity that is an
// https URL (a CI workflow: https://github.com/<owner>/<repo>/…), the issuer,
// host and first path segment, case-folded — every repository, workflow and
// ref of one account is one signer; otherwise the issuer and the identity.
func signerOwner(s *verify.SignatureInfo) string {
	id := s.Identity
	if s.SourceRepository != "" {
		id = s.SourceRepository
	}
	if u, err := url.Parse(id); err == nil && u.Scheme == "https" && u.Host != "" {
		owner, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/") // decoded: %61cme is acme
		if owner != "" {
			return strings.ToLower(s.Issuer + "\n" + u.Host + "/" + owner)
		}
	}
	return s.Issuer + "\n" + s.Identity
}

// corroborates says whether row counts as an independent signer of its
// recipe: a pointer row that passed, with a verified signature the policy trusts.
func corroborates(row Row) bool {
	if row.PointerPath == "" || row.Outcome != OutcomeVerified || row.Verdict != verify.VerdictPassed || row.Result == nil {
		return false
	}
	s := row.Result.Signature
	return s != nil && s.Verified && s.Allowed
}

// signersOf is the number of independent signers of recipe in r (0 when
// fewer than two).
func (r *Report) signersOf(recipe string) int {
	for _, c := range r.Corroboration {
		if c.Recipe == recipe {
			return c.Signers
		}
	}
	return 0
}

func rowIcon(row Row) string {
	switch row.Outcome {
	case OutcomeMissing:
		return "📭 missing"
	case OutcomePending:
		return "📭 pending"
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

// signerCell names the signer briefly: for a GitHub Actions workflow the
// repository, the workflow file and the ref; then the class the policy gave it.
// The full identity is in the details.
func signerCell(row Row) string {
	res := row.Result
	if res == nil || res.Signature == nil {
		return "—"
	}
	s := res.Signature
	switch {
	case !s.Signed:
		return "unsigned"
	case !s.Verified:
		if c, ok := res.Check(verify.CheckSignature); ok && c.Status == verify.StatusSkipped {
			return "not checked"
		}
		return "❌ signature not verified"
	}
	who := Code(shorten(s.Identity, 40))
	if repo, workflow, ref, ok := workflowIdentity(s.Identity); ok {
		who = Code(repo) + "<br>" + Text(workflow+" on "+ref)
	}
	who += "<br>" + trustText(s)
	if s.SCTIgnored {
		who += "<br>⚠️ no SCT (opt-out)"
	}
	return who
}

// recipeCell names the recipe; a pointer row adds the pointer's source and
// the recipe's independent signers.
func recipeCell(r *Report, row Row) string {
	cell := Code(row.Recipe)
	if row.PointerPath == "" {
		return cell
	}
	switch p := row.Pointer; {
	case p != nil && p.Source != "":
		cell += "<br>pointer, source " + Code(shorten(p.Source, 9))
	case p != nil && p.Pending:
		cell += "<br>pointer, unsigned, pending"
	default:
		cell += "<br>pointer"
	}
	if n := r.signersOf(row.Recipe); n >= 2 && corroborates(row) {
		cell += fmt.Sprintf("<br>👥 %d independent signers", n)
	}
	return cell
}

// trustText says what the policy made of the signer: its class and label, or
// that it is not on the list.
func trustText(s *verify.SignatureInfo) string {
	if !s.Allowed || s.Class == "" {
		return "❌ not on the list"
	}
	t := Text(s.Class)
	if s.Label != "" {
		t += " (" + Text(s.Label) + ")"
	}
	return t
}

var githubWorkflowSAN = regexp.MustCompile(`^https://github\.com/([^/@]+/[^/@]+)/\.github/workflows/([^@]+)@(refs/[^@]+)$`)

// workflowIdentity splits a GitHub Actions certificate identity into the
// repository, the workflow file and the ref (a branch without refs/heads/).
func workflowIdentity(identity string) (repo, workflow, ref string, ok bool) {
	m := githubWorkflowSAN.FindStringSubmatch(identity)
	if m == nil {
		return "", "", "", false
	}
	return m[1], path.Base(m[2]), strings.TrimPrefix(m[3], "refs/heads/"), true
}

// shorten cuts s to at most n characters, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// fact says how far what a check established may be believed.
type fact int

const (
	// factNotRun: the check did not run, or another part of the bundle failed
	// verification, so what it read is not verified.
	factNotRun fact = iota
	// factVerified: the check passed on a bundle whose signature and integrity hold.
	factVerified
	// factFailing: genuine evidence, and it shows a failure.
	factFailing
	// factBroken: the check itself found the bundle invalid, or could not decide.
	factBroken
)

// factOf classifies the check name of res. A fact is verified only when the
// check passed and nothing in the bundle failed verification: the predicate of
// a bundle whose CTRF files failed integrity proves nothing about its
// fingerprint either.
func factOf(res *verify.Result, name string) (fact, verify.Check) {
	if res == nil {
		return factNotRun, verify.Check{}
	}
	c, ok := res.Check(name)
	switch {
	case !ok || c.Status == verify.StatusSkipped:
		return factNotRun, c
	case c.Status == verify.StatusFailed && c.Verdict == verify.VerdictFailing:
		if genuine(res) {
			return factFailing, c
		}
		return factNotRun, c
	case c.Status != verify.StatusPassed:
		return factBroken, c
	case genuine(res):
		return factVerified, c
	}
	return factNotRun, c
}

// genuine says whether the bundle's signature and integrity were verified, so
// that what its predicate says may be shown as fact.
func genuine(res *verify.Result) bool {
	return res.Mode == "verify" && (res.Verdict == verify.VerdictPassed || res.Verdict == verify.VerdictFailing)
}

// phaseMark is ✅ for a phase with at least one passed test and no failed,
// pending or other test, ❌ otherwise.
func phaseMark(p verify.PhaseInfo) string {
	if p.Passed == 0 || p.Failed+p.Pending+p.Other > 0 {
		return "❌"
	}
	return "✅"
}

// evidenceCell summarises the test results and the hardware: marks only for
// what was verified, "not verified" for the rest.
func evidenceCell(row Row) string {
	res := row.Result
	if res == nil {
		return "—"
	}
	var lines []string
	switch f, c := factOf(res, verify.CheckCTRF); f {
	case factVerified, factFailing:
		reported := map[string]bool{}
		for _, p := range res.Phases {
			reported[p.Phase] = true
			line := fmt.Sprintf("%s %s\u00a0%d/%d", phaseMark(p), Text(p.Phase), p.Passed, p.Passed+p.Failed+p.Pending+p.Other)
			if p.Skipped > 0 {
				line += fmt.Sprintf(", %d skipped", p.Skipped)
			}
			if c, ok := coverageOf(res, p.Phase); ok && len(c.Missing) > 0 {
				line += fmt.Sprintf(" · %d/%d checks tested", len(c.Covered), len(c.Declared))
			}
			lines = append(lines, line)
		}
		for _, c := range res.Coverage {
			if !reported[c.Phase] {
				lines = append(lines, "❌ "+Text(c.Phase)+": no report")
			}
		}
		if len(lines) == 0 {
			lines = append(lines, "❌ no test results")
		}
	case factBroken:
		lines = append(lines, statusIcon[c.Status]+" test results: "+checkOutcome(c))
	default:
		lines = append(lines, "test results not verified")
	}
	switch f, c := factOf(res, verify.CheckFingerprint); f {
	case factVerified:
		lines = append(lines, "✅ hardware matches")
	case factFailing:
		lines = append(lines, "❌ hardware does not match")
	case factBroken:
		lines = append(lines, statusIcon[c.Status]+" fingerprint: "+checkOutcome(c))
	default:
		lines = append(lines, "hardware not verified")
	}
	return strings.Join(lines, "<br>")
}

// coverageOf returns the coverage of phase, when the verifier computed it.
func coverageOf(res *verify.Result, phase string) (schema.PhaseCoverage, bool) {
	for _, c := range res.Coverage {
		if c.Phase == phase {
			return c, true
		}
	}
	return schema.PhaseCoverage{}, false
}

// checkStatus is the status cell of a check. A check that passed after one
// found the bundle invalid or could not decide ran on input that did not
// verify: it is not marked ✅.
func checkStatus(c verify.Check, afterFailure bool) string {
	if afterFailure && c.Status == verify.StatusPassed {
		return "➖ passed, input not verified"
	}
	return statusIcon[c.Status] + " " + string(c.Status)
}

// brokeBundle says whether c found the bundle invalid or could not decide.
func brokeBundle(c verify.Check) bool {
	return c.Status == verify.StatusError || c.Status == verify.StatusFailed && c.Verdict != verify.VerdictFailing
}

// checkOutcome says in two words what became of a check that did not pass.
func checkOutcome(c verify.Check) string {
	if c.Status == verify.StatusError {
		return "could not decide"
	}
	return "failed verification"
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

// tableHeader is the summary table: the verdict first, at most five columns,
// so that it fits the width of a PR comment (about 800 px).
const tableHeader = "| verdict | recipe | signer | evidence | recipe ↔ PR |\n|---|---|---|---|---|\n"

// tableRow renders the summary table row of one recipe.
func tableRow(r *Report, row Row) string {
	verdict := strings.Replace(rowIcon(row), " ", "\u00a0", 1) // the mark and the word on one line
	return fmt.Sprintf("| %s | %s | %s | %s | %s |\n", verdict, recipeCell(r, row), signerCell(row), evidenceCell(row), matchCell(row))
}

// details renders the collapsible section of one recipe: where it is, the
// full signer, the phases, every check and the recipe differences. The
// <summary> line is an HTML block: only Text and Code may go in it.
func details(r *Report, row Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%s — %s</summary>\n\n", rowIcon(row), Code(row.Recipe))
	var where []string
	if row.RecipePath != "" {
		where = append(where, "recipe "+Code(row.RecipePath))
	}
	if row.BundlePath != "" {
		where = append(where, "bundle "+Code(row.BundlePath))
	}
	if row.PointerPath != "" {
		where = append(where, "pointer "+Code(row.PointerPath))
	}
	if len(where) > 0 || row.Reason != "" {
		b.WriteString("In this PR: " + strings.Join(where, ", "))
		if row.Reason != "" {
			fmt.Fprintf(&b, " (%s)", Text(row.Reason))
		}
		b.WriteString(".\n\n")
	}
	if row.Detail != "" {
		fmt.Fprintf(&b, "Detail: %s\n\n", Text(row.Detail))
	}
	writePointer(&b, r, row)
	if res := row.Result; res != nil {
		writeSigner(&b, res)
		writePhases(&b, res)
		b.WriteString("| # | check | status | detail |\n|---:|---|---|---|\n")
		failed := false
		for i, c := range res.Checks {
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", i+1, Text(c.Title), checkStatus(c, failed), Text(c.Detail))
			failed = failed || brokeBundle(c)
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

// writePointer writes what a pointer file claims: its source, the artifact
// it pins, the Rekor entry it names, and the recipe's independent signers.
func writePointer(b *strings.Builder, r *Report, row Row) {
	p := row.Pointer
	if p == nil {
		return
	}
	if p.Pending {
		b.WriteString("Pointer: unsigned and pending — it names no pushed bundle, so there is nothing to verify yet (counted as missing).\n\n")
		return
	}
	var parts []string
	if p.Source != "" {
		parts = append(parts, "source "+Code(p.Source)+" (signer "+Code(p.Identity)+", issuer "+Code(p.Issuer)+")")
	} else {
		parts = append(parts, "no signer block")
	}
	if p.OCI != "" {
		parts = append(parts, "artifact "+Code(p.OCI)+" @ "+Code(shortDigest(p.Digest)))
	}
	if p.RekorLogIndex != nil {
		parts = append(parts, fmt.Sprintf("Rekor log index %d claimed", *p.RekorLogIndex))
	}
	fmt.Fprintf(b, "Pointer: %s.", strings.Join(parts, ", "))
	if n := r.signersOf(row.Recipe); n >= 2 && corroborates(row) {
		fmt.Fprintf(b, " Corroborated: %d independent signers passed for this recipe in this PR.", n)
	}
	b.WriteString("\n\n")
}

// shortDigest cuts "sha256:<hex>" to its first 12 hex digits.
func shortDigest(d string) string {
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12] + "…"
	}
	return shorten(d, 20)
}

// writeSigner writes the full signer identity, the policy's verdict on it and
// the transparency log entry, when the signature was verified.
func writeSigner(b *strings.Builder, res *verify.Result) {
	s := res.Signature
	if s == nil || !s.Verified {
		return
	}
	fmt.Fprintf(b, "Signer: %s, issuer %s — %s.", Code(s.Identity), Code(s.Issuer), trustText(s))
	fmt.Fprintf(b, " Rekor log index %d", s.LogIndex)
	if s.SignedAt != nil {
		fmt.Fprintf(b, ", signed %s", s.SignedAt.UTC().Format("2006-01-02 15:04Z"))
	}
	b.WriteString(".")
	if s.SCTIgnored {
		b.WriteString(" ⚠️ No signed certificate timestamp was required (insecure-ignore-sct: a Sigstore instance without a certificate-transparency log).")
	}
	b.WriteString("\n\n")
}

// writePhases writes the per-phase test counts, headed by whether they were verified.
func writePhases(b *strings.Builder, res *verify.Result) {
	if len(res.Phases) == 0 {
		return
	}
	switch f, _ := factOf(res, verify.CheckCTRF); {
	case f == factVerified || f == factFailing:
		b.WriteString("Test results (verified):\n\n")
	case res.Mode == "inspect" && (res.Verdict == verify.VerdictPassed || res.Verdict == verify.VerdictFailing):
		b.WriteString("Test results (files and counts checked; signature not checked):\n\n")
	default:
		b.WriteString("Test results as the predicate states them — **not verified**:\n\n")
	}
	b.WriteString("| phase | passed | failed | skipped | pending | other |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range res.Phases {
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d |\n", Text(p.Phase), p.Passed, p.Failed, p.Skipped, p.Pending, p.Other)
	}
	b.WriteString("\n")
	writeCoverage(b, res)
}

// writeCoverage writes, per phase the recipe declares, which declared checks
// have a test of that name and which have none.
func writeCoverage(b *strings.Builder, res *verify.Result) {
	if len(res.Coverage) == 0 {
		return
	}
	b.WriteString("Coverage (checks the recipe declares, with a test of that name):\n\n| phase | tested | untested |\n|---|---|---|\n")
	for _, c := range res.Coverage {
		untested := "—"
		if len(c.Missing) > 0 {
			untested = codeList(c.Missing)
		}
		tested := fmt.Sprintf("%d of %d", len(c.Covered), len(c.Declared))
		if len(c.Declared) == 0 {
			tested = "no checks declared"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", Text(c.Phase), tested, untested)
	}
	b.WriteString("\n")
}

// codeList writes names as code, comma-separated.
func codeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Code(n)
	}
	return strings.Join(out, ", ")
}

// sortedRows puts the rows that need attention first: invalid, undecided, failing, missing, passed.
func sortedRows(rows []Row) []Row {
	rank := func(r Row) int {
		if r.Outcome == OutcomeMissing || r.Outcome == OutcomePending {
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
	if link := Link("job summary", r.RunURL); r.RunURL != "" {
		footer += " Full report: " + link + "."
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
				b.WriteString(tableRow(r, row))
			}
			b.WriteString("\n")
			for _, row := range rows[:keep] {
				b.WriteString(details(r, row))
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

// Link writes a link to an http(s) URL with Text as its text, or only the text
// when the URL is not one a link may carry verbatim. It is an HTML <a> element,
// so that, like Text and Code, it is right in Markdown and in an HTML block.
func Link(text, target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(target, " <>()[]\\\"'`") || u.String() != target {
		return Text(text)
	}
	return `<a href="` + target + `">` + Text(text) + "</a>"
}
