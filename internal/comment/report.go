package comment

import (
	"fmt"
	"io"
	"strings"

	"github.com/aicr/verify-evidence/internal/verify"
)

var statusIcon = map[verify.Status]string{
	verify.StatusPassed:  "✅",
	verify.StatusFailed:  "❌",
	verify.StatusSkipped: "➖",
	verify.StatusError:   "⚠️",
}

// VerdictLine is the bold one-line verdict of a result.
func VerdictLine(res *verify.Result) string {
	switch res.Verdict {
	case verify.VerdictPassed:
		if res.Mode == "inspect" {
			return "✅ **well formed** (signature not checked)"
		}
		return "✅ **passed**"
	case verify.VerdictFailing:
		return "⚠️ **failing** — genuine evidence that does not show a pass"
	case verify.VerdictInvalid:
		return "❌ **invalid**"
	default:
		return "⏳ **could not decide** — retrying may help"
	}
}

// WriteReport writes the Markdown report of one verified bundle.
func WriteReport(w io.Writer, res *verify.Result) error {
	var b strings.Builder
	name := "(unknown recipe)"
	if res.Recipe != nil && res.Recipe.Name != "" {
		name = res.Recipe.Name
	}
	fmt.Fprintf(&b, "### Evidence for %s\n\n", Code(name))
	fmt.Fprintf(&b, "%s — %s\n\n", VerdictLine(res), Text(res.Summary))
	if s := res.Signature; s != nil && s.Verified {
		fmt.Fprintf(&b, "Signer: %s, issuer %s — %s.  \nRekor: log index %d", Code(s.Identity), Code(s.Issuer), trustText(s), s.LogIndex)
		if s.SignedAt != nil {
			fmt.Fprintf(&b, ", signed %s", s.SignedAt.UTC().Format("2006-01-02T15:04:05Z"))
		}
		b.WriteString(".\n\n")
	}
	if res.Recipe != nil {
		fmt.Fprintf(&b, "Recipe digest: %s\n\n", Code(res.Recipe.Digest))
	}
	writePhases(&b, res)
	b.WriteString("| # | check | status | detail |\n|---:|---|---|---|\n")
	failed := false
	for i, c := range res.Checks {
		detail := Text(c.Detail)
		for _, r := range c.Rows {
			detail += "<br>" + Text(r.Key) + ": " + Text(r.Value)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", i+1, Text(c.Title), checkStatus(c, failed), detail)
		failed = failed || brokeBundle(c)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
