package verify

import "time"

// Refresh returns a copy of res whose freshness check is decided again at now
// under maxAge (0: no limit), with the verdict and summary that follow. Every
// other check is kept as it was: a sweep that already verified a bundle (its
// signature, integrity and evidence do not change with time) only recomputes
// its age. A freshness check that did not get as far as the age (no predicate,
// attestedAt after the signed time) is kept too. res is not modified.
func Refresh(res *Result, now time.Time, maxAge time.Duration) *Result {
	out := *res
	out.Checks = nil
	out.Verdict, out.Summary = VerdictPassed, ""
	for _, c := range res.Checks {
		if c.Name == CheckFreshness && res.AttestedAt != nil && ageDecided(c) {
			c.Rows = append([]Row(nil), c.Rows...)
			var signedAt time.Time
			if res.Signature != nil && res.Signature.Verified && res.Signature.SignedAt != nil {
				signedAt = *res.Signature.SignedAt
			}
			ageCheck(&c, *res.AttestedAt, signedAt, now, maxAge)
		}
		out.add(c)
	}
	if out.Verdict == VerdictPassed {
		out.Summary = passedSummary(out.Mode)
	}
	return &out
}

// ageDecided reports whether a freshness check was decided by ageCheck: it
// passed, or failed only for its age.
func ageDecided(c Check) bool {
	return c.Status == StatusPassed || (c.Status == StatusFailed && c.Verdict == VerdictFailing)
}
