package verify_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

const (
	h100 = "h100-eks-ubuntu-training"
	h200 = "h200-oke-ubuntu-inference"
)

var (
	inspector   *verify.Inspector
	bundleMTime = time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	// The checks of format v1 §7, in the order they run.
	pipelineName = []string{
		verify.CheckArchive, verify.CheckSignature, verify.CheckIdentity, verify.CheckStatement,
		verify.CheckSubject, verify.CheckSchema, verify.CheckManifest, verify.CheckCTRF,
		verify.CheckBOM, verify.CheckFingerprint, verify.CheckFreshness,
	}
)

func TestMain(m *testing.M) {
	var err error
	inspector, err = verify.NewInspector()
	if err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func exampleBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", name, "evidence-bundle.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unpack reads a bundle into a path → bytes map.
func unpack(t *testing.T, bundle []byte) map[string][]byte {
	t.Helper()
	c, err := archive.Read(context.Background(), bytes.NewReader(bundle), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range c.Files() {
		if f.Content == nil {
			t.Fatalf("%s was not kept in memory", f.Path)
		}
		out[f.Path] = bytes.Clone(f.Content)
	}
	return out
}

// pack writes files as a bundle, the way the emitter does.
func pack(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var entries []archive.Entry
	for p, b := range files {
		entries = append(entries, archive.Entry{Path: p, Data: b})
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, entries, bundleMTime); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var exampleCache = map[string]map[string][]byte{}

// exampleFiles unpacks a shipped example (once); the caller owns the copy.
func exampleFiles(t *testing.T, name string) map[string][]byte {
	t.Helper()
	files, ok := exampleCache[name]
	if !ok {
		files = unpack(t, exampleBytes(t, name))
		exampleCache[name] = files
	}
	out := make(map[string][]byte, len(files))
	for p, b := range files {
		out[p] = bytes.Clone(b)
	}
	return out
}

func inspect(t *testing.T, r io.Reader) *verify.Result {
	t.Helper()
	res := inspector.Inspect(context.Background(), r, verify.Options{Name: "test-bundle"})
	if res == nil {
		t.Fatal("Inspect returned nil")
	}
	return res
}

// payloadOf decodes the Statement of the attestation's DSSE envelope.
func payloadOf(t *testing.T, att []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(att, &doc); err != nil {
		t.Fatal(err)
	}
	env := doc["dsseEnvelope"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// editStatement rewrites the Statement inside attestation.intoto.jsonl (the
// DSSE payload). The signature no longer matches, which inspect does not check;
// every other check must still catch what was changed.
func editStatement(t *testing.T, files map[string][]byte, edit func(st map[string]any)) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(files[schema.FileAttestation], &doc); err != nil {
		t.Fatal(err)
	}
	st := payloadOf(t, files[schema.FileAttestation])
	edit(st)
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	doc["dsseEnvelope"].(map[string]any)["payload"] = base64.StdEncoding.EncodeToString(raw)
	att, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	files[schema.FileAttestation] = append(att, '\n')
}

// editUnsignedStatement drops the attestation and rewrites statement.intoto.json.
func editUnsignedStatement(t *testing.T, files map[string][]byte, edit func(st map[string]any)) {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(files[schema.FileStatement], &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	delete(files, schema.FileAttestation)
	files[schema.FileStatement] = append(raw, '\n')
}

func predicateOf(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }

// assertResult checks the verdict and the name of the first failing check, and
// the invariants every result has: the checks of the pipeline in order, each
// once, and a verdict that is the worst of the checks.
func assertResult(t *testing.T, res *verify.Result, verdict verify.Verdict, firstFailure string) {
	t.Helper()
	if res.Verdict != verdict {
		t.Errorf("verdict %q, want %q (summary: %s)", res.Verdict, verdict, res.Summary)
	}
	c, failed := res.FirstFailure()
	switch {
	case firstFailure == "" && failed:
		t.Errorf("check %q failed: %s", c.Name, c.Detail)
	case firstFailure != "" && !failed:
		t.Errorf("no check failed, want %q to fail", firstFailure)
	case firstFailure != "" && c.Name != firstFailure:
		t.Errorf("first failing check %q (%s), want %q", c.Name, c.Detail, firstFailure)
	}
	var names []string
	for _, c := range res.Checks {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != strings.Join(pipelineName, ",") {
		t.Errorf("checks %v, want %v", names, pipelineName)
	}
	for _, name := range []string{verify.CheckSignature, verify.CheckIdentity} {
		if c, _ := res.Check(name); c.Status != verify.StatusSkipped {
			t.Errorf("inspect reports %s as %q, want skipped", name, c.Status)
		}
	}
	if verdict != verify.VerdictPassed && res.Summary == "" {
		t.Error("a failed result has no summary")
	}
}

// Both shipped examples are well formed: every check inspect runs passes,
// except that h200's evidence records a failed performance test, which makes
// it "failing" (§7) through the ctrf check alone, never "invalid".
func TestInspectShippedExamples(t *testing.T) {
	for _, tc := range []struct {
		name    string
		verdict verify.Verdict
		failing string
	}{
		{h100, verify.VerdictPassed, ""},
		{h200, verify.VerdictFailing, verify.CheckCTRF},
	} {
		name := tc.name
		t.Run(name, func(t *testing.T) {
			res := inspect(t, bytes.NewReader(exampleBytes(t, name)))
			assertResult(t, res, tc.verdict, tc.failing)
			for _, c := range res.Checks {
				want := verify.StatusPassed
				switch c.Name {
				case verify.CheckSignature, verify.CheckIdentity:
					want = verify.StatusSkipped
				case tc.failing:
					want = verify.StatusFailed
					if c.Verdict != verify.VerdictFailing || !strings.Contains(c.Detail, "performance") {
						t.Errorf("check %s: verdict %s detail %q, want failing naming the performance phase", c.Name, c.Verdict, c.Detail)
					}
				}
				if c.Status != want {
					t.Errorf("check %s: %s (%s), want %s", c.Name, c.Status, c.Detail, want)
				}
			}
			if res.Mode != "inspect" || res.Bundle != "test-bundle" {
				t.Errorf("mode %q bundle %q", res.Mode, res.Bundle)
			}
			files := exampleFiles(t, name)
			if res.Recipe == nil || res.Recipe.Name != name {
				t.Errorf("recipe %+v, want name %s", res.Recipe, name)
			} else if want := strings.TrimPrefix(schema.SHA256Prefixed(files[schema.FileRecipe]), "sha256:"); res.Recipe.Digest != want {
				t.Errorf("recipe digest %s, want sha256(recipe.yaml) %s", res.Recipe.Digest, want)
			}
			if res.Predicate == nil || res.Predicate.Source != verify.SourceAttestation || res.Predicate.Type != schema.PredicateTypeV1 {
				t.Errorf("predicate info %+v", res.Predicate)
			}
			st := payloadOf(t, files[schema.FileAttestation])
			wantAt, _ := time.Parse(time.RFC3339, predicateOf(st)["attestedAt"].(string))
			if res.AttestedAt == nil || !res.AttestedAt.Equal(wantAt) {
				t.Errorf("attestedAt %v, want %v", res.AttestedAt, wantAt)
			}
			// Phases as the predicate states them, in run order.
			phases := predicateOf(st)["phases"].(map[string]any)
			if len(res.Phases) != len(phases) {
				t.Fatalf("phases %+v, predicate has %d", res.Phases, len(phases))
			}
			for i, p := range res.Phases {
				if i > 0 && indexOf(schema.Phases(), p.Phase) < indexOf(schema.Phases(), res.Phases[i-1].Phase) {
					t.Errorf("phases not in run order: %+v", res.Phases)
				}
				want := phases[p.Phase].(map[string]any)
				if float64(p.Passed) != want["passed"] || float64(p.Failed) != want["failed"] || float64(p.Skipped) != want["skipped"] ||
					float64(p.Pending) != want["pending"] || float64(p.Other) != want["other"] {
					t.Errorf("phase %s: %+v, predicate %v", p.Phase, p, want)
				}
			}
			if res.Archive == nil || res.Archive.Files != len(files) || res.Archive.CompressedBytes != int64(len(exampleBytes(t, name))) {
				t.Errorf("archive info %+v", res.Archive)
			}
		})
	}
	// The h200 example records a failed performance test; inspect reports it
	// as the predicate states it.
	res := inspect(t, bytes.NewReader(exampleBytes(t, h200)))
	failed := 0
	for _, p := range res.Phases {
		failed += p.Failed
	}
	if failed == 0 {
		t.Errorf("h200 phases %+v show no failed test", res.Phases)
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// flip changes one byte in the middle of b.
func flip(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)/2] ^= 0x01
	return out
}

func TestInspectTamperCorpus(t *testing.T) {
	h200Recipe := exampleFiles(t, h200)[schema.FileRecipe]
	h200Digest := strings.TrimPrefix(schema.SHA256Prefixed(h200Recipe), "sha256:")

	tests := []struct {
		name   string
		tamper func(t *testing.T, files map[string][]byte)
		want   string // first failing check
		detail string // fragment of that check's detail
	}{
		{name: "flip recipe.yaml", tamper: func(t *testing.T, f map[string][]byte) { f["recipe.yaml"] = flip(f["recipe.yaml"]) }, want: verify.CheckSubject},
		{name: "flip snapshot.yaml", tamper: func(t *testing.T, f map[string][]byte) { f["snapshot.yaml"] = flip(f["snapshot.yaml"]) }, want: verify.CheckManifest, detail: "snapshot.yaml"},
		{name: "flip bom.cdx.json", tamper: func(t *testing.T, f map[string][]byte) { f["bom.cdx.json"] = flip(f["bom.cdx.json"]) }, want: verify.CheckManifest, detail: "bom.cdx.json"},
		{name: "flip ctrf/deployment.json", tamper: func(t *testing.T, f map[string][]byte) {
			f["ctrf/deployment.json"] = flip(f["ctrf/deployment.json"])
		}, want: verify.CheckManifest, detail: "ctrf/deployment.json"},
		{name: "flip ctrf/performance.json", tamper: func(t *testing.T, f map[string][]byte) {
			f["ctrf/performance.json"] = flip(f["ctrf/performance.json"])
		}, want: verify.CheckManifest, detail: "ctrf/performance.json"},
		{name: "flip ctrf/conformance.json", tamper: func(t *testing.T, f map[string][]byte) {
			f["ctrf/conformance.json"] = flip(f["ctrf/conformance.json"])
		}, want: verify.CheckManifest, detail: "ctrf/conformance.json"},
		{name: "append to ctrf/performance.json", tamper: func(t *testing.T, f map[string][]byte) {
			f["ctrf/performance.json"] = append(f["ctrf/performance.json"], ' ')
		}, want: verify.CheckManifest, detail: "ctrf/performance.json"},
		{name: "flip manifest.json", tamper: func(t *testing.T, f map[string][]byte) { f["manifest.json"] = flip(f["manifest.json"]) }, want: verify.CheckManifest, detail: "manifest.json"},
		{name: "reformat manifest.json", tamper: func(t *testing.T, f map[string][]byte) {
			var buf bytes.Buffer
			if err := json.Compact(&buf, f["manifest.json"]); err != nil {
				t.Fatal(err)
			}
			f["manifest.json"] = buf.Bytes()
		}, want: verify.CheckManifest, detail: "predicate.manifest.digest"},
		{name: "extra unlisted file", tamper: func(t *testing.T, f map[string][]byte) { f["logs/extra.log"] = []byte("hi\n") }, want: verify.CheckManifest, detail: "logs/extra.log"},
		{name: "extra unlisted ctrf file", tamper: func(t *testing.T, f map[string][]byte) { f["ctrf/smoke.json"] = []byte("{}") }, want: verify.CheckManifest, detail: "ctrf/smoke.json"},
		{name: "missing snapshot.yaml", tamper: func(t *testing.T, f map[string][]byte) { delete(f, "snapshot.yaml") }, want: verify.CheckManifest, detail: "snapshot.yaml"},
		{name: "missing ctrf/conformance.json", tamper: func(t *testing.T, f map[string][]byte) { delete(f, "ctrf/conformance.json") }, want: verify.CheckManifest, detail: "ctrf/conformance.json"},
		{name: "missing bom.cdx.json", tamper: func(t *testing.T, f map[string][]byte) { delete(f, "bom.cdx.json") }, want: verify.CheckManifest, detail: "bom.cdx.json"},
		{name: "missing manifest.json", tamper: func(t *testing.T, f map[string][]byte) { delete(f, "manifest.json") }, want: verify.CheckManifest, detail: "manifest.json"},
		{name: "missing recipe.yaml", tamper: func(t *testing.T, f map[string][]byte) { delete(f, "recipe.yaml") }, want: verify.CheckSubject, detail: "recipe.yaml"},
		{name: "recipe.yaml with a comment (equivalent, not canonical)", tamper: func(t *testing.T, f map[string][]byte) {
			f["recipe.yaml"] = append([]byte("# same recipe\n"), f["recipe.yaml"]...)
		}, want: verify.CheckSubject, detail: "canonical"},
		{name: "recipe.yaml with keys reordered (equivalent, not canonical)", tamper: func(t *testing.T, f map[string][]byte) {
			f["recipe.yaml"] = reorder(t, f["recipe.yaml"])
		}, want: verify.CheckSubject, detail: "canonical"},
		{name: "recipe.yaml with an explicit document start (equivalent, not canonical)", tamper: func(t *testing.T, f map[string][]byte) {
			f["recipe.yaml"] = append([]byte("---\n"), f["recipe.yaml"]...)
		}, want: verify.CheckSubject, detail: "canonical"},
		{name: "recipe.yaml of another recipe", tamper: func(t *testing.T, f map[string][]byte) { f["recipe.yaml"] = h200Recipe }, want: verify.CheckSubject, detail: "subject digest"},
		{name: "manifest rewritten to match an edited snapshot", tamper: func(t *testing.T, f map[string][]byte) {
			f["snapshot.yaml"] = append(f["snapshot.yaml"], []byte("# edited\n")...)
			b, err := schema.NewManifest(f).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			f["manifest.json"] = b
		}, want: verify.CheckManifest, detail: "predicate.manifest.digest"},
		{name: "Statement _type v0.1", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" })
		}, want: verify.CheckStatement, detail: "v0.1"},
		{name: "Statement without _type", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { delete(st, "_type") })
		}, want: verify.CheckStatement, detail: "_type"},
		{name: "unknown predicateType", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { st["predicateType"] = "https://slsa.dev/provenance/v1" })
		}, want: verify.CheckStatement, detail: "https://slsa.dev/provenance/v1"},
		{name: "DSSE payloadType not in-toto", tamper: func(t *testing.T, f map[string][]byte) {
			var doc map[string]any
			_ = json.Unmarshal(f[schema.FileAttestation], &doc)
			doc["dsseEnvelope"].(map[string]any)["payloadType"] = "text/plain"
			f[schema.FileAttestation], _ = json.Marshal(doc)
		}, want: verify.CheckStatement, detail: "payloadType"},
		{name: "attestation not a Sigstore bundle", tamper: func(t *testing.T, f map[string][]byte) {
			f[schema.FileAttestation] = []byte("not json\n")
		}, want: verify.CheckStatement},
		{name: "predicate schemaVersion 2.0.0", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["schemaVersion"] = "2.0.0" })
		}, want: verify.CheckSchema, detail: "2.0.0"},
		{name: "predicate without schemaVersion", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { delete(predicateOf(st), "schemaVersion") })
		}, want: verify.CheckSchema, detail: "schemaVersion"},
		{name: "predicate schema violation (bom.version 1.5)", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["bom"].(map[string]any)["version"] = "1.5" })
		}, want: verify.CheckSchema, detail: "/bom/version"},
		{name: "predicate schema violation (negative count)", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				predicateOf(st)["phases"].(map[string]any)["deployment"].(map[string]any)["failed"] = -1
			})
		}, want: verify.CheckSchema, detail: "/phases/deployment/failed"},
		{name: "attestedAt on a day that does not exist", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["attestedAt"] = "2026-02-30T09:58:00Z" })
		}, want: verify.CheckSchema, detail: "attestedAt"},
		{name: "validatorImages not sorted", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				imgs := predicateOf(st)["validatorImages"].([]any)
				imgs[0], imgs[len(imgs)-1] = imgs[len(imgs)-1], imgs[0]
			})
		}, want: verify.CheckSchema, detail: "validatorImages"},
		{name: "predicate recipe.name differs from subject", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["recipe"].(map[string]any)["name"] = "another-recipe" })
		}, want: verify.CheckSchema, detail: "recipe.name"},
		{name: "predicate recipe.digest differs from subject", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["recipe"].(map[string]any)["digest"] = h200Digest })
		}, want: verify.CheckSchema, detail: "recipe.digest"},
		{name: "subject digest of another recipe", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				st["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha256": h200Digest}
				predicateOf(st)["recipe"].(map[string]any)["digest"] = h200Digest
			})
		}, want: verify.CheckSubject, detail: "subject digest"},
		{name: "two subjects", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				s := st["subject"].([]any)
				st["subject"] = append(s, map[string]any{"name": "recipe:other", "digest": map[string]any{"sha256": h200Digest}})
			})
		}, want: verify.CheckSubject, detail: "2 subjects"},
		{name: "manifest fileCount wrong", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["manifest"].(map[string]any)["fileCount"] = 7 })
		}, want: verify.CheckManifest, detail: "fileCount"},
		{name: "no attestation and no statement", tamper: func(t *testing.T, f map[string][]byte) {
			delete(f, schema.FileAttestation)
			delete(f, schema.FileStatement)
		}, want: verify.CheckStatement, detail: "neither"},
		{name: "unsigned statement _type v0.1", tamper: func(t *testing.T, f map[string][]byte) {
			editUnsignedStatement(t, f, func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" })
		}, want: verify.CheckStatement, detail: "v0.1"},
		{name: "unsigned statement with unknown predicateType", tamper: func(t *testing.T, f map[string][]byte) {
			editUnsignedStatement(t, f, func(st map[string]any) { st["predicateType"] = "https://aicr.run/recipe-evidence/v4" })
		}, want: verify.CheckStatement, detail: "recipe-evidence/v4"},
		// AICR's v2 type is known (format §11), but a predicate of this
		// format's shape is not AICR's v2 predicate (no imageCount, no profile).
		{name: "unsigned statement relabelled as AICR's v2", tamper: func(t *testing.T, f map[string][]byte) {
			editUnsignedStatement(t, f, func(st map[string]any) { st["predicateType"] = "https://aicr.run/recipe-evidence/v2" })
		}, want: verify.CheckSchema, detail: "imageCount"},
		{name: "unsigned statement with predicate schemaVersion 2.0.0", tamper: func(t *testing.T, f map[string][]byte) {
			editUnsignedStatement(t, f, func(st map[string]any) { predicateOf(st)["schemaVersion"] = "2.0.0" })
		}, want: verify.CheckSchema, detail: "2.0.0"},
		// The evidence checks of §7 (8–10): the manifest is consistent, the
		// predicate's claims are not.
		{name: "CTRF summary hides a failed test", tamper: func(t *testing.T, f map[string][]byte) {
			f["ctrf/deployment.json"] = setCTRFStatus(t, f["ctrf/deployment.json"], 0, "failed", false)
			editStatement(t, f, func(st map[string]any) {
				phase(st, "deployment")["ctrfDigest"] = schema.SHA256Prefixed(f["ctrf/deployment.json"])
			})
			reseal(t, f)
		}, want: verify.CheckCTRF, detail: "ctrf/deployment.json"},
		{name: "predicate counts differ from the CTRF report", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { phase(st, "deployment")["passed"] = 3 })
		}, want: verify.CheckCTRF, detail: "deployment"},
		{name: "predicate hides a failure the CTRF report shows", tamper: func(t *testing.T, f map[string][]byte) {
			f["ctrf/deployment.json"] = setCTRFStatus(t, f["ctrf/deployment.json"], 0, "failed", true)
			editStatement(t, f, func(st map[string]any) {
				phase(st, "deployment")["ctrfDigest"] = schema.SHA256Prefixed(f["ctrf/deployment.json"])
			})
			reseal(t, f)
		}, want: verify.CheckCTRF, detail: "deployment"},
		{name: "ctrfDigest of another report", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				phase(st, "deployment")["ctrfDigest"] = schema.SHA256Prefixed(f["ctrf/conformance.json"])
			})
		}, want: verify.CheckCTRF, detail: "ctrf/deployment.json"},
		{name: "CTRF report not in the predicate's phases", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { delete(predicateOf(st)["phases"].(map[string]any), "conformance") })
		}, want: verify.CheckCTRF, detail: "conformance"},
		{name: "predicate phase without its CTRF report", tamper: func(t *testing.T, f map[string][]byte) {
			delete(f, "ctrf/conformance.json")
			reseal(t, f)
		}, want: verify.CheckCTRF, detail: "conformance"},
		{name: "bom componentCount wrong", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) { predicateOf(st)["bom"].(map[string]any)["componentCount"] = 4 })
		}, want: verify.CheckBOM, detail: "componentCount"},
		{name: "bom digest wrong", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				predicateOf(st)["bom"].(map[string]any)["digest"] = schema.SHA256Prefixed([]byte("another bom"))
			})
		}, want: verify.CheckBOM, detail: "bom.digest"},
		{name: "fingerprint claims another region", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				predicateOf(st)["fingerprint"].(map[string]any)["region"].(map[string]any)["value"] = "eu-west-1"
			})
		}, want: verify.CheckFingerprint, detail: "region"},
		{name: "fingerprint claims another accelerator", tamper: func(t *testing.T, f map[string][]byte) {
			editStatement(t, f, func(st map[string]any) {
				predicateOf(st)["fingerprint"].(map[string]any)["accelerator"].(map[string]any)["value"] = "b200"
			})
		}, want: verify.CheckFingerprint, detail: "accelerator"},
		{name: "snapshot edited, manifest and predicate resealed", tamper: func(t *testing.T, f map[string][]byte) {
			f["snapshot.yaml"] = bytes.Replace(f["snapshot.yaml"], []byte("us-west-2"), []byte("eu-west-1"), 1)
			reseal(t, f)
		}, want: verify.CheckFingerprint, detail: "region"},
		{name: "attestation wins over a tampered-with unsigned statement", tamper: func(t *testing.T, f map[string][]byte) {
			// The attestation is tampered with; statement.intoto.json is still good.
			editStatement(t, f, func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" })
		}, want: verify.CheckStatement, detail: "v0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := exampleFiles(t, h100)
			tt.tamper(t, files)
			res := inspect(t, bytes.NewReader(pack(t, files)))
			assertResult(t, res, verify.VerdictInvalid, tt.want)
			c, _ := res.FirstFailure()
			if c.Status != verify.StatusFailed || c.Verdict != verify.VerdictInvalid {
				t.Errorf("check %s: status %q verdict %q, want failed/invalid", c.Name, c.Status, c.Verdict)
			}
			if tt.detail != "" && !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("check %s detail %q does not mention %q", c.Name, c.Detail, tt.detail)
			}
			if strings.ContainsAny(c.Detail, "\n\r") {
				t.Errorf("detail spans lines: %q", c.Detail)
			}
			// The archive itself was fine.
			if a, _ := res.Check(verify.CheckArchive); a.Status != verify.StatusPassed {
				t.Errorf("archive check %s: %s", a.Status, a.Detail)
			}
		})
	}
}

func phase(st map[string]any, name string) map[string]any {
	return predicateOf(st)["phases"].(map[string]any)[name].(map[string]any)
}

// reseal rebuilds manifest.json from the files and puts its digest and count
// into the predicate, as a forger who can edit the Statement would.
func reseal(t *testing.T, files map[string][]byte) {
	t.Helper()
	delete(files, schema.FileManifest)
	m := schema.NewManifest(files)
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files[schema.FileManifest] = b
	editStatement(t, files, func(st map[string]any) {
		mf := predicateOf(st)["manifest"].(map[string]any)
		mf["digest"], mf["fileCount"] = schema.SHA256Prefixed(b), len(m.Files)
	})
}

// setCTRFStatus sets the status of test i; with fixSummary the summary is
// recomputed to agree (moving one count from passed to status).
func setCTRFStatus(t *testing.T, report []byte, i int, status string, fixSummary bool) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatal(err)
	}
	results := doc["results"].(map[string]any)
	test := results["tests"].([]any)[i].(map[string]any)
	if test["status"] != "passed" {
		t.Fatalf("test %d is %v, want passed", i, test["status"])
	}
	test["status"] = status
	if fixSummary {
		sum := results["summary"].(map[string]any)
		sum["passed"] = sum["passed"].(float64) - 1
		sum[status] = sum[status].(float64) + 1
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Evidence that honestly records a failed test is "failing", not "invalid":
// every integrity check passes and only the ctrf check says failing.
func TestInspectHonestFailureIsFailing(t *testing.T) {
	files := exampleFiles(t, h100)
	files["ctrf/deployment.json"] = setCTRFStatus(t, files["ctrf/deployment.json"], 1, "failed", true)
	editStatement(t, files, func(st map[string]any) {
		p := phase(st, "deployment")
		p["ctrfDigest"] = schema.SHA256Prefixed(files["ctrf/deployment.json"])
		p["passed"], p["failed"] = p["passed"].(float64)-1, 1
	})
	reseal(t, files)
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictFailing, verify.CheckCTRF)
	c, _ := res.Check(verify.CheckCTRF)
	if c.Verdict != verify.VerdictFailing || !strings.Contains(c.Detail, "gpu-operator-ready") {
		t.Errorf("ctrf check %+v, want failing naming the failed test", c)
	}
	for _, c := range res.Checks {
		if c.Name != verify.CheckCTRF && c.Status == verify.StatusFailed {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	// A pending or "other" outcome is not a pass either (§5).
	for _, status := range []string{"pending", "other"} {
		files := exampleFiles(t, h100)
		files["ctrf/deployment.json"] = setCTRFStatus(t, files["ctrf/deployment.json"], 0, status, true)
		editStatement(t, files, func(st map[string]any) {
			p := phase(st, "deployment")
			p["ctrfDigest"] = schema.SHA256Prefixed(files["ctrf/deployment.json"])
			p["passed"], p[status] = p["passed"].(float64)-1, 1
		})
		reseal(t, files)
		res := inspect(t, bytes.NewReader(pack(t, files)))
		assertResult(t, res, verify.VerdictFailing, verify.CheckCTRF)
	}
}

// A hard verdict is never downgraded: tampering plus an evidence failure is invalid.
func TestInspectInvalidOutranksFailing(t *testing.T) {
	files := exampleFiles(t, h200) // failing on its own
	files["logs/unlisted.log"] = []byte("x")
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictInvalid, verify.CheckManifest)
}

// reorder moves the first top-level key of the canonical recipe to the end:
// the same YAML mapping, not its canonical bytes (§3 sorts keys).
func reorder(t *testing.T, canonical []byte) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(canonical), "\n")
	second := -1
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" && lines[i][0] != ' ' && lines[i][0] != '-' {
			second = i
			break
		}
	}
	if second < 0 {
		t.Fatal("recipe has a single top-level key")
	}
	b := []byte(strings.Join(lines[second:], "") + strings.Join(lines[:second], ""))
	if bytes.Equal(b, canonical) {
		t.Fatal("reorder changed nothing")
	}
	c, err := schema.Canonical(b)
	if err != nil || !bytes.Equal(c.Bytes, canonical) {
		t.Fatalf("reordered recipe is not equivalent: %v", err)
	}
	return b
}

// statement.intoto.json is never trusted: tampering with it changes nothing
// while the attestation is present.
func TestInspectIgnoresUnsignedStatementWhenSigned(t *testing.T) {
	files := exampleFiles(t, h100)
	var st map[string]any
	if err := json.Unmarshal(files[schema.FileStatement], &st); err != nil {
		t.Fatal(err)
	}
	st["_type"] = "https://in-toto.io/Statement/v0.1"
	predicateOf(st)["schemaVersion"] = "9.0.0"
	files[schema.FileStatement], _ = json.Marshal(st)
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictPassed, "")
	if res.Predicate == nil || res.Predicate.Source != verify.SourceAttestation {
		t.Errorf("statement read from %+v, want the attestation", res.Predicate)
	}
}

// Without an attestation, inspect reads the unsigned Statement and says so.
func TestInspectUnsignedBundle(t *testing.T) {
	files := exampleFiles(t, h100)
	delete(files, schema.FileAttestation)
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictPassed, "")
	if res.Predicate == nil || res.Predicate.Source != verify.SourceUnsigned {
		t.Errorf("statement source %+v, want %q", res.Predicate, verify.SourceUnsigned)
	}
}

// The legacy predicate type of the original design is accepted on read (§4).
func TestInspectLegacyPredicateType(t *testing.T) {
	files := exampleFiles(t, h100)
	editStatement(t, files, func(st map[string]any) { st["predicateType"] = schema.PredicateTypeV1Legacy })
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictPassed, "")
	if res.Predicate == nil || res.Predicate.Type != schema.PredicateTypeV1Legacy {
		t.Errorf("predicate %+v", res.Predicate)
	}
}

// §5/§9: unknown predicate fields and a newer minor version never affect the verdict.
func TestInspectIgnoresUnknownPredicateFields(t *testing.T) {
	files := exampleFiles(t, h100)
	editStatement(t, files, func(st map[string]any) {
		p := predicateOf(st)
		p["schemaVersion"] = "1.4.0"
		p["futureField"] = map[string]any{"x": []any{1, 2}}
		p["bom"].(map[string]any)["generator"] = "syft"
		st["futureStatementField"] = true
	})
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictPassed, "")
}

// "Later checks still run after an integrity failure": a subject failure does
// not hide a manifest failure.
func TestInspectLaterChecksStillRun(t *testing.T) {
	files := exampleFiles(t, h100)
	files["recipe.yaml"] = flip(files["recipe.yaml"])
	files["logs/unlisted.log"] = []byte("x")
	res := inspect(t, bytes.NewReader(pack(t, files)))
	assertResult(t, res, verify.VerdictInvalid, verify.CheckSubject)
	if c, _ := res.Check(verify.CheckManifest); c.Status != verify.StatusFailed {
		t.Errorf("manifest check %s (%s), want failed", c.Status, c.Detail)
	}
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hostileTar is the example's files plus one extra header.
func hostileTar(t *testing.T, extra *tar.Header) []byte {
	t.Helper()
	files := exampleFiles(t, h100)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Size: int64(len(files[p])), Mode: 0o644, ModTime: bundleMTime}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[p]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(extra); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return gzipBytes(t, buf.Bytes())
}

func assertArchiveFailure(t *testing.T, res *verify.Result, status verify.Status, verdict verify.Verdict) {
	t.Helper()
	assertResult(t, res, verdict, verify.CheckArchive)
	a, _ := res.Check(verify.CheckArchive)
	if a.Status != status || a.Verdict != verdict {
		t.Errorf("archive check %s/%s (%s), want %s/%s", a.Status, a.Verdict, a.Detail, status, verdict)
	}
	for _, c := range res.Checks[1:] {
		if c.Status != verify.StatusSkipped {
			t.Errorf("check %s ran (%s) on an unreadable archive", c.Name, c.Status)
		}
	}
	if res.Recipe != nil || res.Predicate != nil {
		t.Errorf("result claims facts of an unreadable bundle: %+v %+v", res.Recipe, res.Predicate)
	}
}

func TestInspectHostileArchives(t *testing.T) {
	tests := []struct {
		name   string
		bundle func(t *testing.T) []byte
		detail string
	}{
		{name: "symlink entry", bundle: func(t *testing.T) []byte {
			return hostileTar(t, &tar.Header{Typeflag: tar.TypeSymlink, Name: "logs/passwd", Linkname: "/etc/passwd", Mode: 0o777})
		}, detail: "logs/passwd"},
		{name: "hard link entry", bundle: func(t *testing.T) []byte {
			return hostileTar(t, &tar.Header{Typeflag: tar.TypeLink, Name: "logs/copy", Linkname: "recipe.yaml"})
		}},
		{name: "FIFO entry", bundle: func(t *testing.T) []byte {
			return hostileTar(t, &tar.Header{Typeflag: tar.TypeFifo, Name: "logs/pipe"})
		}},
		{name: "path escapes the bundle", bundle: func(t *testing.T) []byte {
			return hostileTar(t, &tar.Header{Typeflag: tar.TypeReg, Name: "../evil.log"})
		}},
		{name: "absolute path", bundle: func(t *testing.T) []byte {
			return hostileTar(t, &tar.Header{Typeflag: tar.TypeReg, Name: "/tmp/evil.log"})
		}},
		{name: "case-fold duplicate", bundle: func(t *testing.T) []byte {
			return hostileTar(t, &tar.Header{Typeflag: tar.TypeReg, Name: "Recipe.yaml"})
		}},
		{name: "truncated gzip", bundle: func(t *testing.T) []byte {
			b := exampleBytes(t, h100)
			return b[:len(b)/2]
		}},
		{name: "gzip without its trailer", bundle: func(t *testing.T) []byte {
			b := exampleBytes(t, h100)
			return b[:len(b)-4]
		}},
		{name: "trailing garbage after the gzip member", bundle: func(t *testing.T) []byte {
			return append(exampleBytes(t, h100), []byte("garbage")...)
		}},
		{name: "second gzip member", bundle: func(t *testing.T) []byte {
			return append(exampleBytes(t, h100), gzipBytes(t, []byte("more"))...)
		}},
		{name: "not gzip", bundle: func(t *testing.T) []byte { return []byte("PK\x03\x04 a zip file") }},
		{name: "empty input", bundle: func(t *testing.T) []byte { return nil }},
		{name: "plain tar", bundle: func(t *testing.T) []byte {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "recipe.yaml", Size: 1})
			_, _ = tw.Write([]byte("a"))
			_ = tw.Close()
			return buf.Bytes()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := inspect(t, bytes.NewReader(tt.bundle(t)))
			assertArchiveFailure(t, res, verify.StatusFailed, verify.VerdictInvalid)
			if a, _ := res.Check(verify.CheckArchive); tt.detail != "" && !strings.Contains(a.Detail, tt.detail) {
				t.Errorf("archive detail %q does not mention %q", a.Detail, tt.detail)
			}
		})
	}
}

// failingReader yields n bytes of data, then an I/O error.
type failingReader struct {
	data []byte
	n    int
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	k := copy(p, r.data[:min(len(r.data), r.n, len(p))])
	r.data, r.n = r.data[k:], r.n-k
	return k, nil
}

// An I/O failure says nothing about the bundle: the verdict is error (could
// not decide), never invalid (§7).
func TestInspectIOErrorIsErrorNotInvalid(t *testing.T) {
	bundle := exampleBytes(t, h100)
	ioErr := errors.New("read /mnt/bundle: input/output error")
	for _, n := range []int{0, 10, len(bundle) / 2, len(bundle) - 1} {
		res := inspect(t, &failingReader{data: bundle, n: n, err: ioErr})
		assertArchiveFailure(t, res, verify.StatusError, verify.VerdictError)
		if a, _ := res.Check(verify.CheckArchive); !strings.Contains(a.Detail, "input/output error") {
			t.Errorf("after %d bytes: detail %q does not carry the cause", n, a.Detail)
		}
	}
}

func TestInspectCanceledContextIsError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := inspector.Inspect(ctx, bytes.NewReader(exampleBytes(t, h100)), verify.Options{})
	assertArchiveFailure(t, res, verify.StatusError, verify.VerdictError)
}

// Archive limits are applied (§1 reader limits): a tiny recipe.yaml cap makes
// the example invalid.
func TestInspectAppliesLimits(t *testing.T) {
	lim := archive.DefaultLimits()
	lim.Documents[archive.PathRecipe] = 100
	res := inspector.Inspect(context.Background(), bytes.NewReader(exampleBytes(t, h100)), verify.Options{Limits: lim})
	assertArchiveFailure(t, res, verify.StatusFailed, verify.VerdictInvalid)
}

func TestVerdictWorse(t *testing.T) {
	order := []verify.Verdict{verify.VerdictPassed, verify.VerdictFailing, verify.VerdictError, verify.VerdictInvalid}
	for i, a := range order {
		for j, b := range order {
			want := order[max(i, j)]
			if got := a.Worse(b); got != want {
				t.Errorf("%s.Worse(%s) = %s, want %s", a, b, got, want)
			}
		}
	}
	// An unknown verdict is treated as the worst, never as a pass.
	if got := verify.VerdictPassed.Worse("bogus"); got == verify.VerdictPassed {
		t.Errorf("Worse(bogus) = %s", got)
	}
}

func TestInputErrorIsErrorVerdict(t *testing.T) {
	res := verify.InputError("x.tar.gz", "inspect", errors.New("open x.tar.gz: no such file or directory"))
	if res.Verdict != verify.VerdictError {
		t.Errorf("verdict %s", res.Verdict)
	}
	c, ok := res.FirstFailure()
	if !ok || c.Name != verify.CheckArchive || c.Status != verify.StatusError || !strings.Contains(res.Summary, "no such file") {
		t.Errorf("first failure %+v, summary %q", c, res.Summary)
	}
}
