package verify

import (
	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/schema"
)

// ClaimedRecipeName is the recipe name a bundle's Statement claims (signed or
// not, read without checking any signature), or "": it only routes a bundle
// whose folder names no recipe to the recipe it names (diff.Plan.Resolve);
// verification then checks it. The PR check and the sweep share it.
func ClaimedRecipeName(c *archive.Contents) string {
	for _, f := range []string{schema.FileAttestation, schema.FileStatement} {
		b, ok := c.Document(f)
		if !ok {
			continue
		}
		read := schema.ParseStatement
		if f == schema.FileAttestation {
			read = ClaimedStatement
		}
		st, err := read(b)
		if err != nil {
			continue
		}
		if sub, err := schema.StatementSubject(st); err == nil {
			return sub.RecipeName
		}
	}
	return ""
}
