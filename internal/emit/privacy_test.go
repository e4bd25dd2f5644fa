package emit_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/verify"
)

// aicrCTRF is a deployment report shaped like AICR's validator output, with
// private data planted in every field CTRF allows: top-level, results, tool,
// summary and per-test extras, free text, retries, steps, parameters, paths,
// devices and attachments.
const aicrCTRF = `{
  "reportFormat": "CTRF", "specVersion": "0.0.0",
  "reportId": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
  "timestamp": "2026-11-20T09:40:00Z",
  "generatedBy": "aicr-validator on ip-10-0-77-5.us-west-2.compute.internal",
  "extra": {"cluster": "arn:aws:eks:us-west-2:111122223333:cluster/planted-top-extra"},
  "baseline": {"reportId": "baseline-planted-5f6e7d8c", "source": "s3://planted-baseline-bucket/run.json"},
  "results": {
    "tool": {"name": "aicr-validator", "version": "v0.18.0", "extra": {"host": "planted-tool-extra.corp.example"}},
    "summary": {"tests": 3, "passed": 2, "failed": 1, "skipped": 0, "pending": 0, "other": 0,
      "start": 1795168800000, "stop": 1795168808350, "extra": {"runner": "planted-summary-extra"}},
    "environment": {"appName": "planted-env-app", "buildUrl": "https://ci.planted.example/job/1", "osPlatform": "linux"},
    "extra": {"kubeconfig": "/home/planteduser/.kube/config"},
    "tests": [
      {"name": "operator-health", "status": "passed", "duration": 1200, "suite": ["deployment", "planted-suite-node-ip-10-0-9-9"],
       "filePath": "/home/alice/src/aicr/validators/deployment_test.go",
       "parameters": {"kubeconfig": "/home/alice/.kube/planted-kubeconfig", "token": "eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlcGxhbnRlZA"},
       "tags": ["planted-tag-corp"], "type": "planted-type", "rawStatus": "planted-raw-status",
       "browser": "planted-browser", "device": "GPU-8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
       "extra": {"nodeName": "ip-10-0-12-34.us-west-2.compute.internal"},
       "insights": {"extra": {"planted": "planted-insights-extra"}},
       "steps": [{"name": "connect https://A1B2C3D4E5F6A7B8C9D0.gr7.us-west-2.eks.amazonaws.com", "status": "passed", "extra": {"ip": "10.0.12.34"}}]},
      {"name": "gpu-operator-ready on ip-10-0-12-35.us-west-2.compute.internal", "status": "passed", "duration": 3100.5,
       "retryAttempts": [{"attempt": 1, "status": "failed", "message": "planted-retry-message dial tcp 172.20.0.1:443",
         "trace": "planted-retry-trace", "stdout": ["planted-retry-stdout"], "stderr": ["planted-retry-stderr"],
         "attachments": [{"name": "planted-attachment", "contentType": "text/plain", "path": "/home/alice/planted-attachment.log"}]}],
       "message": "planted-message", "trace": "planted-trace", "stdout": ["planted-stdout"], "stderr": ["planted-stderr"],
       "screenshot": "planted-screenshot", "attachments": [{"name": "planted-att2", "contentType": "text/plain", "path": "/tmp/x"}]},
      {"name": "nccl-allreduce owner bob.planted@example.com token ghp_PlantedToken0123456789abcdefghij", "status": "failed", "duration": 10,
       "message": "planted-failure-message on GPU-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}
    ]
  }
}
`

// plantedCTRF are the strings of aicrCTRF no minimal bundle may hold.
var plantedCTRF = []string{
	"3f2b1c4d", "ip-10-0-77-5", "111122223333", "planted-top-extra", "baseline-planted", "planted-baseline-bucket",
	"planted-tool-extra", "planted-summary-extra", "planted-env-app", "ci.planted.example", "planteduser",
	"planted-suite", "ip-10-0-9-9", "alice", "planted-kubeconfig", "eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ",
	"planted-tag-corp", "planted-type", "planted-raw-status", "planted-browser", "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
	"ip-10-0-12-34", "compute.internal", "planted-insights-extra", "A1B2C3D4E5F6A7B8C9D0", "eks.amazonaws.com", "10.0.12.34",
	"ip-10-0-12-35", "planted-retry", "172.20.0.1", "planted-attachment", "planted-message", "planted-trace",
	"planted-stdout", "planted-stderr", "planted-screenshot", "planted-att2", "bob.planted", "example.com",
	"ghp_PlantedToken", "planted-failure-message", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
}

// privacyCase is one emission of the corpus: the planted inputs and the
// strings that must not reach the bundle.
type privacyCase struct {
	service  string // criteria service of the recipe
	snapshot string // "" keeps the example's snapshot
	bom      string // "" keeps the example's BOM
	planted  []string
}

func privacyCorpus() map[string]privacyCase {
	return map[string]privacyCase{
		"eks-ctrf": {service: "eks", planted: plantedCTRF},
	}
}

// TestPrivacyCorpus emits each corpus case with --redact minimal (the
// default), unsigned, with --snapshot and --bom, decompresses the whole archive
// and searches every byte of it, and of every file in it, for every planted
// string; the fingerprint must still recompute from the published snapshot.
func TestPrivacyCorpus(t *testing.T) {
	for name, c := range privacyCorpus() {
		t.Run(name, func(t *testing.T) {
			in := copyInputs(t, h100Example)
			recipe := strings.Replace(string(readFile(t, in.recipe)), "service: eks", "service: "+c.service, 1)
			writeFile(t, in.recipe, []byte(recipe))
			writeFile(t, filepath.Join(in.results, "deployment.json"), []byte(aicrCTRF))
			if c.snapshot != "" {
				writeFile(t, in.snapshot, []byte(c.snapshot))
			}
			if c.bom != "" {
				writeFile(t, in.bom, []byte(c.bom))
			}
			// Control: the inputs hold every planted string.
			var all []byte
			for _, p := range []string{in.recipe, in.snapshot, in.bom, filepath.Join(in.results, "deployment.json")} {
				all = append(all, readFile(t, p)...)
			}
			for _, s := range c.planted {
				if !bytes.Contains(all, []byte(s)) {
					t.Fatalf("corpus: %q is planted nowhere", s)
				}
			}

			data, _ := mustEmit(t, in.args(outPath(t)), emit.Env{})
			tarBytes := rawTar(t, data)
			files := bundleFiles(t, data)
			for _, s := range c.planted {
				if bytes.Contains(tarBytes, []byte(s)) {
					t.Errorf("the decompressed bundle holds %q", s)
				}
				for path, b := range files {
					if bytes.Contains(b, []byte(s)) {
						t.Errorf("%s holds %q", path, s)
					}
				}
			}
			res := inspect(t, data)
			found := false
			for _, ch := range res.Checks {
				if ch.Name == verify.CheckFingerprint {
					found = true
					if ch.Status != verify.StatusPassed {
						t.Errorf("fingerprint check %s: %s", ch.Status, ch.Detail)
					}
				}
			}
			if !found {
				t.Errorf("no fingerprint check: %s", describe(res))
			}
		})
	}
}
