package diff

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

// A small synthetic AICR overlay family (not upstream data):
//
//	base ← eks ← h100-eks-training      (spec.base chain; eks inherits base implicitly)
//	base ← monitoring                   (criteria intent: any → applies to every recipe)
//	base ← gke                          (criteria service: gke → applies to none of the eks ones)
//
// plus a resolved recipe (kind RecipeResult) and a values file.
var family = map[string]string{
	"recipes/overlays/base.yaml": `kind: RecipeMetadata
apiVersion: aicr.run/v1
metadata:
  name: base
spec:
  constraints:
    - name: K8s.server.version
      value: ">= 1.25"
  componentRefs:
    - name: cert-manager
      type: Helm
      version: v1.17.2
      valuesFile: components/cert-manager/values.yaml
    - name: gpu-operator
      type: Helm
      version: v25.10.1
      valuesFile: components/gpu-operator/values.yaml
      dependencyRefs: [cert-manager]
      overrides:
        driver:
          enabled: true
          version: "570"
  validation:
    deployment:
      checks: [operator-health]
`,
	"recipes/overlays/eks.yaml": `kind: RecipeMetadata
apiVersion: aicr.run/v1
metadata:
  name: eks
spec:
  criteria:
    service: eks
  constraints:
    - name: K8s.server.version
      value: ">= 1.28"
  componentRefs:
    - name: gpu-operator
      dependencyRefs: [kube-prometheus-stack]
      overrides:
        driver:
          version: "580"
    - name: aws-efa
      type: Helm
      version: v0.5.3
  validation:
    deployment:
      checks: [expected-resources]
    conformance:
      checks: [platform-health]
`,
	"recipes/overlays/h100-eks-training.yaml": `kind: RecipeMetadata
apiVersion: aicr.run/v1
metadata:
  name: h100-eks-training
spec:
  base: eks
  criteria:
    service: eks
    accelerator: h100
    intent: training
  constraints:
    - name: K8s.server.version
      value: ">= 1.30"
    - name: OS.release.ID
      value: ubuntu
  componentRefs:
    - name: gpu-operator
      valuesFile: components/gpu-operator/values-training.yaml
  validation:
    performance:
      checks: [nccl-all-reduce-bw]
      constraints:
        - name: nccl-all-reduce-bw
          value: ">= 300"
`,
	"recipes/overlays/monitoring.yaml": `kind: RecipeMetadata
apiVersion: aicr.run/v1
metadata:
  name: monitoring
spec:
  base: base
  criteria:
    intent: any
  componentRefs:
    - name: prometheus-adapter
      type: Helm
      version: 5.3.0
      valuesFile: components/prometheus-adapter/values.yaml
`,
	"recipes/overlays/gke.yaml": `kind: RecipeMetadata
apiVersion: aicr.run/v1
metadata:
  name: gke
spec:
  criteria:
    service: gke
  componentRefs:
    - name: gke-nccl
      type: Helm
      version: "1.0"
`,
	"recipes/resolved/kind-training.yaml": `kind: RecipeResult
apiVersion: aicr.run/v1
criteria:
  service: kind
  intent: training
componentRefs:
  - name: cert-manager
    version: v1.17.2
`,
	"recipes/components/gpu-operator/values-training.yaml": "driver:\n  rdma: true\n",
	"recipes/components/gpu-operator/values.yaml":          "driver:\n  enabled: true\n",
	"recipes/registry.yaml":                                "components: []\n",
	"README.md":                                            "# recipes\n",
}

// resolvedH100 is h100-eks-training as AICR resolves it: the chain
// base → eks → h100-eks-training, plus monitoring (its criteria match),
// with the registry's namespace and chart filled in.
const resolvedH100 = `kind: RecipeResult
apiVersion: aicr.run/v1
metadata:
  version: v1.0.0
  appliedOverlays:
    - base
    - monitoring
    - eks
    - h100-eks-training
criteria:
  service: eks
  accelerator: h100
  intent: training
  os: any
  platform: any
constraints:
  - name: K8s.server.version
    value: '>= 1.30'
  - name: OS.release.ID
    value: ubuntu
componentRefs:
  - name: aws-efa
    namespace: aws-efa
    type: Helm
    version: v0.5.3
  - name: cert-manager
    namespace: cert-manager
    chart: cert-manager
    type: Helm
    version: v1.17.2
    valuesFile: components/cert-manager/values.yaml
  - name: gpu-operator
    namespace: gpu-operator
    chart: gpu-operator
    type: Helm
    version: v25.10.1
    valuesFile: components/gpu-operator/values-training.yaml
    dependencyRefs:
      - cert-manager
      - kube-prometheus-stack
    overrides:
      driver:
        enabled: true
        version: "580"
  - name: prometheus-adapter
    namespace: monitoring
    type: Helm
    version: 5.3.0
    valuesFile: components/prometheus-adapter/values.yaml
deploymentOrder:
  - cert-manager
  - gpu-operator
  - aws-efa
  - prometheus-adapter
validation:
  deployment:
    checks:
      - operator-health
      - expected-resources
  performance:
    checks:
      - nccl-all-reduce-bw
    constraints:
      - name: nccl-all-reduce-bw
        value: '>= 300'
  conformance:
    checks:
      - platform-health
`

// bundle is a placeholder for a bundle's bytes: the planner only checks that
// bundles exist (and reads small ones for LFS pointers).
var bundle = strings.Repeat("\x1f\x8b gzip bytes ", 100)

const lfsPointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"

// newTree returns the family plus extra files ("" deletes a path).
func newTree(extra map[string]string) MapTree {
	files := maps.Clone(family)
	for p, c := range extra {
		if c == "" {
			delete(files, p)
			continue
		}
		files[p] = c
	}
	t := MapTree{}
	for p, c := range files {
		t[p] = []byte(c)
	}
	return t
}

// edit returns s with old replaced by new, failing when old is absent.
func edit(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture does not contain %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func canon(t testing.TB, s string) *schema.CanonicalRecipe {
	t.Helper()
	c, err := schema.Canonical([]byte(s))
	if err != nil {
		t.Fatalf("canonical: %v", err)
	}
	return c
}

// listerOnly hides Files and Size of a tree.
type listerOnly struct{ t MapTree }

func (l listerOnly) Exists(p string) bool { return l.t.Exists(p) }
func (l listerOnly) Read(ctx context.Context, p string) ([]byte, error) {
	return l.t.Read(ctx, p)
}
