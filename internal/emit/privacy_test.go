package emit_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/testutil"
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

// privateBOM is a CycloneDX BOM as a cluster's image scanner writes it: a
// private registry purl with an account id, authors' e-mail, a cluster ARN
// property, tools run on a node, nested components and dependencies.
const privateBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "serialNumber":"urn:uuid:7d1c0a4e-2b3f-4c5d-9e8f-a1b2c3d4e5f6",
 "metadata":{"timestamp":"2026-11-20T09:50:00Z",
   "authors":[{"name":"Carol Planted","email":"carol.planted@corp.example"}],
   "tools":{"components":[{"type":"application","name":"syft","version":"1.0","description":"ran on ip-10-9-8-7.us-west-2.compute.internal"}]},
   "properties":[{"name":"aicr:cluster","value":"arn:aws:eks:us-west-2:777788889999:cluster/bom-planted"}]},
 "components":[
  {"type":"container","name":"trainer","version":"1.2.3","bom-ref":"bomref-planted",
   "purl":"pkg:oci/trainer@1.2.3?repository_url=777788889999.dkr.ecr.us-west-2.amazonaws.com%2Fteam-planted%2Ftrainer",
   "properties":[{"name":"builder","value":"dave.planted@corp.example"}],
   "components":[{"type":"library","name":"nested-bom-planted"}]},
  {"type":"container","name":"sidecar","version":"2.0","purl":"pkg:docker/registry.planted-corp.example%3A5000/ops/sidecar@2.0"},
  {"type":"application","name":"gpu-operator","version":"v25.10.1","purl":"pkg:helm/gpu-operator@v25.10.1?repository_url=https://helm.ngc.nvidia.com/nvidia"}],
 "dependencies":[{"ref":"bomref-planted"}]}`

// plantedBOM are the strings of privateBOM no minimal bundle may hold.
var plantedBOM = []string{"7d1c0a4e", "carol.planted", "Carol Planted", "ip-10-9-8-7", "777788889999", "bom-planted",
	"bomref-planted", "team-planted", "dave.planted", "nested-bom-planted", "registry.planted-corp.example", "dkr.ecr"}

// privacyCase is one emission of the corpus: the planted inputs and the
// strings that must not reach the bundle.
type privacyCase struct {
	service  string // criteria service of the recipe
	snapshot string // "" keeps the example's snapshot
	bom      string // "" keeps the example's BOM
	planted  []string
}

// clusterSnapshot is a raw snapshot of an H100 Ubuntu cluster of a managed
// service, as AICR or a cluster tool may write it: the fingerprint readings
// are clean, everything else of each allow-listed subtype holds private data
// (p fills in the service's own), in kebab, camel and snake case.
func clusterSnapshot(provider, region string, p map[string]string) string {
	r := strings.NewReplacer(
		"{PROVIDER}", provider, "{REGION}", region, "{HOST}", p["host"], "{CLUSTER}", p["cluster"],
		"{NODE}", p["node"], "{NODEIP}", p["nodeip"], "{PROVIDERID}", p["providerid"], "{SERIAL}", p["serial"],
		"{UUID}", p["uuid"], "{ACCOUNT}", p["account"])
	return r.Replace(`measurements:
  - type: K8s
    subtypes:
      - subtype: server
        data:
          version: v1.33.4
          platform: linux/amd64
          host: {HOST}
          cluster-arn: {CLUSTER}
          clusterName: {CLUSTER}
          account_id: {ACCOUNT}
      - subtype: node
        data:
          provider: {PROVIDER}
          provider-id: {PROVIDERID}
          source-node: {NODE}
          kubelet-version: v1.33.4
          kernel-version: 6.8.0-1035
          operating-system: linux
          os-image: Ubuntu 24.04.3 LTS
          container-runtime-name: containerd
          container-runtime-version: 2.0.5
          internalIP: {NODEIP}
  - type: OS
    subtypes:
      - subtype: release
        data:
          ID: ubuntu
          VERSION_ID: "24.04"
          PRETTY_NAME: Ubuntu 24.04.3 LTS built on {NODE} ({NODEIP})
          HOME_URL: https://{HOST}/home
  - type: GPU
    subtypes:
      - subtype: hardware
        data:
          model: NVIDIA H100 80GB HBM3
          count: 8
          driver: 580.159.04
          cuda-driver: "13.0"
          memory-bytes: 85520809984
          compute-capability: "9.0"
          architecture: hopper
          mig-mode: disabled
          gpuSerial: "{SERIAL}1"
          boardSerialNumber: "{SERIAL}2"
          gpuUUIDs: {UUID}
          pci-bus-id: 00000000:3B:00.0
          hostname: {NODE}
      - subtype: devices
        data:
          gpu0-uuid: {UUID}
          gpu0-serial: "{SERIAL}3"
  - type: NodeTopology
    subtypes:
      - subtype: summary
        data:
          node-count: 4
          gpu-node-count: 2
          gpu-products: NVIDIA-H100-80GB-HBM3
          regions: {REGION}
          instance-types: gpu-8x
          source-node: {NODE}
          hostname: {NODE}
          gpuUUIDs: {UUID}
          apiEndpoint: {HOST}
      - subtype: nodes
        data:
          {NODE}.internal-ips: {NODEIP},fd00:ec2::23
`)
}

// clusterCorpus is the private data of each managed service's snapshot.
func clusterCorpus() map[string]struct {
	region  string
	values  map[string]string
	planted []string
} {
	type c = struct {
		region  string
		values  map[string]string
		planted []string
	}
	return map[string]c{
		"eks": {"us-west-2", map[string]string{
			"host": "9F8E7D6C5B4A39281706ABCDEF012345.gr7.us-west-2.eks.amazonaws.com", "cluster": "arn:aws:eks:us-west-2:444455556666:cluster/eks-planted",
			"node": "ip-10-1-2-3.us-west-2.compute.internal", "nodeip": "10.1.2.3", "providerid": "aws:///us-west-2a/i-0fedcba9876543210",
			"serial": "165492209999", "uuid": "GPU-aaaabbbb-cccc-4ddd-8eee-ffff00001111", "account": "444455556666",
		}, []string{"9F8E7D6C5B4A", "444455556666", "eks-planted", "ip-10-1-2-3", "10.1.2.3", "i-0fedcba9876543210", "165492209999", "aaaabbbb", "fd00:ec2::23", "00000000:3B"}},
		"gke": {"us-central1", map[string]string{
			"host": "34.118.5.77", "cluster": "projects/planted-gcp-project/locations/us-central1/clusters/gke-planted",
			"node": "gke-planted-gpu-pool-5e6f7a8b-k2lm.c.planted-gcp-project.internal", "nodeip": "10.128.0.42",
			"providerid": "gce://planted-gcp-project/us-central1-a/gke-planted-gpu-pool-5e6f7a8b-k2lm",
			"serial":     "165492208888", "uuid": "GPU-12345678-abcd-4ef0-9abc-def012345678", "account": "planted-gcp-project",
		}, []string{"34.118.5.77", "planted-gcp-project", "gke-planted", "5e6f7a8b-k2lm", "10.128.0.42", "165492208888", "12345678-abcd", "fd00:ec2::23"}},
		"aks": {"eastus", map[string]string{
			"host": "aks-planted-dns-1a2b3c4d.hcp.eastus.azmk8s.io", "cluster": "/subscriptions/9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e/resourceGroups/planted-rg/providers/Microsoft.ContainerService/managedClusters/aks-planted",
			"node": "aks-gpupool-98765432-vmss000003", "nodeip": "10.224.0.5",
			"providerid": "azure:///subscriptions/9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e/resourceGroups/mc_planted-rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpupool-98765432-vmss/virtualMachines/3",
			"serial":     "165492207777", "uuid": "GPU-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "account": "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e",
		}, []string{"aks-planted", "azmk8s", "9b8c7d6e", "planted-rg", "98765432", "10.224.0.5", "165492207777", "0f1e2d3c", "fd00:ec2::23"}},
		"oke": {"us-ashburn-1", map[string]string{
			"host": "https://129.146.7.88:6443", "cluster": "ocid1.cluster.oc1.iad.aaaaaaaaplantedclusterocid",
			"node": "10.0.10.77", "nodeip": "10.0.10.77", "providerid": "ocid1.instance.oc1.iad.anuwcljplantedinstanceocid",
			"serial": "165492206666", "uuid": "GPU-fedcba98-7654-4321-8fed-cba987654321", "account": "ocid1.tenancy.oc1..aaaaaaaaplantedtenancy",
		}, []string{"129.146.7.88", "plantedclusterocid", "10.0.10.77", "plantedinstanceocid", "plantedtenancy", "165492206666", "fedcba98", "fd00:ec2::23"}},
	}
}

func privacyCorpus() map[string]privacyCase {
	out := map[string]privacyCase{}
	for svc, c := range clusterCorpus() {
		planted := append(append(c.planted, plantedCTRF...), plantedBOM...)
		out[svc] = privacyCase{service: svc, snapshot: clusterSnapshot(svc, c.region, c.values), bom: privateBOM, planted: planted}
	}
	return out
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
			// Every rule is recorded, sorted, and documented in the spec's redaction table.
			_, pred := predicateOf(t, files)
			if pred.Redaction == nil {
				t.Fatal("predicate.redaction is absent")
			}
			applied := pred.Redaction.Applied
			for _, want := range []string{"bom.allowlist", "bom.purl.private-registry", "ctrf.allowlist", "scrub:email",
				"scrub:host", "scrub:ip", "scrub:token", "snapshot.measurements.allowlist", "snapshot.nodes.drop"} {
				if !slices.Contains(applied, want) {
					t.Errorf("predicate.redaction.applied %v lacks %s", applied, want)
				}
			}
			if !slices.IsSorted(applied) {
				t.Errorf("predicate.redaction.applied %v is not sorted", applied)
			}
			spec := string(readFile(t, filepath.Join(testutil.RepoRoot(t), "docs", "bundle-format.md")))
			table := spec[strings.Index(spec, "**Redaction.**"):]
			table = table[:strings.Index(table, "\n## ")]
			for _, r := range applied {
				if !strings.Contains(table, "`"+r+"`") {
					t.Errorf("rule %s is not in the redaction table of docs/bundle-format.md", r)
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

			// Control: --redact full keeps today's behaviour, the inputs as given.
			full, _ := mustEmit(t, in.args(outPath(t), "--redact", "full"), emit.Env{})
			fullFiles := bundleFiles(t, full)
			if !bytes.Equal(fullFiles["bom.cdx.json"], []byte(c.bom)) || !bytes.Equal(fullFiles["ctrf/deployment.json"], []byte(aicrCTRF)) {
				t.Error("--redact full changed the BOM or the CTRF report")
			}
			if !bytes.Contains(fullFiles["snapshot.yaml"], []byte("gpuSerial")) {
				t.Error("--redact full minimised the snapshot")
			}
		})
	}
}
