package emit

import (
	"fmt"
	"strings"

	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/schema"
)

// evidenceWarnings says, one line each, why a verifier will not call the bundle
// passed although it verifies (format v1 §5, §6): the criteria match fails, a
// phase's evidence proves nothing, or a declared check has no test. It uses the
// verifier's own rules (schema.EvidenceGaps, schema.Coverage, fingerprint.Match).
func evidenceWarnings(declared []schema.DeclaredPhase, ctrf map[string][]byte, match schema.CriteriaMatch) []string {
	var out []string
	for _, d := range match.PerDimension {
		switch {
		case d.Match == schema.MatchMismatched:
			out = append(out, fmt.Sprintf("the bundle will be failing: criteria %s: the recipe requires %s, the cluster shows %q", d.Dimension, d.RecipeRequires, d.FingerprintProvides))
		case d.Match == schema.MatchUnknown && fingerprint.MustBeShown(d.Dimension):
			out = append(out, fmt.Sprintf("the bundle will be failing: the snapshot does not show the cluster's %s (the recipe requires %s)", d.Dimension, d.RecipeRequires))
		}
	}
	reports := map[string]*schema.CTRFReport{}
	for phase, b := range ctrf {
		if r, err := schema.ParseCTRF(b); err == nil {
			reports[phase] = r
		}
	}
	for _, g := range schema.EvidenceGaps(declared, reports) {
		out = append(out, "the bundle will be failing: "+g)
	}
	for _, pc := range schema.Coverage(declared, reports) {
		if len(pc.Missing) > 0 {
			out = append(out, fmt.Sprintf("%s: declared checks without a test (failing where full coverage is required): %s", pc.Phase, strings.Join(pc.Missing, ", ")))
		}
	}
	return out
}
