package sweep

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// VerdictWord is the word a report shows for a recipe's state.
func VerdictWord(r *Recipe) string {
	if r.Missing() {
		return "no evidence"
	}
	return string(r.Verdict)
}

func verdictIcon(r *Recipe) string {
	if r.Missing() {
		return "⚪"
	}
	switch r.Verdict {
	case verify.VerdictPassed:
		return "✅"
	case verify.VerdictFailing:
		return "❌"
	case verify.VerdictError:
		return "⚠️"
	}
	return "⛔"
}

// WriteMarkdown writes the report as GitHub-flavoured Markdown. Every string
// from a recipe or a bundle goes through comment.Text or comment.Code.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	b.WriteString("# Evidence status\n\n")
	fmt.Fprintf(&b, "Swept %s with verifier %s; trust root %s, signer policy %s, maximum age %s.\n\n",
		rep.GeneratedAt.Format("2006-01-02 15:04Z"), comment.Code(rep.VerifierVersion), comment.Code(shortDigest(rep.TrustRootDigest)),
		comment.Code(shortDigest(rep.PolicyDigest)), maxAgeWords(rep.MaxAgeDays))
	c := rep.Counts
	fmt.Fprintf(&b, "**%d recipes**: %d passed, %d failing, %d invalid, %d undecided (error), %d without evidence; %d expiring within %d days.\n\n",
		c.Recipes, c.Passed, c.Failing, c.Invalid, c.Error, c.Missing, c.Expiring, int(ExpiringWithin.Hours()/24))
	if len(rep.Recipes) > 0 {
		b.WriteString("| Recipe | Verdict | Signers | Independent signers | Attested | Expires | Phases | Coverage |\n|---|---|---|---|---|---|---|---|\n")
		for i := range rep.Recipes {
			r := &rep.Recipes[i]
			fmt.Fprintf(&b, "| %s | %s %s | %s | %d | %s | %s | %s | %s |\n", comment.Code(r.Name), verdictIcon(r), VerdictWord(r),
				signerWords(r.Signers), r.IndependentSigners, attestedWords(r), expiryWords(r), phaseWords(r.Phases), coverageWords(r))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Details\n\n")
	for i := range rep.Recipes {
		r := &rep.Recipes[i]
		fmt.Fprintf(&b, "### %s\n\n", comment.Text(r.Name))
		fmt.Fprintf(&b, "- %s %s: %s\n", verdictIcon(r), VerdictWord(r), comment.Text(r.Detail))
		if r.RecipePath != "" {
			fmt.Fprintf(&b, "- recipe %s", comment.Code(r.RecipePath))
			if r.RecipeDigest != "" {
				fmt.Fprintf(&b, " (%s)", comment.Code(shortDigest(r.RecipeDigest)))
			}
			b.WriteString("\n")
		}
		if r.BundlePath != "" {
			fmt.Fprintf(&b, "- bundle %s", comment.Code(r.BundlePath))
			if r.BundleDigest != "" {
				fmt.Fprintf(&b, " (%s)", comment.Code(shortDigest(r.BundleDigest)))
			}
			if r.Cached {
				b.WriteString(", verification cached: only freshness recomputed")
			}
			b.WriteString("\n")
		}
		if r.PointerPath != "" {
			fmt.Fprintf(&b, "- AICR pointer %s", comment.Code(r.PointerPath))
			if p := r.Pointer; p != nil {
				fmt.Fprintf(&b, ": artifact %s (%s), source %s", comment.Code(p.OCI), comment.Code(shortDigest(p.Digest)), comment.Code(p.Source))
			}
			if r.Cached {
				b.WriteString(", verification cached: only freshness recomputed")
			}
			b.WriteString("\n")
		}
		for _, s := range r.Signers {
			fmt.Fprintf(&b, "- signer %s, issuer %s: %s\n", comment.Code(s.Identity), comment.Code(s.Issuer), signerClass(s))
		}
		if r.Fingerprint != nil {
			fmt.Fprintf(&b, "- fingerprint: %s\n", comment.Text(r.Fingerprint.Detail))
			for _, row := range r.Fingerprint.Rows {
				fmt.Fprintf(&b, "  - %s: %s\n", comment.Text(row.Key), comment.Text(row.Value))
			}
		}
		if r.Match != nil {
			fmt.Fprintf(&b, "- recipe ↔ bundle: %s\n", comment.Text(r.Match.Summary))
		}
		b.WriteString("\n")
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "> %s\n\n", comment.Text(n))
	}
	fmt.Fprintf(&b, "Cache: %d verified, %d from the cache.\n", rep.Cache.Misses, rep.Cache.Hits)
	_, err := io.WriteString(w, b.String())
	return err
}

func shortDigest(d string) string {
	if d == "" {
		return "none"
	}
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return d
}

func maxAgeWords(days int) string {
	if days == 0 {
		return "none"
	}
	return fmt.Sprintf("%d days", days)
}

func signerClass(s Signer) string {
	if !s.Allowed {
		return "not trusted by the policy"
	}
	if s.Label != "" {
		return comment.Text(s.Class + " (" + s.Label + ")")
	}
	return comment.Text(s.Class)
}

func signerWords(ss []Signer) string {
	if len(ss) == 0 {
		return "—"
	}
	var parts []string
	for _, s := range ss {
		parts = append(parts, signerClass(s))
	}
	return strings.Join(parts, ", ")
}

func attestedWords(r *Recipe) string {
	if r.AttestedAt == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%d days ago)", r.AttestedAt.Format(time.DateOnly), *r.AgeDays)
}

func expiryWords(r *Recipe) string {
	if r.ExpiresAt == nil {
		return "—"
	}
	if *r.DaysLeft < 0 {
		return fmt.Sprintf("%s (expired %d days ago)", r.ExpiresAt.Format(time.DateOnly), -*r.DaysLeft)
	}
	return fmt.Sprintf("%s (in %d days)", r.ExpiresAt.Format(time.DateOnly), *r.DaysLeft)
}

func phaseWords(ps []verify.PhaseInfo) string {
	if len(ps) == 0 {
		return "—"
	}
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%s %d✓ %d✗", comment.Text(p.Phase), p.Passed, p.Failed+p.Pending+p.Other))
	}
	return strings.Join(parts, ", ")
}

func coverageWords(r *Recipe) string {
	declared, covered := 0, 0
	for _, c := range r.Coverage {
		declared += len(c.Declared)
		covered += len(c.Covered)
	}
	if declared == 0 {
		return "—"
	}
	return fmt.Sprintf("%d of %d declared checks", covered, declared)
}
