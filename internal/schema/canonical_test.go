package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// canonicalVectors are the published worked examples of the canonical form:
// input, and the exact canonical bytes. Each is also checked for idempotence.
func canonicalVectors() []struct{ name, in, want string } {
	return []struct{ name, in, want string }{
		{
			name: "keys sorted",
			in:   "b: 1\na: 2\nc: 3\n",
			want: "a: 2\nb: 1\nc: 3\n",
		},
		{
			// Byte order of the key's value: digits < upper case < '_' < lower
			// case; quoting does not matter for the order and is kept.
			name: "keys in byte order",
			in:   "b: x\na: x\n_x: x\nB: x\n'9': x\n\"10\": x\n",
			want: "\"10\": x\n'9': x\nB: x\n_x: x\na: x\nb: x\n",
		},
		{
			name: "comments dropped at every level",
			in: "# head of document\n\n# head of b\nb: 1 # line comment on b\n# foot of b\n\n" +
				"a:\n  # head of d\n  d: [1, 2] # line comment on d\n  c: # line comment on c\n" +
				"    - x # on item\n    # foot of item\n# foot of document\n",
			want: "a:\n    c:\n        - x\n    d: [1, 2]\nb: 1\n",
		},
		{
			name: "nested mappings sorted, 4-space indent",
			in:   "spec:\n  z:\n    y: 1\n    x: 2\n  a:\n    c: 3\n    b: 4\n",
			want: "spec:\n    a:\n        b: 4\n        c: 3\n    z:\n        x: 2\n        y: 1\n",
		},
		{
			name: "list of mappings: list order kept, keys sorted",
			in:   "componentRefs:\n  - version: v1\n    name: b\n  - name: a\n    version: v2\n",
			want: "componentRefs:\n    - name: b\n      version: v1\n    - name: a\n      version: v2\n",
		},
		{
			name: "scalar styles kept",
			in:   "plain: 1.33\ndouble: \"1.33\"\nsingle: '1.33'\n",
			want: "double: \"1.33\"\nplain: 1.33\nsingle: '1.33'\n",
		},
		{
			// yaml.v3 writes a folded scalar with clip chomping followed by an
			// empty line; the value ("folded text\n") is unchanged.
			name: "literal and folded block scalars kept",
			in:   "literal: |\n  line one\n  line two\nfolded: >\n  folded\n  text\nstrip: |-\n  no trailing newline\n",
			want: "folded: >\n    folded text\n\nliteral: |\n    line one\n    line two\nstrip: |-\n    no trailing newline\n",
		},
		{
			name: "aliases expanded, anchors dropped",
			in:   "defaults: &d\n  namespace: nvidia\n  tags: [a, b]\nx: *d\ny:\n  z: *d\n",
			want: "defaults:\n    namespace: nvidia\n    tags: [a, b]\nx:\n    namespace: nvidia\n    tags: [a, b]\n" +
				"y:\n    z:\n        namespace: nvidia\n        tags: [a, b]\n",
		},
		{
			name: "alias as a key",
			in:   "b: 1\nc: &k a\n*k : 2\n",
			want: "a: 2\nb: 1\nc: a\n",
		},
		{
			name: "flow style kept, flow mapping sorted",
			in:   "flow: {d: 1, c: [2, 1]}\n",
			want: "flow: {c: [2, 1], d: 1}\n",
		},
		{
			name: "explicit tags kept",
			in:   "x: !!str 1.33\ny: !custom {b: 1, a: 2}\nz: !!int '7'\n",
			want: "x: !!str 1.33\ny: !custom {a: 2, b: 1}\nz: !!int '7'\n",
		},
		{
			name: "%TAG directive resolved into a verbatim tag",
			in:   "%TAG !e! tag:example.com,2000:\n---\nx: !e!foo bar\n",
			want: "x: !<tag:example.com,2000:foo> bar\n",
		},
		{
			name: "document markers and %YAML directive dropped",
			in:   "%YAML 1.1\n---\nb: 1\na: 2\n...\n",
			want: "a: 2\nb: 1\n",
		},
		{
			name: "quoted merge-like key is an ordinary key",
			in:   "'<<': 1\n",
			want: "'<<': 1\n",
		},
		{
			name: "empty values and empty collections",
			in:   "c:\nb: {}\na: []\n",
			want: "a: []\nb: {}\nc:\n",
		},
		{
			name: "empty top-level mapping",
			in:   "{}\n",
			want: "{}\n",
		},
		{
			name: "byte order mark dropped",
			in:   "\ufeffb: 1\na: 2\n",
			want: "a: 2\nb: 1\n",
		},
		{
			// The style is kept, the escapes are yaml.v3's own.
			name: "double-quoted escapes re-written",
			in:   "s: \"tab\\there \\u00e9 \\x01 \\u2028\"\n",
			want: "s: \"tab\\there \u00e9 \\x01 \\L\"\n",
		},
		{
			name: "long lines not folded",
			in:   "long: " + strings.Repeat("word ", 30) + "end\n",
			want: "long: " + strings.Repeat("word ", 30) + "end\n",
		},
		{
			name: "no trailing newline, CRLF line ends",
			in:   "b: 1\r\na: 2",
			want: "a: 2\nb: 1\n",
		},
	}
}

func TestCanonicalVectors(t *testing.T) {
	for _, v := range canonicalVectors() {
		t.Run(v.name, func(t *testing.T) {
			c := mustCanonical(t, v.in)
			if string(c.Bytes) != v.want {
				t.Fatalf("canonical bytes\n got: %q\nwant: %q", c.Bytes, v.want)
			}
			sum := sha256.Sum256([]byte(v.want))
			if c.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("Digest %s is not the sha256 of the canonical bytes", c.Digest)
			}
			assertIdempotent(t, c.Bytes)
			assertCanonicalTree(t, c.Root)
		})
	}
}

// TestCanonicalWorkedExample checks the worked example that the spec quotes:
// testdata/canonical/worked-example.{input.yaml,canonical.yaml,sha256}. The
// .sha256 file is in sha256sum format, so `sha256sum -c worked-example.sha256`
// checks it too.
func TestCanonicalWorkedExample(t *testing.T) {
	const wantCanonical = `apiVersion: aicr.nvidia.com/v1alpha1
componentRefs:
    - name: gpu-operator
      namespace: gpu-operator
      type: Helm
      version: v25.3.0
    - name: cert-manager
      namespace: cert-manager
      type: Helm
      version: v1.17.2
constraints:
    - name: K8s.server.version
      value: '>= 1.30'
    - name: OS.release.ID
      value: "ubuntu"
criteria:
    accelerator: h100
    intent: training
    os: ubuntu
    service: eks
kind: RecipeResult
metadata:
    version: v0.26.7
`
	const wantDigest = "738e9b21bf111cf9bc3938022f9f45dad49d622382b65bcb460fc4878e1d64ac"

	dir := filepath.Join("testdata", "canonical")
	input := readTestFile(t, filepath.Join(dir, "worked-example.input.yaml"))
	canonicalFile := readTestFile(t, filepath.Join(dir, "worked-example.canonical.yaml"))
	sumFile := readTestFile(t, filepath.Join(dir, "worked-example.sha256"))

	if !bytes.HasPrefix(input, []byte("# ")) || !bytes.Contains(input, []byte("kind: RecipeResult\napiVersion:")) {
		t.Fatalf("worked-example.input.yaml is not the commented, unsorted example")
	}
	got, err := CanonicalizeRecipe(input)
	if err != nil {
		t.Fatalf("CanonicalizeRecipe: %v", err)
	}
	if string(got) != wantCanonical {
		t.Errorf("canonical bytes\n got:\n%s\nwant:\n%s", got, wantCanonical)
	}
	if string(canonicalFile) != wantCanonical {
		t.Errorf("worked-example.canonical.yaml differs from the expected canonical bytes")
	}
	digest, err := RecipeDigest(input)
	if err != nil {
		t.Fatalf("RecipeDigest: %v", err)
	}
	if digest != wantDigest {
		t.Errorf("RecipeDigest = %s, want %s", digest, wantDigest)
	}
	if want := wantDigest + "  worked-example.canonical.yaml\n"; string(sumFile) != want {
		t.Errorf("worked-example.sha256 = %q, want %q", sumFile, want)
	}
	sum := sha256.Sum256(canonicalFile)
	if hex.EncodeToString(sum[:]) != wantDigest {
		t.Errorf("sha256 of worked-example.canonical.yaml is not %s", wantDigest)
	}
	// The canonical file is itself canonical, with the same digest.
	if d, err := RecipeDigest(canonicalFile); err != nil || d != wantDigest {
		t.Errorf("RecipeDigest(canonical file) = %s, %v; want %s", d, err, wantDigest)
	}
	assertIdempotent(t, got)
}

// TestCanonicalSameDigest lists inputs that differ only in ways the canonical
// form ignores; each group must give one digest.
func TestCanonicalSameDigest(t *testing.T) {
	groups := map[string][]string{
		"key order": {
			"a: 1\nb: {x: 1, y: 2}\nc: [1, 2]\n",
			"c: [1, 2]\nb: {y: 2, x: 1}\na: 1\n",
			"b: {y: 2, x: 1}\nc: [1, 2]\na: 1\n",
		},
		"comments": {
			"a: 1\nb:\n  c: 2\n",
			"# header\na: 1 # one\nb: # bee\n  # head c\n  c: 2 # two\n  # foot\n# trailer\n",
		},
		"indentation 2 vs 4 vs mixed": {
			"a:\n  b:\n    - c: 1\n      d: 2\n",
			"a:\n    b:\n        -   c: 1\n            d: 2\n",
			"a:\n   b:\n   - c: 1\n     d: 2\n",
		},
		"document markers": {
			"a: 1\n",
			"---\na: 1\n",
			"a: 1\n...\n",
			"--- \na: 1\n...\n",
			"%YAML 1.1\n---\na: 1\n",
		},
		"aliases vs written out": {
			"x: &v {p: 1}\ny: *v\n",
			"x: {p: 1}\ny: {p: 1}\n",
			"x: &other {p: 1}\ny: *other\n",
		},
		"line ends and final newline": {
			"a: 1\nb: 2\n",
			"a: 1\r\nb: 2\r\n",
			"a: 1\nb: 2",
		},
	}
	for name, inputs := range groups {
		t.Run(name, func(t *testing.T) {
			first := mustCanonical(t, inputs[0])
			for _, in := range inputs[1:] {
				if c := mustCanonical(t, in); c.Digest != first.Digest {
					t.Errorf("%q: digest %s, want %s (as for %q)\ncanonical:\n%s\nwant:\n%s", in, c.Digest, first.Digest, inputs[0], c.Bytes, first.Bytes)
				}
			}
		})
	}
}

// TestCanonicalDifferentDigest lists pairs that the canonical form must tell
// apart.
func TestCanonicalDifferentDigest(t *testing.T) {
	pairs := []struct{ name, a, b string }{
		{"changed value", "a: 1\n", "a: 2\n"},
		{"changed key", "a: 1\n", "b: 1\n"},
		{"plain vs double-quoted", "k8s: 1.33\n", "k8s: \"1.33\"\n"},
		{"single vs double-quoted", "k8s: '1.33'\n", "k8s: \"1.33\"\n"},
		{"list order", "l: [a, b]\n", "l: [b, a]\n"},
		{"block list order", "l:\n  - a\n  - b\n", "l:\n  - b\n  - a\n"},
		{"literal vs folded", "s: |\n  x\n  y\n", "s: >\n  x\n  y\n"},
		{"literal clip vs strip", "s: |\n  x\n", "s: |-\n  x\n"},
		{"flow vs block", "m: {a: 1}\n", "m:\n  a: 1\n"},
		{"explicit tag", "a: !!str x\n", "a: x\n"},
		{"null vs empty", "a:\n", "a: null\n"},
		{"nesting", "a: {b: 1}\n", "a: {c: {b: 1}}\n"},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, b := mustCanonical(t, p.a), mustCanonical(t, p.b)
			if a.Digest == b.Digest {
				t.Errorf("%q and %q have the same digest %s", p.a, p.b, a.Digest)
			}
		})
	}
}

func TestCanonicalErrors(t *testing.T) {
	cases := []struct {
		name, in string
		want     error
		msg      string // exact error message, or "" to skip
		line     int    // RecipeError.Line, or -1 to skip
	}{
		{"empty input", "", ErrEmptyRecipe, "recipe: empty document: no YAML document (input is empty or holds only comments)", 0},
		{"whitespace only", " \n\n   \n", ErrEmptyRecipe, "", 0},
		{"comments only", "# just a comment\n\n# another\n", ErrEmptyRecipe, "", 0},
		{"empty document", "---\n", ErrEmptyRecipe, "recipe: empty document", -1},
		{"empty document with end marker", "---\n...\n", ErrEmptyRecipe, "", -1},
		{"empty document with comment", "--- # nothing\n", ErrEmptyRecipe, "", -1},
		{"two documents", "a: 1\n---\nb: 2\n", ErrMultipleDocuments, "recipe: 2 YAML documents, want exactly 1", 0},
		{"three documents", "a: 1\n---\nb: 2\n---\nc: 3\n", ErrMultipleDocuments, "recipe: 3 YAML documents, want exactly 1", 0},
		{"trailing document start", "a: 1\n---\n", ErrMultipleDocuments, "recipe: 2 YAML documents, want exactly 1", 0},
		{"two explicit documents", "---\na: 1\n...\n---\na: 1\n...\n", ErrMultipleDocuments, "", 0},
		{"duplicate key", "criteria: {}\nkind: x\ncriteria: {}\n", ErrDuplicateKey, `recipe: duplicate key "criteria" at line 3 (first at line 1)`, 3},
		{
			"duplicate key nested",
			"kind: RecipeResult\nspec:\n  a: 1\n  b: 2\n\n\n\n\n\n\n\n  a: 3\n",
			ErrDuplicateKey, `recipe: duplicate key "a" at line 12 (first at line 3)`, 12,
		},
		{"duplicate key differing by double quotes", "a: 1\n\"a\": 2\n", ErrDuplicateKey, `recipe: duplicate key "a" at line 2 (first at line 1)`, 2},
		{"duplicate key differing by single quotes", "'a': 1\na: 2\n", ErrDuplicateKey, "", 2},
		{"duplicate key differing by tag", "1: a\n!!str 1: b\n", ErrDuplicateKey, "", 2},
		{"duplicate key int vs string", "1: a\n'1': b\n", ErrDuplicateKey, "", 2},
		{"duplicate key in flow mapping", "m: {a: 1, b: 2, a: 3}\n", ErrDuplicateKey, "", -1},
		{"duplicate key in list item", "l:\n  - n: 1\n    n: 2\n", ErrDuplicateKey, `recipe: duplicate key "n" at line 3 (first at line 2)`, 3},
		{"duplicate key through alias", "x: 1\ny: &k x\n*k : 2\n", ErrDuplicateKey, `recipe: duplicate key "x" at line 3 (first at line 1)`, 3},
		{"merge key", "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n", ErrMergeKey, `recipe: merge key "<<" at line 3 is not allowed`, 3},
		{"merge key tagged", "a: 1\n!!merge <<: {b: 2}\n", ErrMergeKey, "", 2},
		{"sequence key", "? [a, b]\n: c\n", ErrComplexKey, "recipe: non-scalar mapping key (a sequence) at line 1", 1},
		{"mapping key", "{x: 1}: d\n", ErrComplexKey, "", 1},
		{"alias to mapping as key", "m: &m {x: 1}\n*m : 2\n", ErrComplexKey, "", 2},
		{"recursive alias", "a: &a [1, *a]\n", ErrRecursiveAlias, `recipe: recursive alias "*a" at line 1`, 1},
		{"top-level sequence", "- a\n- b\n", ErrRecipeNotMapping, "recipe: top-level node is a sequence, want a mapping", 1},
		{"top-level scalar", "just text\n", ErrRecipeNotMapping, `recipe: top-level node is a scalar tagged "!!str", want a mapping`, 1},
		{"top-level null", "~\n", ErrRecipeNotMapping, "", 1},
		{"syntax error", "a: [1, 2\n", ErrRecipeSyntax, "", -1},
		{"bad indentation", "a:\n  b: 1\n c: 2\n", ErrRecipeSyntax, "", -1},
		{"unknown alias", "a: *nope\n", ErrRecipeSyntax, "", -1},
		{"invalid UTF-8", "a: \xff\xfe\n", ErrRecipeSyntax, "", -1},
		{"error in second document", "a: 1\n---\nb: [\n", ErrRecipeSyntax, "", -1},
		{
			// yaml.v3 writes this null as '' (a string), which would change
			// the recipe's meaning.
			"null in flow mapping does not round-trip", "m: {a, b: 1}\n", ErrRecipeUnstable, "", 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Canonical([]byte(tc.in))
			if err == nil {
				t.Fatalf("Canonical(%q) succeeded, want %v", tc.in, tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Canonical(%q) = %v, want errors.Is %v", tc.in, err, tc.want)
			}
			checkRecipeError(t, err)
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message\n got: %s\nwant: %s", err, tc.msg)
			}
			var re *RecipeError
			if errors.As(err, &re) && tc.line >= 0 && re.Line != tc.line {
				t.Errorf("Line = %d, want %d (%v)", re.Line, tc.line, err)
			}
			// The other entry points fail the same way.
			if _, err2 := CanonicalizeRecipe([]byte(tc.in)); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("CanonicalizeRecipe error %v, want %v", err2, err)
			}
			if d, err2 := RecipeDigest([]byte(tc.in)); err2 == nil || d != "" {
				t.Errorf("RecipeDigest = %q, %v; want an error", d, err2)
			}
		})
	}
}

func TestCanonicalSyntaxErrorKeepsCause(t *testing.T) {
	_, err := Canonical([]byte("a: [1, 2\n"))
	var re *RecipeError
	if !errors.As(err, &re) || re.Cause == nil {
		t.Fatalf("err = %v, want a *RecipeError with the yaml.v3 error as Cause", err)
	}
	if !strings.Contains(err.Error(), "yaml: line") {
		t.Errorf("message %q does not carry the yaml.v3 position", err)
	}
}

func TestCanonicalErrorMessageOneLine(t *testing.T) {
	// A tag and a key containing line breaks must not break the message.
	for _, in := range []string{"!%0A\n", "\"a\\nb\": 1\n\"a\\nb\": 2\n", "a: \"\\u2028\"\na: 2\n"} {
		_, err := Canonical([]byte(in))
		if err == nil {
			t.Fatalf("Canonical(%q) succeeded, want an error", in)
		}
		checkRecipeError(t, err)
	}
}

func TestCanonicalLimits(t *testing.T) {
	t.Run("input at the size limit accepted", func(t *testing.T) {
		in := "a: " + strings.Repeat("x", MaxRecipeBytes-4) + "\n"
		if len(in) != MaxRecipeBytes {
			t.Fatalf("test input is %d bytes", len(in))
		}
		c := mustCanonical(t, in)
		if string(c.Bytes) != in {
			t.Errorf("canonical form of the at-limit input changed")
		}
	})
	t.Run("input over the size limit rejected", func(t *testing.T) {
		in := "a: " + strings.Repeat("x", MaxRecipeBytes-3) + "\n"
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeTooLarge, "input is 1048577 bytes")
	})
	t.Run("canonical form over the size limit rejected", func(t *testing.T) {
		// 200 KiB input whose alias expansion is 1.4 MiB.
		in := "s: &s " + strings.Repeat("y", 200<<10) + "\nl: [*s, *s, *s, *s, *s, *s]\n"
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeTooLarge, "canonical form is over")
	})
	t.Run("canonical form over the size limit from indentation alone", func(t *testing.T) {
		// Under the input limit with 1-space indentation, over it with 4;
		// under the node limit (8 nodes an entry).
		var b strings.Builder
		for i := 0; 8*(i+1) < MaxRecipeNodes-100; i++ {
			fmt.Fprintf(&b, "k%07d:\n a:\n  b:\n   c: 1\n", i)
		}
		if b.Len() >= MaxRecipeBytes {
			t.Fatalf("input %d bytes: the test needs it under the input limit", b.Len())
		}
		_, err := Canonical([]byte(b.String()))
		wantErr(t, err, ErrRecipeTooLarge, "canonical form is over")
	})
	t.Run("billion laughs rejected", func(t *testing.T) {
		// 10^9 nodes after expansion, about 450 bytes of input.
		in := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		for c := 'b'; c <= 'i'; c++ {
			p := string(c - 1)
			in += fmt.Sprintf("%c: &%c [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", c, c, p, p, p, p, p, p, p, p, p, p)
		}
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeTooLarge, "nodes after alias expansion")
	})
	t.Run("alias expansion at the node limit edge", func(t *testing.T) {
		// 100 * 100 * 100 = 10^6 leaves plus the collections: just over.
		in := "a: &a [" + strings.TrimSuffix(strings.Repeat("x, ", 100), ", ") + "]\n" +
			"b: &b [" + strings.TrimSuffix(strings.Repeat("*a, ", 100), ", ") + "]\n" +
			"c: [" + strings.TrimSuffix(strings.Repeat("*b, ", 100), ", ") + "]\n"
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeTooLarge, "nodes after alias expansion")
	})
	t.Run("nesting at the depth limit accepted", func(t *testing.T) {
		// The top-level mapping is level 1, so 99 sequences reach level 100.
		in := "a: " + strings.Repeat("[", MaxRecipeDepth-1) + strings.Repeat("]", MaxRecipeDepth-1) + "\n"
		assertIdempotent(t, mustCanonical(t, in).Bytes)
	})
	t.Run("flow nesting over the depth limit rejected", func(t *testing.T) {
		in := "a: " + strings.Repeat("[", MaxRecipeDepth) + strings.Repeat("]", MaxRecipeDepth) + "\n"
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeTooDeep, "deeper than 100 levels")
	})
	t.Run("block nesting over the depth limit rejected", func(t *testing.T) {
		var b strings.Builder
		for i := 0; i <= MaxRecipeDepth; i++ {
			fmt.Fprintf(&b, "%sk:\n", strings.Repeat(" ", i))
		}
		_, err := Canonical([]byte(b.String()))
		wantErr(t, err, ErrRecipeTooDeep, "")
	})
	t.Run("nesting through an alias over the depth limit rejected", func(t *testing.T) {
		half := MaxRecipeDepth/2 + 1
		in := "a: &d " + strings.Repeat("[", half) + strings.Repeat("]", half) + "\n" +
			"b: " + strings.Repeat("[", half) + "*d" + strings.Repeat("]", half) + "\n"
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeTooDeep, `alias "*d"`)
	})
	t.Run("yaml.v3 depth limit", func(t *testing.T) {
		in := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
		_, err := Canonical([]byte(in))
		wantErr(t, err, ErrRecipeSyntax, "")
	})
}

// TestCanonicalRoot checks the tree returned with the canonical bytes.
func TestCanonicalRoot(t *testing.T) {
	c := mustCanonical(t, "# c\n\n\nb: &x {d: 1, c: 2}\na: *x\n")
	if c.Root == nil || c.Root.Kind != yaml.DocumentNode || len(c.Root.Content) != 1 || c.Root.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("Root is not a document holding one mapping: %#v", c.Root)
	}
	assertCanonicalTree(t, c.Root)
	out, err := yaml.Marshal(c.Root)
	if err != nil || !bytes.Equal(out, c.Bytes) {
		t.Errorf("yaml.Marshal(Root) = %q, %v; want the canonical bytes %q", out, err, c.Bytes)
	}
	// Line numbers refer to the canonical bytes: "b:" is on line 2.
	top := c.Root.Content[0]
	if top.Content[2].Value != "b" || top.Content[2].Line != 2 {
		t.Errorf("key %q at line %d, want \"b\" at line 2 of %q", top.Content[2].Value, top.Content[2].Line, c.Bytes)
	}
	// Each call returns a fresh tree.
	c.Root.Content[0].Content[0].Value = "changed"
	if c2 := mustCanonical(t, "# c\n\n\nb: &x {d: 1, c: 2}\na: *x\n"); c2.Root.Content[0].Content[0].Value != "a" {
		t.Errorf("Canonical shares its tree between calls")
	}
}

// TestCanonicalMatchesMarshal checks that the encoder behind the size cap
// writes exactly what yaml.Marshal writes (the format says "the yaml.v3
// encoder at its default settings").
func TestCanonicalMatchesMarshal(t *testing.T) {
	for _, v := range canonicalVectors() {
		c := mustCanonical(t, v.in)
		out, err := yaml.Marshal(c.Root)
		if err != nil || !bytes.Equal(out, c.Bytes) {
			t.Errorf("%s: yaml.Marshal gives %q, %v; canonical bytes are %q", v.name, out, err, c.Bytes)
		}
	}
}

// realRecipesDir holds AICR's example RecipeResults, shared by the project's
// sessions (not copied into this repository).
const realRecipesDir = "../../../shared/testdata/aicr-upstream/examples/recipes"

func TestCanonicalRealRecipes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(realRecipesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, statErr := os.Stat(realRecipesDir); statErr != nil || len(files) == 0 {
		msg := fmt.Sprintf("shared test data is absent: no AICR example recipes in %s (%v)", realRecipesDir, statErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in := readTestFile(t, f)
			if !bytes.Contains(in, []byte("# Copyright")) {
				t.Fatalf("%s has no license header comment; the comment check would be vacuous", f)
			}
			c, err := Canonical(in)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if bytes.Equal(c.Bytes, in) {
				t.Errorf("canonical form equals the input; the file was expected to be non-canonical")
			}
			assertIdempotent(t, c.Bytes)
			assertCanonicalTree(t, c.Root)
			if bytes.Contains(c.Bytes, []byte("Copyright")) || bytes.Contains(c.Bytes, []byte("Licensed under")) {
				t.Errorf("comments survived canonicalization")
			}
			if !bytes.HasPrefix(c.Bytes, []byte("apiVersion: ")) {
				t.Errorf("canonical form does not start with the smallest key apiVersion: %q", c.Bytes[:min(40, len(c.Bytes))])
			}
			d2, err := RecipeDigest(in)
			if err != nil || d2 != c.Digest {
				t.Errorf("second RecipeDigest = %s, %v; want %s", d2, err, c.Digest)
			}
			sum := sha256.Sum256(c.Bytes)
			if c.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("Digest is not the sha256 of Bytes")
			}
			for name, variant := range reorderedVariants(t, in) {
				if bytes.Equal(variant, in) {
					t.Fatalf("%s: variant equals the input", name)
				}
				d, err := RecipeDigest(variant)
				if err != nil {
					t.Fatalf("%s: RecipeDigest: %v", name, err)
				}
				if d != c.Digest {
					t.Errorf("%s: digest %s, want %s", name, d, c.Digest)
				}
			}
		})
	}
}

// reorderedVariants returns re-serializations of in that the canonical form
// must not tell apart: top-level keys reversed (2-space indent, comments
// kept), and every mapping reversed (default 4-space indent).
func reorderedVariants(t *testing.T, in []byte) map[string][]byte {
	t.Helper()
	parse := func() *yaml.Node {
		var doc yaml.Node
		if err := yaml.Unmarshal(in, &doc); err != nil {
			t.Fatalf("yaml.Unmarshal: %v", err)
		}
		return &doc
	}
	out := map[string][]byte{}

	doc := parse()
	reversePairs(doc.Content[0])
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatalf("encode: %v", err)
	}
	out["top-level keys reversed"] = buf.Bytes()

	doc = parse()
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			reversePairs(n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc)
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	out["all keys reversed"] = b
	return out
}

// reversePairs reverses the order of the key/value pairs of mapping m.
func reversePairs(m *yaml.Node) {
	n := len(m.Content) / 2
	for i := 0; i < n/2; i++ {
		j := n - 1 - i
		m.Content[2*i], m.Content[2*j] = m.Content[2*j], m.Content[2*i]
		m.Content[2*i+1], m.Content[2*j+1] = m.Content[2*j+1], m.Content[2*i+1]
	}
}

// mustCanonical canonicalizes in and fails t on error.
func mustCanonical(t *testing.T, in string) *CanonicalRecipe {
	t.Helper()
	c, err := Canonical([]byte(in))
	if err != nil {
		t.Fatalf("Canonical(%q): %v", in, err)
	}
	return c
}

// assertIdempotent fails t unless canonical is its own canonical form.
func assertIdempotent(t *testing.T, canonical []byte) {
	t.Helper()
	again, err := CanonicalizeRecipe(canonical)
	if err != nil {
		t.Fatalf("canonical bytes do not canonicalize: %v", err)
	}
	if !bytes.Equal(again, canonical) {
		t.Fatalf("not idempotent:\nfirst:  %q\nsecond: %q", canonical, again)
	}
}

// assertCanonicalTree walks a canonical tree and fails t on any unsorted or
// duplicate mapping key, comment, anchor or alias.
func assertCanonicalTree(t *testing.T, n *yaml.Node) {
	t.Helper()
	if n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		t.Errorf("comment left at line %d: %q %q %q", n.Line, n.HeadComment, n.LineComment, n.FootComment)
	}
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		t.Errorf("anchor or alias left at line %d", n.Line)
	}
	if n.Kind == yaml.MappingNode {
		keys := make([]string, 0, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
		if !sort.StringsAreSorted(keys) {
			t.Errorf("mapping at line %d not sorted: %q", n.Line, keys)
		}
		for i := 1; i < len(keys); i++ {
			if keys[i] == keys[i-1] {
				t.Errorf("mapping at line %d has duplicate key %q", n.Line, keys[i])
			}
		}
	}
	for _, c := range n.Content {
		assertCanonicalTree(t, c)
	}
}

// wantErr fails t unless err wraps sentinel and its message contains substr.
func wantErr(t *testing.T, err, sentinel error, substr string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	checkRecipeError(t, err)
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("message %q does not contain %q", err, substr)
	}
}

func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
