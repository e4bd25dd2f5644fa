// Package docs carries the published documents that the binaries also use, so
// that one file serves both: the JSON Schema of the recipe-evidence v1 predicate
// is read by readers of the spec and embedded in verify-evidence.
package docs

import (
	"bytes"
	_ "embed"
)

//go:embed recipe-evidence-v1.schema.json
var predicateSchemaV1 []byte

// PredicateSchemaV1 returns a copy of docs/recipe-evidence-v1.schema.json, byte for byte.
func PredicateSchemaV1() []byte { return bytes.Clone(predicateSchemaV1) }
