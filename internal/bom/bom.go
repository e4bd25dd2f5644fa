// Package bom reads the CycloneDX bill of materials of a bundle with
// cyclonedx-go and summarises it the way the predicate binds it. The emitter and
// the verifier share this one implementation.
package bom

import (
	"bytes"
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/aicr/verify-evidence/internal/schema"
)

// Parse decodes CycloneDX JSON and requires bomFormat CycloneDX and specVersion 1.6.
func Parse(b []byte) (*cdx.BOM, error) {
	var doc cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not CycloneDX JSON: %w", schema.FileBOM, err)
	}
	if doc.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("%s: bomFormat %q, want \"CycloneDX\"", schema.FileBOM, doc.BOMFormat)
	}
	if doc.SpecVersion != cdx.SpecVersion1_6 {
		return nil, fmt.Errorf("%s: specVersion %s, want %s", schema.FileBOM, doc.SpecVersion, schema.BOMSpecVersion)
	}
	return &doc, nil
}

// Summarize returns the predicate's BOM summary of the exact bytes b: format,
// version, the sha256 of b and the number of top-level components.
func Summarize(b []byte) (schema.BOMSummary, error) {
	doc, err := Parse(b)
	if err != nil {
		return schema.BOMSummary{}, err
	}
	n := 0
	if doc.Components != nil {
		n = len(*doc.Components)
	}
	return schema.BOMSummary{Format: schema.BOMFormat, Version: schema.BOMSpecVersion, Digest: schema.SHA256Prefixed(b), ComponentCount: n}, nil
}
