// Package schema holds the evidence bundle format v1: the Go types of the
// in-toto Statement predicate and of manifest.json, the embedded JSON Schema
// of the predicate, the accepted type URIs and schema versions, and the
// canonical recipe digest. See docs/bundle-format.md.
package schema
