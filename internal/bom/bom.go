// Package bom reads the CycloneDX bill of materials of a bundle with
// cyclonedx-go and summarises it the way the predicate binds it. The emitter and
// the verifier share this one implementation.
//
// cyclonedx-go decodes with encoding/json, which matches keys case-insensitively
// and keeps the last of duplicate keys. So the bytes are first read with the
// strict JSON reader (internal/strictjson), and what the verdict uses (format,
// spec version, component count) comes from that strict reading: jq's
// .components and ours are the same list.
package bom

import (
	"bytes"
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// head is the part of a CycloneDX document the predicate binds, read strictly.
type head struct {
	BOMFormat   string           `json:"bomFormat"`
	SpecVersion string           `json:"specVersion"`
	Components  []jsontext.Value `json:"components"`
}

// read checks b strictly, requires bomFormat CycloneDX and specVersion 1.6, and
// decodes the whole document with cyclonedx-go.
func read(b []byte) (*head, *cdx.BOM, error) {
	var h head
	if err := strictjson.Unmarshal(b, &h); err != nil {
		return nil, nil, fmt.Errorf("%s: not CycloneDX JSON: %w", schema.FileBOM, err)
	}
	if h.BOMFormat != "CycloneDX" {
		return nil, nil, fmt.Errorf("%s: bomFormat %q, want \"CycloneDX\"", schema.FileBOM, h.BOMFormat)
	}
	if h.SpecVersion != schema.BOMSpecVersion {
		return nil, nil, fmt.Errorf("%s: specVersion %q, want %s", schema.FileBOM, h.SpecVersion, schema.BOMSpecVersion)
	}
	var doc cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("%s: not CycloneDX JSON: %w", schema.FileBOM, err)
	}
	n := 0
	if doc.Components != nil {
		n = len(*doc.Components)
	}
	if doc.BOMFormat != h.BOMFormat || doc.SpecVersion != cdx.SpecVersion1_6 || n != len(h.Components) {
		return nil, nil, fmt.Errorf("%s: cyclonedx-go and the strict JSON reader read it differently", schema.FileBOM)
	}
	return &h, &doc, nil
}

// Parse decodes CycloneDX JSON and requires bomFormat CycloneDX and specVersion
// 1.6; the bytes must pass the strict JSON reader first.
func Parse(b []byte) (*cdx.BOM, error) {
	_, doc, err := read(b)
	return doc, err
}

// Summarize returns the predicate's BOM summary of the exact bytes b: format,
// version, the sha256 of b and the number of top-level components.
func Summarize(b []byte) (schema.BOMSummary, error) {
	h, _, err := read(b)
	if err != nil {
		return schema.BOMSummary{}, err
	}
	return schema.BOMSummary{Format: schema.BOMFormat, Version: schema.BOMSpecVersion, Digest: schema.SHA256Prefixed(b), ComponentCount: len(h.Components)}, nil
}
