package schema

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/aicr/verify-evidence/docs"
)

// PredicateSchemaURL is the $id of the published predicate schema.
const PredicateSchemaURL = "https://aicr.run/recipe-evidence/v1/predicate.schema.json"

// PredicateValidator validates predicate JSON against the published JSON Schema
// (docs/recipe-evidence-v1.schema.json, embedded). Build one and reuse it.
type PredicateValidator struct {
	schema *jsonschema.Schema
	// aicr is the AICR dialect's schema, derived from schema (§11).
	aicr *jsonschema.Schema
}

// NewPredicateValidator compiles the embedded predicate schema (draft 2020-12).
func NewPredicateValidator() (*PredicateValidator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(docs.PredicateSchemaV1()))
	if err != nil {
		return nil, fmt.Errorf("predicate schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(PredicateSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("predicate schema: %w", err)
	}
	s, err := c.Compile(PredicateSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("predicate schema: %w", err)
	}
	a, err := newAICRSchema()
	if err != nil {
		return nil, err
	}
	return &PredicateValidator{schema: s, aicr: a}, nil
}

// ValidateAs checks predicate JSON against the schema of dialect d (the
// published v1 schema, or the AICR dialect's schema derived from it).
func (v *PredicateValidator) ValidateAs(d Dialect, predicateJSON []byte) error {
	if d == DialectAICR {
		return validateWith(v.aicr, predicateJSON)
	}
	return validateWith(v.schema, predicateJSON)
}

// Violation is one place where a document breaks the schema.
type Violation struct {
	// Path is the JSON pointer of the offending value ("" is the whole document).
	Path string
	// Message says what rule it breaks.
	Message string
}

// SchemaError lists every schema violation of a document; Error gives the first
// in one line with the count of the rest.
type SchemaError struct{ Violations []Violation }

// Error implements error.
func (e *SchemaError) Error() string {
	if len(e.Violations) == 0 {
		return "predicate does not match the schema"
	}
	v := e.Violations[0]
	loc := v.Path
	if loc == "" {
		loc = "/"
	}
	msg := fmt.Sprintf("predicate %s: %s", loc, v.Message)
	if n := len(e.Violations) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

// Validate checks predicate JSON against the schema. A document that is not JSON
// or breaks the schema yields a *SchemaError.
func (v *PredicateValidator) Validate(predicateJSON []byte) error {
	return validateWith(v.schema, predicateJSON)
}

func validateWith(schema *jsonschema.Schema, predicateJSON []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(predicateJSON))
	if err != nil {
		return &SchemaError{Violations: []Violation{{Message: "not valid JSON: " + err.Error()}}}
	}
	err = schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate predicate: %w", err)
	}
	var out []Violation
	collectViolations(ve, &out)
	if len(out) == 0 {
		out = append(out, Violation{Message: oneLine(ve.Error())})
	}
	return &SchemaError{Violations: out}
}

// collectViolations walks the leaves of the validation error tree: each leaf is
// one broken keyword at one instance location. (The library's basic output
// reports keywords reached through $ref as "validation failed", so it is not used.)
func collectViolations(ve *jsonschema.ValidationError, out *[]Violation) {
	printer := message.NewPrinter(language.English)
	seen := map[Violation]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := ""
		for _, tok := range e.InstanceLocation {
			path += "/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
		}
		v := Violation{Path: path, Message: oneLine(e.ErrorKind.LocalizedString(printer))}
		if !seen[v] {
			seen[v] = true
			*out = append(*out, v)
		}
	}
	walk(ve)
	// Deepest paths first: they are the most precise.
	sort.SliceStable(*out, func(i, j int) bool {
		return strings.Count((*out)[i].Path, "/") > strings.Count((*out)[j].Path, "/")
	})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
