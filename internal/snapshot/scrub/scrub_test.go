package scrub

import (
	"reflect"
	"strings"
	"testing"
)

func TestScrubPlantedValues(t *testing.T) {
	for in, gone := range map[string]string{
		"node ip-10-0-12-34.us-west-2.compute.internal ready": "ip-10-0-12-34",
		"ip-10-0-12-34":                                                 "ip-10-0-12-34",
		"dial 10.0.12.34:6443 failed":                                   "10.0.12.34",
		"fd00:ec2::23 unreachable":                                      "fd00:ec2::23",
		"gke-prod-default-pool-1a2b3c4d-x9zq":                           "1a2b3c4d-x9zq",
		"aks-gpupool-12345678-vmss000002":                               "vmss000002",
		"gpu-operator.gpu-operator.svc.cluster.local":                   "svc.cluster.local",
		"instance-1.c.my-project.internal":                              "my-project",
		"https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com":      "ABCDEF0123456789",
		"myaks-dns-1a2b3c4d.hcp.eastus.azmk8s.io":                       "1a2b3c4d",
		"arn:aws:eks:us-west-2:123456789012:cluster/prod":               "123456789012",
		"GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c":                      "4a2c5f1e",
		"MIG-GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c/1/0":              "4a2c5f1e",
		"alice@example.com":                                             "alice",
		"/home/alice/.kube/config":                                      "alice",
		"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl": "eyJhbGciOiJSUzI1NiJ9",
		"token=0123456789abcdef0123456789abcdef":                        "0123456789abcdef0123456789abcdef",
		"key Zx9Qw3Er7Ty1Ui5Op0As8Df2Gh6Jk4Lz":                          "Zx9Qw3Er7Ty1Ui5Op0As8Df2Gh6Jk4Lz",
		"ocid1.cluster.oc1.iad.aaaaaaaa1234":                            "aaaaaaaa1234",
		"sub 3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d":                      "3f2b1c4d",
		"test_ping_10.0.12.34":                                          "10.0.12.34",
		"test_drain_ip-10-0-12-36":                                      "ip-10-0-12-36",
		"ping InternalIP:fd00:ec2::23":                                  "fd00:ec2::23",
		"reachable fd00:ec2::24.":                                       "fd00:ec2::24",
		"node:ab:fd00::1 down":                                          "fd00::1",
		"projects/acme-ml-prod-4711/zones/us-central1-a":                "acme-ml-prod-4711",
		"/subscriptions/x/resourceGroups/acme-prod-rg/providers":        "acme-prod-rg",
		"on aks-nodepool1-31415926-0":                                   "31415926",
		"on oke-cywiqripuyg-nsgagklgnst-st2qczvnmba-0":                  "cywiqripuyg",
		"on i-0fedcba9876543210":                                        "0fedcba9876543210",
		"i-0a1b2c3d stopped":                                            "0a1b2c3d",
		"account 444455556666":                                          "444455556666",
		"2.0.5 acct=444455556666":                                       "444455556666",
		"join --token abcdef.0123456789abcdef":                          "0123456789abcdef",
		"HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh":                "AbCdEfGhIjKlMnOp",
		"key sk-proj-AbCdEfGhIjKlMnOpQrStUv":                            "AbCdEfGhIjKlMnOp",
		"gho_AbCdEfGhIjKlMnOpQrStUvWx":                                  "AbCdEfGhIjKlMnOp",
		"xoxb-1234567890-abcdefghij":                                    "1234567890-abcdefghij",
		"AKIAIOSFODNN7EXAMPLE":                                          "IOSFODNN7EXAMPLE",
		`C:\Users\alicewin\.kube\config`:                                "alicewin",
		"postgres://mlflow:S3cr3tPw@10.0.5.6:5432/mlflow":               "S3cr3tPw",
		"redis://cache.acme:6379/0":                                     "cache.acme",
		"upload to s3://acme-private-results/run-42":                    "acme-private-results",
		"gs://acme-bucket/x":                                            "acme-bucket",
		"pull registry.acme-corp.example:5000/x":                        "acme-corp",
		"gitlab.corp/x":                                                 "gitlab.corp",
	} {
		sc := New()
		if out := sc.String(in); strings.Contains(out, gone) || !strings.Contains(out, "[redacted:") {
			t.Errorf("String(%q) = %q, still holds %q", in, out, gone)
		}
	}
}

func TestScrubKeepsOrdinaryValues(t *testing.T) {
	for _, in := range []string{
		"TestH100NVLinkBandwidthAllReduceWithin5Percent", "gpu-operator-validation-cluster-policy-ready-v2",
		"v1.33.4-eks-a737599", "580.159.04", "NVIDIA H100 80GB HBM3", "12:34:56", "tests::gpu_ready", "feed::add",
		"pkg:oci/gpu-operator@sha256%3A0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"/usr/local/lib/python3/site-packages/nvidia_smi_wrapper", "us-west-2", "p5.48xlarge", "Ubuntu 24.04.3 LTS",
		"150754820096", "1795168800000", "v1.2.3-202612041200", "build 20261204.120000", "1.2.3.4.5", "v10.0.0.1",
		"nccl.test", "e2e.test", "test_projects/x", "ami-0fedcba9", "gpu_ready_check", "elapsed 123456789012345ms",
	} {
		sc := New()
		if out := sc.String(in); out != in || len(sc.Applied()) != 0 {
			t.Errorf("String(%q) = %q, applied %v", in, out, sc.Applied())
		}
	}
}

func TestScrubApplied(t *testing.T) {
	sc := New()
	sc.String("alice@example.com on 10.0.0.1")
	sc.String("GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c")
	if got, want := sc.Applied(), []string{RuleEmail, RuleGPUUUID, RuleIP}; !reflect.DeepEqual(got, want) {
		t.Errorf("Applied = %v, want %v", got, want)
	}
	if Placeholder(RuleIP) != "[redacted:ip]" {
		t.Error(Placeholder(RuleIP))
	}
}

func TestNewPublicURLs(t *testing.T) {
	sc := NewPublicURLs()
	if in := "https://charts.jetstack.io"; sc.String(in) != in || len(sc.Applied()) != 0 {
		t.Errorf("public URL changed: %q %v", sc.String(in), sc.Applied())
	}
	for _, in := range []string{"https://u:p@charts.jetstack.io", "https://charts.acme-corp.example/x", "http://10.0.0.1/charts", "s3://b/x"} {
		if sc.String(in) == in {
			t.Errorf("%q not scrubbed", in)
		}
	}
}

// The cluster's own domains are private even under a public top-level
// domain; public names and look-alikes are left alone.
func TestWithPrivateDomains(t *testing.T) {
	sc := New(WithPrivateDomains("acme-corp.com", "Lab.Example.ORG.", "com", ""))
	for in, want := range map[string]string{
		"pull from registry.acme-corp.com:5000":   "pull from [redacted:host]:5000",
		"nccl on gpu-node-7.acme-corp.com":        "nccl on [redacted:host]",
		"acme-corp.com":                           "[redacted:host]",
		"see k8s.lab.example.org/api":             "see [redacted:host]/api",
		"node_gpu-7.acme-corp.com_ready":          "node_[redacted:host]_ready",
		"charts.jetstack.io and notacme-corp.com": "charts.jetstack.io and notacme-corp.com",
		"acme-corp.company.io":                    "acme-corp.company.io",
		"a.acme-corp.com,b.acme-corp.com":         "[redacted:host],[redacted:host]",
		"mail jane@acme-corp.com":                 "mail [redacted:email]",
	} {
		if got := sc.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sc.Applied(); len(got) == 0 {
		t.Error("no rule recorded")
	}
	// A dotless name (a TLD) is ignored: it would scrub every .com host.
	if got := New(WithPrivateDomains("com")).String("charts.jetstack.io, quay.com"); got != "charts.jetstack.io, quay.com" {
		t.Errorf("a bare TLD was taken as a private domain: %q", got)
	}
}
