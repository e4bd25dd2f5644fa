package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/bom"
	"github.com/aicr/verify-evidence/internal/casefold"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/schema"
)

// MaxClockSkew is how far attestedAt may be after the signed time.
const MaxClockSkew = 5 * time.Minute

// needPredicate adds a skipped check when there is no predicate to check against.
func needPredicate(res *Result, st *state, name string) bool {
	if st.predicate == nil {
		res.add(Check{Name: name, Title: titles[name], Status: StatusSkipped, Detail: "not run: no valid predicate"})
		return false
	}
	return true
}

func (v *Verifier) checkCTRF(res *Result, st *state) {
	if !needPredicate(res, st, CheckCTRF) {
		return
	}
	c := Check{Name: CheckCTRF, Title: titles[CheckCTRF], Verdict: VerdictInvalid}
	var problems, failures []string
	reports := map[string]*schema.CTRFReport{}
	for _, phase := range schema.Phases() {
		claimed, inPredicate := st.predicate.Phases[phase]
		raw, inBundle := st.contents.Document(schema.CTRFPath(phase))
		switch {
		case !inPredicate && !inBundle:
			continue
		case !inBundle:
			problems = append(problems, fmt.Sprintf("predicate has phase %s but the bundle has no %s", phase, schema.CTRFPath(phase)))
			continue
		case !inPredicate:
			problems = append(problems, fmt.Sprintf("%s is not in the signed predicate's phases", schema.CTRFPath(phase)))
			continue
		}
		if d := schema.SHA256Prefixed(raw); d != claimed.CTRFDigest {
			problems = append(problems, fmt.Sprintf("%s has sha256 %s, predicate ctrfDigest says %s", schema.CTRFPath(phase), short(d), short(claimed.CTRFDigest)))
			continue
		}
		rep, err := schema.CheckCTRFSummary(raw)
		if err != nil {
			if rep != nil {
				err = fmt.Errorf("%w: the summary hides what the tests say", err)
			}
			problems = append(problems, fmt.Sprintf("%s: %v", schema.CTRFPath(phase), err))
			continue
		}
		counted := schema.CountCTRF(rep)
		if st.dialect == schema.DialectAICR {
			// AICR records no pending and other counts; they are still
			// recomputed from the tests below and make the bundle failing.
			claimed.Pending, claimed.Other = counted.Pending, counted.Other
		}
		if counted.Passed != claimed.Passed || counted.Failed != claimed.Failed || counted.Skipped != claimed.Skipped || counted.Pending != claimed.Pending || counted.Other != claimed.Other {
			problems = append(problems, fmt.Sprintf("phase %s: predicate counts (passed %d, failed %d, pending %d, other %d) differ from %s (passed %d, failed %d, pending %d, other %d)",
				phase, claimed.Passed, claimed.Failed, claimed.Pending, claimed.Other, schema.CTRFPath(phase), counted.Passed, counted.Failed, counted.Pending, counted.Other))
			continue
		}
		reports[phase] = rep
		c.Rows = append(c.Rows, Row{Key: phase, Value: fmt.Sprintf("passed %d, failed %d, skipped %d, pending %d, other %d", counted.Passed, counted.Failed, counted.Skipped, counted.Pending, counted.Other)})
		if notPassing := counted.Failed + counted.Pending + counted.Other; notPassing > 0 {
			var names []string
			for _, t := range rep.Results.Tests {
				if t.Status == schema.CTRFFailed || t.Status == schema.CTRFPending || t.Status == schema.CTRFOther {
					names = append(names, fmt.Sprintf("%s (%s)", quote(t.Name), t.Status))
				}
			}
			if len(names) > 5 {
				names = append(names[:5], fmt.Sprintf("… %d more", len(names)-5))
			}
			failures = append(failures, fmt.Sprintf("%s: %s", phase, strings.Join(names, ", ")))
		}
	}
	var declared []schema.DeclaredPhase
	if st.recipe != nil {
		var err error
		if declared, err = schema.DeclaredPhases(st.recipe.Root); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", schema.FileRecipe, err))
		}
	}
	if len(problems) > 0 {
		c.Status, c.Detail = StatusFailed, joinProblems(problems)
		st.integrityOK = false
		res.add(c)
		return
	}
	var reasons []string
	if len(failures) > 0 {
		reasons = append(reasons, "the evidence shows tests that did not pass — "+strings.Join(failures, "; "))
	}
	if gaps := schema.EvidenceGaps(declared, reports); len(gaps) > 0 {
		reasons = append(reasons, "the evidence proves nothing for a phase — "+strings.Join(gaps, "; "))
	}
	res.Coverage = schema.Coverage(declared, reports)
	var missing []string
	for _, pc := range res.Coverage {
		if len(pc.Missing) > 0 {
			missing = append(missing, fmt.Sprintf("%s: %s", pc.Phase, quoteList(pc.Missing, 5)))
		}
	}
	if len(missing) > 0 {
		line := "declared checks without a test — " + strings.Join(missing, "; ")
		c.Rows = append(c.Rows, Row{Key: "coverage", Value: line})
		if v.cfg.RequireFullCoverage {
			reasons = append(reasons, line+" (full coverage is required)")
		}
	}
	if len(reasons) > 0 {
		c.Status, c.Verdict, c.Detail = StatusFailed, VerdictFailing, strings.Join(reasons, "; ")
	} else {
		// "signed" only when the signature over the predicate verified (not for an unsigned
		// bundle, nor under inspect, which never checks it).
		digests := "the predicate's digests"
		if res.Signature != nil && res.Signature.Verified {
			digests = "their signed digests"
		}
		c.Status, c.Detail = StatusPassed, fmt.Sprintf("%d phase reports match %s and counts; every phase has a passed test and none that failed, is pending or other", len(c.Rows), digests)
		if len(declared) > 0 {
			c.Detail += "; every phase the recipe declares has a report"
		}
	}
	res.add(c)
}

// quoteList quotes the first n names and counts the rest.
func quoteList(names []string, n int) string {
	var q []string
	for i, s := range names {
		if i == n {
			q = append(q, fmt.Sprintf("… %d more", len(names)-n))
			break
		}
		q = append(q, quote(s))
	}
	return strings.Join(q, ", ")
}

// reservedNameProblem says why a bundle path collides with a reserved name of
// format v1 §1 under the archive's case folding ("" when it does not): a first
// segment that folds to ctrf but is not ctrf, or a root file that folds to one of
// the bundle's file names but is not that name.
func reservedNameProblem(p string) string {
	first, _, nested := strings.Cut(p, "/")
	if nested {
		if first != schema.CTRFDir && casefold.Equal(first, schema.CTRFDir) {
			return fmt.Sprintf("%s collides with the reserved folder %s/ under case folding", quote(p), schema.CTRFDir)
		}
		return ""
	}
	for _, r := range []string{schema.FileRecipe, schema.FileSnapshot, schema.FileBOM, schema.FileManifest, schema.FileStatement, schema.FileAttestation} {
		if p != r && casefold.Equal(p, r) {
			return fmt.Sprintf("%s collides with the reserved name %s under case folding", quote(p), r)
		}
	}
	return ""
}

func (v *Verifier) checkBOM(res *Result, st *state) {
	if !needPredicate(res, st, CheckBOM) {
		return
	}
	c := Check{Name: CheckBOM, Title: titles[CheckBOM], Verdict: VerdictInvalid}
	raw, ok := st.contents.Document(schema.FileBOM)
	if !ok {
		c.Status, c.Detail = StatusFailed, "bundle has no bom.cdx.json"
		res.add(c)
		return
	}
	got, err := bom.Summarize(raw)
	want := st.predicate.BOM
	switch {
	case err != nil:
		c.Status, c.Detail = StatusFailed, err.Error()
	case got.Digest != want.Digest:
		c.Status, c.Detail = StatusFailed, fmt.Sprintf("bom.cdx.json has sha256 %s, predicate bom.digest says %s", short(got.Digest), short(want.Digest))
	case got.ComponentCount != want.ComponentCount:
		field := "componentCount"
		if st.dialect == schema.DialectAICR {
			field = "imageCount"
		}
		c.Status, c.Detail = StatusFailed, fmt.Sprintf("bom.cdx.json has %d components, predicate bom.%s says %d", got.ComponentCount, field, want.ComponentCount)
	default:
		c.Status, c.Detail = StatusPassed, fmt.Sprintf("CycloneDX %s, %d components, digest %s", got.Version, got.ComponentCount, short(got.Digest))
	}
	if c.Status == StatusFailed {
		st.integrityOK = false
	}
	res.add(c)
}

func (v *Verifier) checkFingerprint(res *Result, st *state) {
	if !needPredicate(res, st, CheckFingerprint) {
		return
	}
	c := Check{Name: CheckFingerprint, Title: titles[CheckFingerprint], Verdict: VerdictInvalid}
	snap, _ := st.contents.Document(schema.FileSnapshot)
	recipe, _ := st.contents.Document(schema.FileRecipe)
	fp, err := fingerprint.Current.Compute(snap)
	if err != nil {
		c.Status, c.Detail = StatusFailed, "snapshot.yaml: "+err.Error()
		res.add(c)
		return
	}
	crit, err := fingerprint.CriteriaFromRecipe(recipe)
	if err != nil {
		c.Status, c.Detail = StatusFailed, "recipe.yaml criteria: "+err.Error()
		res.add(c)
		return
	}
	// The verdict comes from the current rules; the signed claim is judged by
	// the rules it was made with (format v1 §6): current, else the first rules;
	// an AICR predicate, or a snapshot in AICR's shape, by AICR's rules (§11).
	match := fingerprint.Current.Match(crit, fp)
	var problems, notes []string
	if st.dialect != schema.DialectAICR {
		problems = claimProblems(st.predicate, fp, match)
	}
	if len(problems) > 0 {
		if ffp, err := fingerprint.First.Compute(snap); err == nil && len(claimProblems(st.predicate, ffp, fingerprint.First.Match(crit, ffp))) == 0 {
			problems = nil
			c.Rows = append(c.Rows, Row{Key: "claim", Value: "made under the first rules of format v1 §6, and consistent with them; the verdict uses the current rules"})
		}
	}
	if st.dialect == schema.DialectAICR || (len(problems) > 0 && fingerprint.HasAICRLabels(snap)) {
		afp, err := fingerprint.AICR.Compute(snap)
		if err == nil {
			j := fingerprint.JudgeAICRClaim(st.predicate.Fingerprint, st.predicate.CriteriaMatch, afp, fingerprint.AICR.Match(crit, afp))
			if st.dialect == schema.DialectAICR || len(j.Contradictions) == 0 {
				problems, notes = j.Contradictions, j.Notes
				// What the evidence shows is AICR's recomputation where the
				// current rules read nothing definite; the pass rules are
				// this format's.
				fp = fingerprint.AICRVerdictFingerprint(fp, afp)
				match = fingerprint.Current.Match(crit, fp)
				c.Rows = append(c.Rows, Row{Key: "claim", Value: "judged under AICR's fingerprint and match rules (format §11); the verdict uses this format's pass rules"})
			}
		}
	}
	for i, n := range notes {
		if i == 20 {
			c.Rows = append(c.Rows, Row{Key: "note", Value: fmt.Sprintf("%d more not shown", len(notes)-20)})
			break
		}
		c.Rows = append(c.Rows, Row{Key: "note", Value: n})
	}
	for _, d := range match.PerDimension {
		c.Rows = append(c.Rows, Row{Key: d.Dimension, Value: fmt.Sprintf("%s (recipe %s, cluster %s)", d.Match, orAny(d.RecipeRequires), orDash(d.FingerprintProvides))})
	}
	switch {
	case len(problems) > 0:
		c.Status, c.Detail = StatusFailed, "the signed fingerprint or criteria match contradicts snapshot.yaml and recipe.yaml: "+joinProblems(problems)
		st.integrityOK = false
	case !match.Matched:
		var mism, unshown []string
		for _, d := range match.PerDimension {
			switch {
			case d.Match == schema.MatchMismatched:
				have := orDash(d.FingerprintProvides)
				if d.Dimension == fingerprint.DimAccelerator && fp.GPUModel != nil {
					have += " (" + quote(fp.GPUModel.Value) + ")"
				}
				mism = append(mism, fmt.Sprintf("%s: recipe requires %s, cluster has %s", d.Dimension, d.RecipeRequires, have))
			case d.Match == schema.MatchUnknown && fingerprint.MustBeShown(d.Dimension):
				unshown = append(unshown, fmt.Sprintf("the evidence does not show the cluster's %s (recipe requires %s)", d.Dimension, d.RecipeRequires))
			}
		}
		detail := strings.Join(append(mism, unshown...), "; ")
		if len(mism) > 0 {
			detail = "the cluster does not match the recipe's criteria — " + detail
		}
		c.Status, c.Verdict, c.Detail = StatusFailed, VerdictFailing, detail
	default:
		c.Status, c.Detail = StatusPassed, "fingerprint recomputed from snapshot.yaml and criteria match recomputed from recipe.yaml agree with the predicate; criteria matched"
		if len(notes) > 0 {
			c.Detail = fmt.Sprintf("fingerprint recomputed from snapshot.yaml and criteria match recomputed from recipe.yaml do not contradict the predicate (%d notes); criteria matched", len(notes))
		}
	}
	res.add(c)
}

// claimProblems compares the predicate's fingerprint and criteria match with a
// recomputation.
func claimProblems(p *schema.Predicate, fp schema.Fingerprint, match schema.CriteriaMatch) []string {
	problems := fingerprint.CompareFingerprint(p.Fingerprint, fp)
	return append(problems, fingerprint.CompareMatch(p.CriteriaMatch, match)...)
}

func (v *Verifier) checkFreshness(res *Result, st *state) {
	if !needPredicate(res, st, CheckFreshness) {
		return
	}
	c := Check{Name: CheckFreshness, Title: titles[CheckFreshness], Verdict: VerdictInvalid}
	at, err := time.Parse(time.RFC3339, st.predicate.AttestedAt)
	if err != nil {
		c.Status, c.Detail = StatusFailed, "attestedAt: "+err.Error()
		res.add(c)
		return
	}
	now := v.cfg.Now()
	if !st.signedAt.IsZero() && at.After(st.signedAt.Add(MaxClockSkew)) {
		c.Status, c.Detail = StatusFailed, fmt.Sprintf("attestedAt %s is after the signed time %s (+%s skew allowed): a back-dated signature or a forged predicate", at.Format(time.RFC3339), st.signedAt.Format(time.RFC3339), MaxClockSkew)
		res.add(c)
		return
	}
	ageCheck(&c, at, st.signedAt, now, v.cfg.MaxAge)
	res.add(c)
}

// ageCheck decides the age part of the freshness check: attestedAt at, seen at
// now, against maxAge (0: no limit). signedAt is the verified signing time,
// zero when the signature was not checked. Verify and Refresh share it.
func ageCheck(c *Check, at, signedAt, now time.Time, maxAge time.Duration) {
	age := now.Sub(at)
	if maxAge > 0 && age > maxAge {
		c.Status, c.Verdict = StatusFailed, VerdictFailing
		c.Detail = fmt.Sprintf("attested %s, %s ago: older than the maximum age %s (--max-age); re-run the validation", at.Format(time.RFC3339), roundDays(age), roundDays(maxAge))
		return
	}
	c.Status, c.Verdict = StatusPassed, VerdictInvalid
	c.Detail = fmt.Sprintf("attested %s (%s ago)", at.Format(time.RFC3339), roundDays(age))
	if !signedAt.IsZero() {
		c.Detail += ", not after the signed time"
	}
	if maxAge > 0 {
		c.Detail += fmt.Sprintf(", within the maximum age %s", roundDays(maxAge))
	}
}

func joinProblems(p []string) string {
	if len(p) == 1 {
		return p[0]
	}
	return fmt.Sprintf("%s (and %d more)", p[0], len(p)-1)
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func roundDays(d time.Duration) string {
	if d < 0 {
		return "in the future " + (-d).Round(time.Second).String()
	}
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func (v *Verifier) checkRecipeFile(res *Result, st *state, opts Options) {
	c := Check{Name: CheckRecipeFile, Title: titles[CheckRecipeFile], Verdict: VerdictInvalid}
	want, err := schema.Canonical(opts.Recipe)
	if err != nil {
		c.Status, c.Detail = StatusFailed, fmt.Sprintf("%s: %v", opts.RecipeName, err)
		res.add(c)
		return
	}
	if st.recipe == nil {
		c.Status, c.Detail = StatusSkipped, "not run: the bundle's recipe.yaml is unreadable"
		res.add(c)
		return
	}
	if want.Digest == st.recipe.Digest {
		c.Status, c.Detail = StatusPassed, fmt.Sprintf("%s canonicalizes to the bundle's recipe (sha256 %s)", opts.RecipeName, short(want.Digest))
		res.add(c)
		return
	}
	diffs, total := diff.Nodes(want.Root, st.recipe.Root)
	c.Status = StatusFailed
	c.Detail = fmt.Sprintf("%s (sha256 %s) is not the recipe in the bundle (sha256 %s): %d differing paths", opts.RecipeName, short(want.Digest), short(st.recipe.Digest), total)
	for _, d := range diffs {
		c.Rows = append(c.Rows, Row{Key: d.Path, Value: fmt.Sprintf("file says %s, bundle says %s", d.PRSays, d.BundleSays)})
	}
	res.add(c)
}
