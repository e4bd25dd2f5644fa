// Package strictjson is the one JSON reader for every document a verdict depends
// on (Statement, predicate, manifest, CTRF, BOM). It reads JSON the way jq,
// JavaScript and the JSON Schema see it, and refuses what other readers could
// see differently:
//
//   - exactly one JSON value, valid UTF-8, no trailing data;
//   - no duplicate key in any object, at any depth — also after Unicode simple
//     case folding ("status", "Status" and "ſtatus" (U+017F) are the same key to
//     Go's encoding/json, which matches keys case-insensitively and keeps the last);
//   - keys match struct fields by exact case, and a key that matches a field only
//     by letter case is refused, not ignored;
//   - an integer read into a Go integer is within ±2^53, where readers that hold
//     numbers as doubles (jq, JavaScript) read the same integer.
//
// Decoding uses github.com/go-json-experiment/json (case-sensitive and
// duplicate-rejecting by default); this package adds the case-folding pass.
package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aicr/verify-evidence/internal/casefold"
)

// ErrAmbiguous is matched (errors.Is) by every refusal of a document that is
// valid JSON but that readers could read differently: duplicate or fold-equal
// keys, a key matching a field only by letter case, an integer beyond ±2^53.
var ErrAmbiguous = errors.New("JSON that readers could read differently")

// ambiguous is a one-line refusal that matches ErrAmbiguous.
type ambiguous struct{ msg string }

func (e *ambiguous) Error() string        { return e.msg }
func (e *ambiguous) Is(target error) bool { return target == ErrAmbiguous }

func ambiguousf(format string, args ...any) error {
	return &ambiguous{msg: fmt.Sprintf(format, args...)}
}

// Check reports whether b is one strict JSON value: valid UTF-8, nothing after
// the value, and no object with two keys equal under Unicode simple case
// folding (exact duplicates included). The error is one line and names the key
// and where it is (a JSON pointer).
func Check(b []byte) error { return walkDocument(b, nil) }

// Unmarshal checks b as Check does, then decodes it into v (a non-nil pointer)
// matching object keys to struct fields by exact case. A key that equals a
// field's name only under case folding is an error; other unknown keys are
// ignored (the caller's schema decides about them, before decoding).
func Unmarshal(b []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return errors.New("strictjson: Unmarshal needs a non-nil pointer")
	}
	if err := walkDocument(b, t.Elem()); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return semanticError(err)
	}
	return nil
}

// Members returns the members of the JSON object b with the exact bytes of each
// value, after checking b as Check does.
func Members(b []byte) (map[string]jsontext.Value, error) {
	if err := Check(b); err != nil {
		return nil, err
	}
	var m map[string]jsontext.Value
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, semanticError(err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

func walkDocument(b []byte, t reflect.Type) error {
	// Default options: invalid UTF-8 and exact duplicate names are refused.
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	w := walker{dec: dec, fields: map[reflect.Type]fieldSet{}}
	if err := w.value(t); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("trailing data after the JSON value (offset %d)", dec.InputOffset())
		}
		return syntaxError(err)
	}
	return nil
}

type walker struct {
	dec    *jsontext.Decoder
	fields map[reflect.Type]fieldSet // per call, not global
}

// value reads one value; t is the Go type it will be decoded into, or nil when
// the type does not constrain its keys.
func (w *walker) value(t reflect.Type) error {
	tok, err := w.dec.ReadToken()
	if err != nil {
		return syntaxError(err)
	}
	if tok.Kind() == '0' && isInteger(t) {
		return checkExactInteger(tok.String(), w.dec.StackPointer())
	}
	t = w.keyedType(t)
	switch tok.Kind() {
	case '{':
		return w.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for w.dec.PeekKind() != ']' {
			if err := w.value(elem); err != nil {
				return err
			}
		}
		if _, err := w.dec.ReadToken(); err != nil {
			return syntaxError(err)
		}
	}
	return nil
}

func (w *walker) object(t reflect.Type) error {
	ptr := w.dec.StackPointer()
	seen := map[string]string{}
	var fs fieldSet
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fs = w.fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	for w.dec.PeekKind() != '}' {
		tok, err := w.dec.ReadToken()
		if err != nil {
			return syntaxError(err)
		}
		name := tok.String()
		fold := casefold.Key(name)
		if prev, dup := seen[fold]; dup {
			return ambiguousf("duplicate key %s at %s (equal to %s under case folding: readers disagree on which one counts)", strconv.Quote(name), where(ptr), strconv.Quote(prev))
		}
		seen[fold] = name
		sub := elem
		if fs.exact != nil {
			f, exact := fs.exact[name]
			if !exact {
				if want, ok := fs.folded[fold]; ok {
					return ambiguousf("key %s at %s differs from %s only by letter case", strconv.Quote(name), where(ptr), strconv.Quote(want))
				}
			}
			sub = f
		}
		if err := w.value(sub); err != nil {
			return err
		}
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return syntaxError(err)
	}
	return nil
}

// maxExactInteger is 2^53: beyond it, readers that hold numbers as IEEE doubles
// (jq, JavaScript) read another integer than the one written.
const maxExactInteger = 1 << 53

func isInteger(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// checkExactInteger refuses an integer that a double cannot hold exactly; other
// number forms are left to the decoder (which refuses a fraction for an integer).
func checkExactInteger(lit string, at jsontext.Pointer) error {
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return ambiguousf("integer %s at %s is out of range", lit, where(at))
		}
		return nil
	}
	if n > maxExactInteger || n < -maxExactInteger {
		return ambiguousf("integer %s at %s is beyond ±2^53, where readers that use doubles (jq, JavaScript) read another number", lit, where(at))
	}
	return nil
}

// keyedType dereferences pointers and returns nil for types whose keys this
// walk does not know: interfaces, raw values and types that decode themselves
// (their decoders call Unmarshal on their own part).
func (w *walker) keyedType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == rawValueType || reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerFromType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		return t
	}
	return nil
}

var (
	rawValueType        = reflect.TypeFor[jsontext.Value]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	unmarshalerFromType = reflect.TypeFor[json.UnmarshalerFrom]()
)

// fieldSet is the JSON field names of a struct: exact name → field type, and
// folded name → exact name.
type fieldSet struct {
	exact  map[string]reflect.Type
	folded map[string]string
}

func (w *walker) fieldsOf(t reflect.Type) fieldSet {
	if fs, ok := w.fields[t]; ok {
		return fs
	}
	fs := fieldSet{exact: map[string]reflect.Type{}, folded: map[string]string{}}
	w.fields[t] = fs
	addFields(fs, t)
	return fs
}

func addFields(fs fieldSet, t reflect.Type) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			if et := sf.Type; et.Kind() == reflect.Struct {
				addFields(fs, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fs.exact[name] = sf.Type
		fs.folded[casefold.Key(name)] = name
	}
}

func where(p jsontext.Pointer) string {
	if p == "" {
		return "/"
	}
	return string(p)
}

// syntaxError turns a jsontext error into one line without the package prefix.
func syntaxError(err error) error {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		if errors.Is(se.Err, jsontext.ErrDuplicateName) {
			return ambiguousf("duplicate key %s at %s", strconv.Quote(se.JSONPointer.LastToken()), where(se.JSONPointer.Parent()))
		}
		msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
		if se.JSONPointer != "" {
			msg += " at " + string(se.JSONPointer)
		}
		return fmt.Errorf("not valid JSON: %s (offset %d)", msg, se.ByteOffset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("not valid JSON: unexpected end of input")
	}
	return fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "jsontext: "))
}

// semanticError makes a decoding error one line: which value, which Go type.
func semanticError(err error) error {
	var se *json.SemanticError
	if errors.As(err, &se) {
		msg := "cannot decode"
		if se.JSONKind != 0 {
			msg += " JSON " + se.JSONKind.String()
		}
		if se.JSONValue != nil {
			v := string(se.JSONValue)
			if len(v) > 40 {
				v = v[:40] + "…"
			}
			msg += " " + v
		}
		if se.GoType != nil {
			msg += " into " + se.GoType.String()
		}
		if se.JSONPointer != "" {
			msg += " at " + string(se.JSONPointer)
		}
		if se.Err != nil {
			msg += ": " + strings.TrimPrefix(se.Err.Error(), "json: ")
		}
		return errors.New(msg)
	}
	var sy *jsontext.SyntacticError
	if errors.As(err, &sy) {
		return syntaxError(sy)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}
