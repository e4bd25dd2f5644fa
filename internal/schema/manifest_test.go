package schema_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

// sha256Hex is the reference digest: computed here, not by the package under test.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestNewManifestSortedHashedAndSkipsUninventoried(t *testing.T) {
	files := map[string][]byte{
		"snapshot.yaml":             []byte("measurements: []\n"),
		"recipe.yaml":               []byte("kind: RecipeResult\n"),
		"bom.cdx.json":              []byte(`{"bomFormat":"CycloneDX"}`),
		"ctrf/deployment.json":      []byte(`{"reportFormat":"CTRF"}`),
		"ctrf.json":                 []byte("{}"), // '.' (0x2e) sorts before '/' (0x2f)
		"Zebra.txt":                 []byte("upper case sorts before lower case"),
		"logs/deployment.log":       []byte("line\n"),
		"logs/extra.intoto.jsonl":   []byte("{}\n"),
		"notes.yml":                 []byte("a: 1\n"),
		"empty":                     {},
		schema.FileManifest:         []byte("must be skipped"),
		schema.FileStatement:        []byte("must be skipped"),
		schema.FileAttestation:      []byte("must be skipped"),
		"ctrf/performance.json":     []byte(`{"reportFormat":"CTRF","x":1}`),
		"ctrf/conformance.json":     []byte(`{"reportFormat":"CTRF","x":2}`),
		"logs/a/b/c/d/e/f/deep.log": []byte("deep"),
	}
	m := schema.NewManifest(files)
	if m.SchemaVersion != "1.0.0" {
		t.Errorf("schemaVersion = %q, want 1.0.0", m.SchemaVersion)
	}
	wantOrder := []string{
		"Zebra.txt",
		"bom.cdx.json",
		"ctrf.json",
		"ctrf/conformance.json",
		"ctrf/deployment.json",
		"ctrf/performance.json",
		"empty",
		"logs/a/b/c/d/e/f/deep.log",
		"logs/deployment.log",
		"logs/extra.intoto.jsonl",
		"notes.yml",
		"recipe.yaml",
		"snapshot.yaml",
	}
	if len(m.Files) != len(wantOrder) {
		t.Fatalf("manifest lists %d files, want %d: %+v", len(m.Files), len(wantOrder), m.Files)
	}
	wantMedia := map[string]string{
		"bom.cdx.json":              "application/vnd.cyclonedx+json",
		"ctrf.json":                 "application/json",
		"ctrf/conformance.json":     "application/json",
		"ctrf/deployment.json":      "application/json",
		"ctrf/performance.json":     "application/json",
		"logs/deployment.log":       "text/plain",
		"logs/extra.intoto.jsonl":   "application/vnd.in-toto+jsonl",
		"logs/a/b/c/d/e/f/deep.log": "text/plain",
		"notes.yml":                 "application/yaml",
		"recipe.yaml":               "application/yaml",
		"snapshot.yaml":             "application/yaml",
	}
	for i, f := range m.Files {
		if f.Path != wantOrder[i] {
			t.Errorf("files[%d].path = %q, want %q", i, f.Path, wantOrder[i])
			continue
		}
		data := files[f.Path]
		if f.Size != int64(len(data)) {
			t.Errorf("%s: size %d, want %d", f.Path, f.Size, len(data))
		}
		if want := "sha256:" + sha256Hex(data); f.SHA256 != want {
			t.Errorf("%s: sha256 %s, want %s", f.Path, f.SHA256, want)
		}
		if f.MediaType != wantMedia[f.Path] {
			t.Errorf("%s: mediaType %q, want %q", f.Path, f.MediaType, wantMedia[f.Path])
		}
	}
	// The result must satisfy the reader's own rules.
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.ParseManifest(b); err != nil {
		t.Fatalf("ParseManifest rejects NewManifest's output: %v", err)
	}
}

func TestNewManifestEmptyMarshalsEmptyList(t *testing.T) {
	b, err := schema.NewManifest(nil).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"schemaVersion\": \"1.0.0\",\n  \"files\": []\n}\n"
	if string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
}

// §2: serialized as json.MarshalIndent(m, "", "  ") followed by one newline.
// The expected bytes are written out by hand from the spec's example shape.
func TestManifestMarshalExactBytes(t *testing.T) {
	files := map[string][]byte{
		"recipe.yaml": []byte("a: 1\n"),
		"x.bin":       []byte("raw"),
	}
	b, err := schema.NewManifest(files).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "schemaVersion": "1.0.0",
  "files": [
    {
      "path": "recipe.yaml",
      "size": 5,
      "sha256": "sha256:` + sha256Hex([]byte("a: 1\n")) + `",
      "mediaType": "application/yaml"
    },
    {
      "path": "x.bin",
      "size": 3,
      "sha256": "sha256:` + sha256Hex([]byte("raw")) + `"
    }
  ]
}
`
	if string(b) != want {
		t.Fatalf("Marshal:\n%s\nwant:\n%s", b, want)
	}
	if strings.Count(string(b), "\n") != strings.Count(want, "\n") || !strings.HasSuffix(string(b), "}\n") || strings.HasSuffix(string(b), "\n\n") {
		t.Fatal("Marshal must end with exactly one newline")
	}
}

// validManifestJSON returns a valid manifest document with two files.
func validManifestJSON(t *testing.T, mutate func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{
		"schemaVersion": "1.0.0",
		"files": []any{
			map[string]any{"path": "bom.cdx.json", "size": 3, "sha256": "sha256:" + sha256Hex([]byte("bom"))},
			map[string]any{"path": "recipe.yaml", "size": 6, "sha256": "sha256:" + sha256Hex([]byte("recipe")), "mediaType": "application/yaml"},
		},
	}
	if mutate != nil {
		mutate(m)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func fileAt(m map[string]any, i int) map[string]any {
	return m["files"].([]any)[i].(map[string]any)
}

func TestParseManifestAccepts(t *testing.T) {
	for _, v := range []string{"1.0", "1.0.0", "1.0.7", "1.0.12"} {
		b := validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = v })
		m, err := schema.ParseManifest(b)
		if err != nil {
			t.Errorf("schemaVersion %q: %v", v, err)
			continue
		}
		if m.SchemaVersion != v || len(m.Files) != 2 || m.Files[1].Path != "recipe.yaml" || m.Files[1].Size != 6 ||
			m.Files[1].SHA256 != "sha256:"+sha256Hex([]byte("recipe")) || m.Files[1].MediaType != "application/yaml" {
			t.Errorf("schemaVersion %q: decoded %+v", v, m)
		}
	}
	// Unknown fields are tolerated (readers do not rely on mediaType either).
	b := validManifestJSON(t, func(m map[string]any) { fileAt(m, 0)["mediaType"] = "whatever/else"; m["comment"] = "x" })
	if _, err := schema.ParseManifest(b); err != nil {
		t.Errorf("unknown field / odd mediaType: %v", err)
	}
	// The spec's own shipped example manifest parses.
	ex := exampleFiles(t, "h100-eks-ubuntu-training")
	if _, err := schema.ParseManifest(ex[schema.FileManifest]); err != nil {
		t.Errorf("example manifest.json: %v", err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	other := "sha256:" + sha256Hex([]byte("other"))
	tests := []struct {
		name    string
		doc     []byte
		wantSub string // a fragment the message must carry
		version bool   // errors.Is(err, ErrUnsupportedVersion)
	}{
		{name: "unsorted", doc: validManifestJSON(t, func(m map[string]any) {
			f := m["files"].([]any)
			f[0], f[1] = f[1], f[0]
		}), wantSub: "sorted"},
		{name: "unsorted by bytes, not case-insensitively", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 1)["path"] = "Recipe.yaml" // 'R' < 'b': must come first
		}), wantSub: "sorted"},
		{name: "duplicate", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 1)["path"] = "bom.cdx.json"
		}), wantSub: "bom.cdx.json"},
		{name: "sha256 without prefix", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["sha256"] = sha256Hex([]byte("bom"))
		}), wantSub: "sha256"},
		{name: "sha256 uppercase", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["sha256"] = "sha256:" + strings.ToUpper(sha256Hex([]byte("bom")))
		}), wantSub: "sha256"},
		{name: "sha256 short", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["sha256"] = other[:len(other)-1]
		}), wantSub: "sha256"},
		{name: "sha256 long", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["sha256"] = other + "0"
		}), wantSub: "sha256"},
		{name: "sha512 prefix", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["sha256"] = "sha512:" + sha256Hex([]byte("bom"))
		}), wantSub: "sha256"},
		{name: "sha256 non-hex", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["sha256"] = "sha256:" + strings.Repeat("g", 64)
		}), wantSub: "sha256"},
		{name: "sha256 missing", doc: validManifestJSON(t, func(m map[string]any) {
			delete(fileAt(m, 0), "sha256")
		}), wantSub: "sha256"},
		{name: "negative size", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["size"] = -1
		}), wantSub: "negative"},
		{name: "empty path", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["path"] = ""
		}), wantSub: "empty path"},
		{name: "lists manifest.json", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 1)["path"] = "manifest.json"
		}), wantSub: "manifest.json"},
		{name: "lists statement.intoto.json", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 1)["path"] = "statement.intoto.json"
		}), wantSub: "statement.intoto.json"},
		{name: "lists attestation.intoto.jsonl", doc: validManifestJSON(t, func(m map[string]any) {
			fileAt(m, 0)["path"] = "attestation.intoto.jsonl"
		}), wantSub: "attestation.intoto.jsonl"},
		{name: "schemaVersion 1.1", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "1.1" }), wantSub: "1.1", version: true},
		{name: "schemaVersion 1.1.0", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "1.1.0" }), wantSub: "1.1.0", version: true},
		{name: "schemaVersion 2.0", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "2.0" }), wantSub: "2.0", version: true},
		{name: "schemaVersion 2.0.0", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "2.0.0" }), wantSub: "2.0.0", version: true},
		{name: "schemaVersion 0.9", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "0.9" }), wantSub: "0.9", version: true},
		{name: "schemaVersion garbage", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "garbage" }), wantSub: "garbage"},
		{name: "schemaVersion 1", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "1" }), wantSub: `"1"`},
		{name: "schemaVersion 1.0.0.0", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "1.0.0.0" }), wantSub: "1.0.0.0"},
		{name: "schemaVersion 01.0", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "01.0" }), wantSub: "01.0"},
		{name: "schemaVersion 1.0.0-rc1", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = "1.0.0-rc1" }), wantSub: "1.0.0-rc1"},
		{name: "schemaVersion missing", doc: validManifestJSON(t, func(m map[string]any) { delete(m, "schemaVersion") }), wantSub: "schemaVersion"},
		{name: "schemaVersion not a string", doc: validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = 1.0 })},
		{name: "trailing object", doc: append(validManifestJSON(t, nil), []byte("{}")...), wantSub: "trailing"},
		{name: "trailing garbage", doc: append(validManifestJSON(t, nil), []byte("x")...)},
		{name: "not JSON", doc: []byte("files: []\n")},
		{name: "empty", doc: nil},
		{name: "files not a list", doc: []byte(`{"schemaVersion":"1.0.0","files":{}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := schema.ParseManifest(tt.doc)
			if err == nil {
				t.Fatalf("accepted %s: %+v", tt.doc, m)
			}
			if tt.wantSub != "" && !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("error %q does not mention %q", err, tt.wantSub)
			}
			if tt.version && !errors.Is(err, schema.ErrUnsupportedVersion) {
				t.Errorf("error %q is not ErrUnsupportedVersion", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// §2/§9: "1.0" or "1.0.x" only; anything else is rejected. A version number
// is digits: a sign is not part of MAJOR.MINOR.PATCH.
func TestParseManifestRejectsSignedVersionNumbers(t *testing.T) {
	for _, v := range []string{"+1.0", "1.+0", "1.0.+5", "+1.0.0"} {
		b := validManifestJSON(t, func(m map[string]any) { m["schemaVersion"] = v })
		if _, err := schema.ParseManifest(b); err == nil {
			t.Errorf("schemaVersion %q accepted; the spec accepts only 1.0 and 1.0.x", v)
		}
	}
}

func TestIsSHA256Prefixed(t *testing.T) {
	good := "sha256:" + sha256Hex(nil)
	if !schema.IsSHA256Prefixed(good) {
		t.Errorf("%s rejected", good)
	}
	for _, bad := range []string{"", "sha256:", sha256Hex(nil), "SHA256:" + sha256Hex(nil), "sha256:" + strings.ToUpper(sha256Hex(nil)), good + " ", " " + good} {
		if schema.IsSHA256Prefixed(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := schema.SHA256Prefixed([]byte("abc")); got != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		// FIPS 180-2 test vector for "abc".
		t.Errorf("SHA256Prefixed(abc) = %s", got)
	}
}
