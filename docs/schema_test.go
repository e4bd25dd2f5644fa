package docs_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/aicr/verify-evidence/docs"
)

// The embedded schema is the published file, byte for byte: one file, two uses.
func TestEmbeddedSchemaIsPublishedFile(t *testing.T) {
	onDisk, err := os.ReadFile("recipe-evidence-v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, docs.PredicateSchemaV1()) {
		t.Fatal("embedded schema differs from docs/recipe-evidence-v1.schema.json")
	}
	b := docs.PredicateSchemaV1()
	b[0] = 'X'
	if docs.PredicateSchemaV1()[0] == 'X' {
		t.Fatal("PredicateSchemaV1 must return a copy")
	}
}
