package fingerprint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/schema"
)

// decodeSingleDocument parses b, which must hold exactly one YAML document of at
// most limit bytes whose mappings have no duplicate keys, and returns the
// document's root node. what names the input in errors ("snapshot", "recipe").
func decodeSingleDocument(what string, b []byte, limit int) (*yaml.Node, error) {
	if len(b) > limit {
		return nil, fmt.Errorf("%s: %d bytes exceeds the limit of %d bytes", what, len(b), limit)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no YAML document", what)
		}
		return nil, fmt.Errorf("%s: parse YAML: %w", what, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, fmt.Errorf("%s: more than one YAML document (the second does not parse: %w)", what, err)
	default:
		return nil, fmt.Errorf("%s: more than one YAML document (the second starts at line %d)", what, next.Line)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%s: no YAML document", what)
	}
	if err := checkDuplicateKeys(what, doc.Content[0]); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

// checkDuplicateKeys walks the whole tree under root (without following
// aliases, so the work is linear in the number of nodes) and fails on the first
// mapping that repeats a key. Scalar keys are compared by their text, so 1 and
// "1" count as the same key; a mapping or sequence used as a key is refused.
func checkDuplicateKeys(what string, root *yaml.Node) error {
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n.Kind {
		case yaml.MappingNode:
			seen := make(map[string]int, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml.AliasNode && k.Alias != nil {
					k = k.Alias
				}
				if k.Kind != yaml.ScalarNode {
					return fmt.Errorf("%s: line %d: a mapping key must be a scalar", what, n.Content[i].Line)
				}
				if err := schema.CheckKeyTag(k); err != nil {
					return fmt.Errorf("%s: line %d: %w", what, n.Content[i].Line, err)
				}
				if first, dup := seen[k.Value]; dup {
					return fmt.Errorf("%s: line %d: duplicate key %s (first at line %d)", what, n.Content[i].Line, quote(k.Value), first)
				}
				seen[k.Value] = n.Content[i].Line
			}
			stack = append(stack, n.Content...)
		case yaml.SequenceNode, yaml.DocumentNode:
			stack = append(stack, n.Content...)
		}
	}
	return nil
}

// mappingValue returns the value node of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// deref resolves an alias. Only aliases of scalars are followed: an alias of a
// mapping or sequence could multiply the work ("billion laughs"), so it is an
// error.
func deref(n *yaml.Node) (*yaml.Node, error) {
	if n.Kind != yaml.AliasNode {
		return n, nil
	}
	if n.Alias == nil || n.Alias.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("line %d: an alias of a mapping or sequence is not allowed here", n.Line)
	}
	return n.Alias, nil
}

// isNull reports whether n is a YAML null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName names a node kind for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	default:
		return "an unknown node"
	}
}

// maxQuoted is how many characters of a value an error or report line shows.
const maxQuoted = 96

// quote renders s for a one-line message: Go-quoted (so control characters and
// newlines are escaped) and cut to maxQuoted characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		r := []rune(s)
		return strconv.Quote(string(r[:maxQuoted])) + "…"
	}
	return strconv.Quote(s)
}
