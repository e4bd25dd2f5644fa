package snapshot

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// testNode describes a node for the fake clientset.
type testNode struct {
	name, providerID, ip                    string
	osImage, kernel, runtime, kubelet, arch string
	labels                                  map[string]string
	gpus                                    int64 // allocatable nvidia.com/gpu
	taints                                  []corev1.Taint
}

func (n testNode) object() *corev1.Node {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: n.labels},
		Spec:       corev1.NodeSpec{ProviderID: n.providerID, Taints: n.taints},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8")},
			NodeInfo: corev1.NodeSystemInfo{
				KernelVersion: n.kernel, OSImage: n.osImage, ContainerRuntimeVersion: n.runtime,
				KubeletVersion: n.kubelet, OperatingSystem: "linux", Architecture: n.arch,
			},
		},
	}
	if n.ip != "" {
		node.Status.Addresses = []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: n.ip},
			{Type: corev1.NodeHostName, Address: n.name},
		}
	}
	if n.gpus > 0 {
		node.Status.Allocatable[resourceGPU] = *resource.NewQuantity(n.gpus, resource.DecimalSI)
	}
	return node
}

func gpuLabels(product, count string, extra map[string]string) map[string]string {
	l := map[string]string{
		labelGPUProduct:          product,
		labelGPUCount:            count,
		labelCUDADriverMaj:       "580",
		labelCUDADriverMin:       "159",
		labelCUDADriverRev:       "04",
		"nvidia.com/gpu.present": "true",
	}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

func awsLabels(zone, instanceType string, eks bool) map[string]string {
	l := map[string]string{
		labelRegion:        "us-west-2",
		labelZone:          zone,
		labelInstanceType:  instanceType,
		"kubernetes.io/os": "linux",
	}
	if eks {
		l["eks.amazonaws.com/nodegroup"] = "ng-" + instanceType
	}
	return l
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// fakeClient returns a fake clientset holding the nodes, reporting gitVersion.
func fakeClient(t *testing.T, gitVersion string, nodes ...testNode) *fake.Clientset {
	t.Helper()
	objs := make([]runtime.Object, 0, len(nodes))
	for _, n := range nodes {
		objs = append(objs, n.object())
	}
	c := fake.NewClientset(objs...)
	c.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: gitVersion, Platform: "linux/amd64"}
	return c
}

// eksNodes is a small EKS cluster like testdata/examples/inputs/h100-eks-ubuntu-training:
// two p5 GPU nodes on Ubuntu and two m6i system nodes on Amazon Linux.
func eksNodes() []testNode {
	gpu := func(name, zone, ip string) testNode {
		return testNode{
			name: name, providerID: "aws:///" + zone + "/i-0" + name[len(name)-4:], ip: ip,
			osImage: "Ubuntu 24.04.3 LTS", kernel: "6.8.0-1035-aws", runtime: "containerd://2.0.5",
			kubelet: "v1.33.4-eks-a737599", arch: "amd64", gpus: 8,
			labels: merge(awsLabels(zone, "p5.48xlarge", true), gpuLabels("NVIDIA-H100-80GB-HBM3", "8", nil)),
			taints: []corev1.Taint{
				{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule},
				{Key: "team.acme-corp.example/owner", Value: "alice", Effect: corev1.TaintEffectNoSchedule},
			},
		}
	}
	cpu := func(name, zone, ip string) testNode {
		return testNode{
			name: name, providerID: "aws:///" + zone + "/i-0" + name[len(name)-4:], ip: ip,
			osImage: "Amazon Linux 2023.7.20250512", kernel: "6.1.134-152.225.amzn2023.x86_64",
			runtime: "containerd://1.7.27", kubelet: "v1.33.4-eks-a737599", arch: "amd64",
			labels: awsLabels(zone, "m6i.2xlarge", true),
		}
	}
	return []testNode{
		gpu("gpu-0001", "us-west-2a", "10.0.1.11"),
		gpu("gpu-0002", "us-west-2a", "10.0.1.12"),
		cpu("sys-0001", "us-west-2a", "10.0.2.21"),
		cpu("sys-0002", "us-west-2b", "10.0.3.22"),
	}
}

func TestCollectEKS(t *testing.T) {
	c := fakeClient(t, "v1.33.4-eks-e386d34", eksNodes()...)
	var progress []int
	got, err := Collect(context.Background(), c, Options{Progress: func(n int) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	want := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "K8s", Subtypes: []fingerprint.Subtype{
			{Subtype: "server", Data: map[string]any{"version": "v1.33.4-eks-e386d34", "platform": "linux/amd64"}},
			{Subtype: "node", Data: map[string]any{
				"provider":                  "eks",
				"kubelet-version":           "v1.33.4-eks-a737599",
				"kernel-version":            "6.1.134-152.225.amzn2023.x86_64,6.8.0-1035-aws",
				"operating-system":          "linux",
				"os-image":                  "Amazon Linux 2023.7.20250512,Ubuntu 24.04.3 LTS",
				"container-runtime-name":    "containerd",
				"container-runtime-version": "1.7.27,2.0.5",
			}},
		}},
		{Type: "OS", Subtypes: []fingerprint.Subtype{
			{Subtype: "release", Data: map[string]any{"ID": "ubuntu", "VERSION_ID": "24.04", "PRETTY_NAME": "Ubuntu 24.04.3 LTS"}},
		}},
		{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
			{Subtype: "summary", Data: map[string]any{
				"node-count":     4,
				"gpu-node-count": 2,
				"gpu-count":      16,
				"gpu-products":   "NVIDIA-H100-80GB-HBM3",
				"regions":        "us-west-2",
				"zones":          "us-west-2a,us-west-2b",
				"instance-types": "m6i.2xlarge,p5.48xlarge",
				"architectures":  "amd64",
				"cuda-driver":    "580.159.04",
			}},
			{Subtype: "taint", Data: map[string]any{
				"nvidia.com/gpu":               "NoSchedule|present|gpu-0001,gpu-0002",
				"team.acme-corp.example/owner": "NoSchedule|alice|gpu-0001,gpu-0002",
			}},
			{Subtype: "label", Data: map[string]any{
				"nvidia.com/gpu.product":                       "NVIDIA-H100-80GB-HBM3|gpu-0001,gpu-0002",
				"topology.kubernetes.io/region":                "us-west-2|gpu-0001,gpu-0002,sys-0001,sys-0002",
				"topology.kubernetes.io/zone.us-west-2a":       "us-west-2a|gpu-0001,gpu-0002,sys-0001",
				"topology.kubernetes.io/zone.us-west-2b":       "us-west-2b|sys-0002",
				"node.kubernetes.io/instance-type.m6i.2xlarge": "m6i.2xlarge|sys-0001,sys-0002",
				"node.kubernetes.io/instance-type.p5.48xlarge": "p5.48xlarge|gpu-0001,gpu-0002",
			}},
			{Subtype: "nodes", Data: map[string]any{
				"gpu-0001.provider-id":   "aws:///us-west-2a/i-00001",
				"gpu-0001.internal-ips":  "10.0.1.11",
				"gpu-0001.gpu-product":   "NVIDIA-H100-80GB-HBM3",
				"gpu-0001.gpu-count":     "8",
				"gpu-0001.cuda-driver":   "580.159.04",
				"gpu-0001.region":        "us-west-2",
				"gpu-0001.zone":          "us-west-2a",
				"gpu-0001.instance-type": "p5.48xlarge",
				"gpu-0002.provider-id":   "aws:///us-west-2a/i-00002",
				"gpu-0002.internal-ips":  "10.0.1.12",
				"gpu-0002.gpu-product":   "NVIDIA-H100-80GB-HBM3",
				"gpu-0002.gpu-count":     "8",
				"gpu-0002.cuda-driver":   "580.159.04",
				"gpu-0002.region":        "us-west-2",
				"gpu-0002.zone":          "us-west-2a",
				"gpu-0002.instance-type": "p5.48xlarge",
				"sys-0001.provider-id":   "aws:///us-west-2a/i-00001",
				"sys-0001.internal-ips":  "10.0.2.21",
				"sys-0001.region":        "us-west-2",
				"sys-0001.zone":          "us-west-2a",
				"sys-0001.instance-type": "m6i.2xlarge",
				"sys-0002.provider-id":   "aws:///us-west-2b/i-00002",
				"sys-0002.internal-ips":  "10.0.3.22",
				"sys-0002.region":        "us-west-2",
				"sys-0002.zone":          "us-west-2b",
				"sys-0002.instance-type": "m6i.2xlarge",
			}},
		}},
	}}
	if !reflect.DeepEqual(got, want) {
		gotY, _ := Marshal(got)
		wantY, _ := Marshal(want)
		t.Fatalf("snapshot differs\ngot:\n%s\nwant:\n%s", gotY, wantY)
	}
	if !reflect.DeepEqual(progress, []int{4}) {
		t.Errorf("progress = %v, want [4] (the fake lists one page)", progress)
	}

	// The fingerprint reads what the example bundle's snapshot says, except the
	// GPU model (the example has GPU.hardware from a node collector).
	fp := fingerprint.ComputeFromSnapshot(got)
	for _, c := range []struct{ dim, got, want string }{
		{"service", fp.Service.Value, "eks"},
		{"accelerator", fp.Accelerator.Value, "h100"},
		{"accelerator source", fp.Accelerator.Source, "NodeTopology.summary.gpu-products"},
		{"os", fp.OS.Value, "ubuntu"},
		{"os version", fp.OS.Version, "24.04"},
		{"k8sVersion", fp.K8sVersion.Value, "1.33.4-eks-e386d34"},
		{"region", fp.Region.Value, "us-west-2"},
	} {
		if c.got != c.want {
			t.Errorf("fingerprint %s = %q, want %q", c.dim, c.got, c.want)
		}
	}
	if fp.NodeCount.Value != 4 || fp.GPUNodeCount.Value != 2 {
		t.Errorf("fingerprint counts = %d/%d, want 4/2", fp.NodeCount.Value, fp.GPUNodeCount.Value)
	}
}

func TestCollectMixedProviders(t *testing.T) {
	nodes := []testNode{
		{ // GKE A3 node on COS, GPU from labels only
			name: "gke-a3-pool-1a2b", providerID: "gce://proj-x/us-central1-a/gke-a3-pool-1a2b", ip: "10.128.0.5",
			osImage: "Container-Optimized OS from Google", kernel: "6.6.72+", runtime: "containerd://1.7.24",
			kubelet: "v1.33.2-gke.1240000", arch: "amd64",
			labels: merge(map[string]string{
				"cloud.google.com/gke-nodepool":    "a3-pool",
				"cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
				labelRegion:                        "us-central1",
				labelZone:                          "us-central1-a",
				labelInstanceType:                  "a3-highgpu-8g",
			}, gpuLabels("NVIDIA-H100-80GB-HBM3", "8", nil)),
		},
		{ // AKS A100 node on Ubuntu 22.04: allocatable GPUs and a product label, no count label
			name: "aks-gpu-12345678-vmss000000", providerID: "azure:///subscriptions/0000/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-12345678-vmss/virtualMachines/0",
			ip: "10.224.0.4", osImage: "Ubuntu 22.04.5 LTS", kernel: "5.15.0-1079-azure", runtime: "containerd://1.7.25-1",
			kubelet: "v1.33.0", arch: "amd64", gpus: 4,
			labels: map[string]string{
				"kubernetes.azure.com/agentpool": "gpu",
				labelGPUProduct:                  "NVIDIA-A100-SXM4-80GB",
				labelRegionBeta:                  "eastus",
				labelZone:                        "eastus-1",
				labelInstanceBeta:                "Standard_ND96amsr_A100_v4",
			},
		},
		{ // self-managed EC2 node: aws scheme, no EKS label, server version not EKS → aws
			name: "ip-10-1-2-3.ec2.internal", providerID: "aws:///us-east-1a/i-0abc", ip: "10.1.2.3",
			osImage: "Ubuntu 24.04.3 LTS", kernel: "6.8.0-1035-aws", runtime: "containerd://2.0.5",
			kubelet: "v1.33.0", arch: "arm64", labels: map[string]string{labelRegion: "us-east-1"},
		},
		{ // kind worker, and a GPU node that only has allocatable GPUs
			name: "kind-worker", providerID: "kind://docker/kind/kind-worker",
			osImage: "Debian GNU/Linux 12 (bookworm)", kernel: "6.8.0", runtime: "containerd://2.1.1",
			kubelet: "v1.33.0", arch: "amd64", gpus: 2,
		},
		{ // bare-metal node without a providerID
			name: "metal-7", osImage: "Ubuntu 24.04.3 LTS", kernel: "6.8.0-60-generic", runtime: "cri-o://1.33.1",
			kubelet: "v1.33.0", arch: "amd64",
		},
	}
	c := fakeClient(t, "v1.33.0", nodes...)
	got, err := Collect(context.Background(), c, Options{MaxNodeDetails: -1})
	if err != nil {
		t.Fatal(err)
	}
	wantSummary := map[string]any{
		"node-count":     5,
		"gpu-node-count": 3,
		"gpu-count":      14,
		"gpu-products":   "NVIDIA-A100-SXM4-80GB,NVIDIA-H100-80GB-HBM3",
		"regions":        "eastus,us-central1,us-east-1",
		"zones":          "eastus-1,us-central1-a",
		"instance-types": "Standard_ND96amsr_A100_v4,a3-highgpu-8g",
		"architectures":  "amd64,arm64",
		"cuda-driver":    "580.159.04",
	}
	checkSubtype(t, got, "NodeTopology", "summary", wantSummary)
	checkSubtype(t, got, "K8s", "node", map[string]any{
		"provider":                  "aks,aws,gke,kind",
		"kubelet-version":           "v1.33.0,v1.33.2-gke.1240000",
		"kernel-version":            "5.15.0-1079-azure,6.6.72+,6.8.0,6.8.0-1035-aws,6.8.0-60-generic",
		"operating-system":          "linux",
		"os-image":                  "Container-Optimized OS from Google,Debian GNU/Linux 12 (bookworm),Ubuntu 22.04.5 LTS,Ubuntu 24.04.3 LTS",
		"container-runtime-name":    "containerd,cri-o",
		"container-runtime-version": "1.33.1,1.7.24,1.7.25-1,2.0.5,2.1.1",
	})
	// The GPU nodes run COS, Ubuntu 22.04 and Debian: every ID is kept, so the
	// fingerprint cannot claim one OS.
	checkSubtype(t, got, "OS", "release", map[string]any{
		"ID":          "cos,debian,ubuntu",
		"VERSION_ID":  "12,22.04",
		"PRETTY_NAME": "Container-Optimized OS from Google,Debian GNU/Linux 12 (bookworm),Ubuntu 22.04.5 LTS",
	})
	for _, m := range got.Measurements {
		for _, st := range m.Subtypes {
			if st.Subtype == "nodes" {
				t.Errorf("MaxNodeDetails -1 wrote %s.nodes", m.Type)
			}
		}
	}
	fp := fingerprint.ComputeFromSnapshot(got)
	if fp.Accelerator.Note != fingerprint.NoteMultiGPU || fp.Region.Note != fingerprint.NoteMultiRegion {
		t.Errorf("fingerprint accelerator %+v, region %+v: want multi-gpu and multi-region notes", fp.Accelerator, fp.Region)
	}
	if fp.Service.Value != "aks,aws,gke,kind" {
		t.Errorf("service = %q", fp.Service.Value)
	}
}

// TestCollectCPUOnlyAndEmpty: without GPU nodes OS.release comes from all
// nodes; an empty cluster still gives the server and zero counts.
func TestCollectCPUOnlyAndEmpty(t *testing.T) {
	c := fakeClient(t, "v1.32.1", testNode{name: "a", osImage: "Talos (v1.9.1)", kubelet: "v1.32.1"},
		testNode{name: "b", osImage: "Red Hat Enterprise Linux CoreOS 418.94.202410090804-0", kubelet: "v1.32.1"})
	got, err := Collect(context.Background(), c, Options{MaxNodeDetails: -1})
	if err != nil {
		t.Fatal(err)
	}
	checkSubtype(t, got, "OS", "release", map[string]any{
		"ID": "rhel,talos", "VERSION_ID": "9.4,v1.9.1",
		"PRETTY_NAME": "Red Hat Enterprise Linux CoreOS 418.94.202410090804-0,Talos (v1.9.1)",
	})
	checkSubtype(t, got, "NodeTopology", "summary", map[string]any{"node-count": 2, "gpu-node-count": 0, "gpu-count": 0})

	empty, err := Collect(context.Background(), fakeClient(t, "v1.33.0"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "K8s", Subtypes: []fingerprint.Subtype{{Subtype: "server", Data: map[string]any{"version": "v1.33.0", "platform": "linux/amd64"}}}},
		{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{{Subtype: "summary", Data: map[string]any{"node-count": 0, "gpu-node-count": 0, "gpu-count": 0}}}},
	}}
	if !reflect.DeepEqual(empty, want) {
		t.Errorf("empty cluster: got %+v", empty)
	}
}

func TestCollectNodeDetailCap(t *testing.T) {
	var nodes []testNode
	for _, n := range []string{"n1", "n2", "n3"} {
		nodes = append(nodes, testNode{name: n, providerID: "kind://docker/kind/" + n})
	}
	got, err := Collect(context.Background(), fakeClient(t, "v1.33.0", nodes...), Options{MaxNodeDetails: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkSubtype(t, got, "NodeTopology", "nodes", map[string]any{
		"n1.provider-id": "kind://docker/kind/n1",
		"n2.provider-id": "kind://docker/kind/n2",
		"nodes-omitted":  1,
	})
}

func TestCollectErrors(t *testing.T) {
	if _, err := Collect(context.Background(), nil, Options{}); err == nil {
		t.Error("nil client: no error")
	}
	if _, err := Collect(context.Background(), fakeClient(t, "v1"), Options{PageSize: -1}); err == nil {
		t.Error("negative page size: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Collect(ctx, fakeClient(t, "v1.33.0", testNode{name: "a"}), Options{})
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestJoinLimited(t *testing.T) {
	for _, c := range []struct {
		vals     []string
		overflow bool
		limit    int
		want     string
	}{
		{[]string{"a", "b"}, false, 3, "a,b"},
		{[]string{"aaaa", "bbbb", "cccc"}, false, 14, "aaaa,bbbb,cccc"},
		{[]string{"aaaa", "bbbb", "cccc"}, false, 13, "(+3 more)"},
		{[]string{"a", "b", "c", "dddddddddd"}, false, 12, "a,(+3 more)"},
		{[]string{"a", "b", "c", "dddddddddd"}, false, 15, "a,b,c,(+1 more)"},
		{[]string{"aaaa", "bbbb"}, true, 100, "aaaa,bbbb,(+0 or more)"},
	} {
		got := joinLimited(c.vals, c.overflow, c.limit)
		if got != c.want {
			t.Errorf("joinLimited(%q, %v, %d) = %q, want %q", c.vals, c.overflow, c.limit, got, c.want)
		}
		if len([]rune(got)) > c.limit {
			t.Errorf("joinLimited(%q, %v, %d) = %q: over the limit", c.vals, c.overflow, c.limit, got)
		}
	}
	// A truncated gpu-products never names one SKU: the "(+N more)" item is an
	// unknown product.
	var products []string
	for i := 0; i < 40; i++ {
		products = append(products, "NVIDIA-H100-80GB-HBM3-MIG-"+strings.Repeat("x", i))
	}
	s := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
		{Subtype: "summary", Data: map[string]any{"gpu-products": joinLimited(products, false, limitFingerprint)}},
	}}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if fp := fingerprint.ComputeFromSnapshot(s); fp.Accelerator.Value != "" || fp.Accelerator.Note != fingerprint.NoteMultiGPU {
		t.Errorf("truncated products give accelerator %+v, want note multi-gpu", fp.Accelerator)
	}
}

// checkSubtype compares one subtype's data.
func checkSubtype(t *testing.T, s *fingerprint.Snapshot, typ, sub string, want map[string]any) {
	t.Helper()
	for _, m := range s.Measurements {
		if m.Type != typ {
			continue
		}
		for _, st := range m.Subtypes {
			if st.Subtype == sub {
				if !reflect.DeepEqual(st.Data, want) {
					t.Errorf("%s.%s:\n got %v\nwant %v", typ, sub, st.Data, want)
				}
				return
			}
		}
	}
	t.Errorf("%s.%s: missing", typ, sub)
}
