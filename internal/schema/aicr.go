package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/docs"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// Predicate types AICR's own tool writes besides PredicateTypeV1 (docs/bundle-format.md §11).
const (
	// PredicateTypeAICRV2 is AICR's type for recipes with a selected profile:
	// the predicate must carry `profile`; recipe digest as in v1.
	PredicateTypeAICRV2 = "https://aicr.run/recipe-evidence/v2"
	// PredicateTypeAICRV3 is AICR's current type: the recipe digest drops the
	// top-level metadata.version (RecipeDigestV3); `profile` is optional.
	PredicateTypeAICRV3 = "https://aicr.run/recipe-evidence/v3"
)

// Dialect says which writer's predicate shape a predicate has.
type Dialect string

// Predicate dialects.
const (
	// DialectV1 is this format's predicate (§5): phases with pending and
	// other, bom.componentCount.
	DialectV1 Dialect = "format-v1"
	// DialectAICR is the predicate AICR's tool writes (§11): phases without
	// pending and other, bom.imageCount, optional aicrCommit, profile for v2.
	DialectAICR Dialect = "aicr"
)

// PredicateDialect decides the dialect of a predicate of type predicateType
// from its JSON: AICR's v2 and v3 types are always AICR's; for the v1 types
// a bom without componentCount (AICR writes imageCount) is AICR's. The
// choice only selects which schema the predicate must then pass in full;
// the evidence checks and their verdicts are the same for both.
func PredicateDialect(predicateType string, predicateJSON []byte) Dialect {
	if predicateType == PredicateTypeAICRV2 || predicateType == PredicateTypeAICRV3 {
		return DialectAICR
	}
	var probe struct {
		BOM map[string]any `json:"bom"`
	}
	if err := strictjson.Unmarshal(predicateJSON, &probe); err == nil && probe.BOM != nil {
		if _, ours := probe.BOM["componentCount"]; !ours {
			if _, theirs := probe.BOM["imageCount"]; theirs {
				return DialectAICR
			}
		}
	}
	return DialectV1
}

// aicrSchemaURL is the $id of the AICR dialect's schema, derived from the
// published v1 schema by aicrSchemaDoc.
const aicrSchemaURL = "https://aicr.run/recipe-evidence/aicr-dialect/predicate.schema.json"

// aicrSchemaDoc derives the AICR dialect's schema from the published v1
// schema (one source): a phase has passed, failed, skipped and ctrfDigest
// (pending and other, which AICR does not record, are optional); bom has
// imageCount instead of componentCount; aicrCommit is a string; profile is
// {selection, policyDescriptorIdentity, advertiser?}; redaction.version is
// AICR's v1..v4.
func aicrSchemaDoc() (any, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(docs.PredicateSchemaV1()))
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("predicate schema is not an object")
	}
	get := func(obj map[string]any, keys ...string) (map[string]any, error) {
		for _, k := range keys {
			next, ok := obj[k].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("predicate schema has no %q", k)
			}
			obj = next
		}
		return obj, nil
	}
	m["$id"] = aicrSchemaURL
	m["title"] = "AICR recipe-evidence predicate as AICR's tool writes it (v1, v2, v3)"
	phase, err := get(m, "$defs", "phase")
	if err != nil {
		return nil, err
	}
	phase["required"] = []any{"passed", "failed", "skipped", "ctrfDigest"}
	bom, err := get(m, "properties", "bom")
	if err != nil {
		return nil, err
	}
	bomProps, err := get(bom, "properties")
	if err != nil {
		return nil, err
	}
	bomProps["imageCount"] = map[string]any{"$ref": "#/$defs/count"}
	delete(bomProps, "componentCount")
	bom["required"] = []any{"format", "version", "digest", "imageCount"}
	props, err := get(m, "properties")
	if err != nil {
		return nil, err
	}
	props["aicrCommit"] = map[string]any{"type": "string", "maxLength": 128}
	props["profile"] = map[string]any{
		"type":     "object",
		"required": []any{"selection", "policyDescriptorIdentity"},
		"properties": map[string]any{
			"selection":                map[string]any{"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}=[A-Za-z0-9._-]{1,128}$"},
			"advertiser":               map[string]any{"type": "string", "maxLength": 256},
			"policyDescriptorIdentity": map[string]any{"$ref": "#/$defs/hex64"},
		},
	}
	red, err := get(props, "redaction", "properties")
	if err != nil {
		return nil, err
	}
	red["version"] = map[string]any{"enum": []any{"v1", "v2", "v3", "v4"}}
	return m, nil
}

// newAICRSchema compiles the AICR dialect's schema.
func newAICRSchema() (*jsonschema.Schema, error) {
	doc, err := aicrSchemaDoc()
	if err != nil {
		return nil, fmt.Errorf("AICR predicate schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(aicrSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("AICR predicate schema: %w", err)
	}
	s, err := c.Compile(aicrSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("AICR predicate schema: %w", err)
	}
	return s, nil
}

// CheckAICRTypeRules applies the rules AICR ties to its predicate types to a
// decoded AICR-dialect predicate: v2 requires profile, v1 must not carry
// one (AICR's ValidatePredicateTypeCoherence).
func CheckAICRTypeRules(predicateType string, p *Predicate) error {
	switch {
	case predicateType == PredicateTypeAICRV2 && p.Profile == nil:
		return fmt.Errorf("predicate type %s requires a profile block", PredicateTypeAICRV2)
	case IsV1PredicateType(predicateType) && p.Profile != nil:
		return fmt.Errorf("predicate type %s carries a profile block; profiled recipes use %s or %s", predicateType, PredicateTypeAICRV2, PredicateTypeAICRV3)
	}
	return nil
}

// IsV1PredicateType reports whether t is one of the v1 predicate types.
func IsV1PredicateType(t string) bool { return t == PredicateTypeV1 || t == PredicateTypeV1Legacy }

// RecipeDigestFor returns the canonical recipe digest under the rule of
// predicateType: AICR's v3 drops the top-level metadata.version and then an
// empty metadata (RecipeDigestV3); every other type uses §3 unchanged.
func RecipeDigestFor(c *CanonicalRecipe, predicateType string) (string, error) {
	if predicateType == PredicateTypeAICRV3 {
		return RecipeDigestV3(c)
	}
	return c.Digest, nil
}

// RecipeDigestV3 is AICR's recipe-evidence/v3 digest: the canonical tree
// (§3) without the top-level metadata.version, and without metadata when
// that leaves it empty, emitted as §3 emits and hashed with SHA-256.
func RecipeDigestV3(c *CanonicalRecipe) (string, error) {
	doc, err := parseRecipeDocument(c.Bytes) // a fresh tree: c.Root may be shared
	if err != nil {
		return "", err
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "metadata" || top.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		meta := top.Content[i+1]
		for j := 0; j+1 < len(meta.Content); j += 2 {
			if meta.Content[j].Value == "version" {
				meta.Content = append(meta.Content[:j:j], meta.Content[j+2:]...)
				break
			}
		}
		if len(meta.Content) == 0 {
			top.Content = append(top.Content[:i:i], top.Content[i+2:]...)
		}
		break
	}
	out, err := emitCanonicalRecipe(doc)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:]), nil
}

// OCIName is an OCI artifact reference by tag, "<registry>/<repository>:<tag>",
// the name AICR gives the subject of a pushed, signed Statement.
type OCIName struct {
	Registry, Repository, Tag string
}

// String returns "<registry>/<repository>:<tag>".
func (n OCIName) String() string { return n.Registry + "/" + n.Repository + ":" + n.Tag }

var (
	ociRegistryRE   = regexp.MustCompile(`^(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?$|^localhost:[0-9]{1,5}$`)
	ociRepositoryRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	ociTagRE        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
)

// ParseOCIName parses "<registry>/<repository>:<tag>" (no scheme, no digest):
// the registry is a host name with a dot, localhost or an IP, with an
// optional port; the repository and tag follow the OCI distribution grammar.
func ParseOCIName(s string) (OCIName, error) {
	if len(s) > 512 {
		return OCIName{}, fmt.Errorf("OCI name is %d bytes, over 512", len(s))
	}
	registry, rest, ok := strings.Cut(s, "/")
	if !ok || !ociRegistryRE.MatchString(registry) {
		return OCIName{}, fmt.Errorf("OCI name %q: no registry host", s)
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return OCIName{}, fmt.Errorf("OCI name %q: no tag", s)
	}
	repo, tag := rest[:i], rest[i+1:]
	if !ociRepositoryRE.MatchString(repo) || len(repo) > 255 {
		return OCIName{}, fmt.Errorf("OCI name %q: repository %q is not valid", s, repo)
	}
	if !ociTagRE.MatchString(tag) {
		return OCIName{}, fmt.Errorf("OCI name %q: tag %q is not valid", s, tag)
	}
	return OCIName{Registry: registry, Repository: repo, Tag: tag}, nil
}
