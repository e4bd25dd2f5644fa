package snapshot

import "testing"

func TestProviderFromProviderID(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"aws:///us-west-2a/i-0123456789abcdef0", "aws"},
		{"gce://my-project/us-central1-a/gke-pool-1a2b", "gce"},
		{"azure:///subscriptions/0000/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/aks-vmss/virtualMachines/0", "azure"},
		{"oci://ocid1.instance.oc1.iad.abc", "oke"},
		{"ocid1.instance.oc1.iad.anuwcljt", "oke"},
		{"kind://docker/kind/kind-worker", "kind"},
		{"linode://12345678", "lke"},
		{"metal3://openshift-machine-api/worker-0/worker-0", "metal3"},
		{"AWS:///us-east-1a/i-1", "aws"},
		{"k3s://node-1", "k3s"},
		{"digitalocean://123", "digitalocean"},
		{"", ""},
		{"   ", ""},
		{"i-0123456789abcdef0", ""},
		{"://x", ""},
		{"we ird://x", ""},
	} {
		if got := ProviderFromProviderID(c.id); got != c.want {
			t.Errorf("ProviderFromProviderID(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

func TestNodeProvider(t *testing.T) {
	eks := map[string]string{"eks.amazonaws.com/nodegroup": "gpu"}
	gke := map[string]string{"cloud.google.com/gke-nodepool": "a3"}
	aks := map[string]string{"kubernetes.azure.com/agentpool": "gpu"}
	other := map[string]string{"kubernetes.io/os": "linux"}
	for _, c := range []struct {
		id     string
		labels map[string]string
		server string
		want   string
	}{
		{"aws:///us-west-2a/i-1", eks, "v1.33.0", "eks"},
		{"aws:///us-west-2a/i-1", other, "v1.33.4-eks-e386d34", "eks"},
		{"aws:///us-west-2a/i-1", other, "v1.33.0", "aws"},
		{"gce://p/z/n", gke, "v1.33.0", "gke"},
		{"gce://p/z/n", other, "v1.33.2-gke.1240000", "gke"},
		{"gce://p/z/n", nil, "v1.33.0", "gce"},
		{"azure:///subscriptions/x", aks, "v1.33.0", "aks"},
		{"azure:///subscriptions/x", other, "v1.33.0", "azure"},
		{"azure:///subscriptions/x", eks, "v1.33.0", "azure"},
		{"oci://x", nil, "", "oke"},
		{"kind://docker/kind/w", eks, "", "kind"},
		{"", eks, "v1.33.4-eks-e386d34", ""},
	} {
		if got := NodeProvider(c.id, c.labels, c.server); got != c.want {
			t.Errorf("NodeProvider(%q, %v, %q) = %q, want %q", c.id, c.labels, c.server, got, c.want)
		}
	}
}

func TestParseOSImage(t *testing.T) {
	for _, c := range []struct {
		image, id, version string
		ok                 bool
	}{
		{"Ubuntu 24.04.3 LTS", "ubuntu", "24.04", true},
		{"Ubuntu 22.04 LTS", "ubuntu", "22.04", true},
		{"ubuntu 20.04.6 LTS", "ubuntu", "20.04", true},
		{"Amazon Linux 2023", "amzn", "2023", true},
		{"Amazon Linux 2023.7.20250512", "amzn", "2023", true},
		{"Amazon Linux 2", "amzn", "2", true},
		{"Container-Optimized OS from Google", "cos", "", true},
		{"Red Hat Enterprise Linux CoreOS 418.94.202410090804-0", "rhel", "9.4", true},
		{"Red Hat Enterprise Linux CoreOS 415.92.202402201450-0 (Plow)", "rhel", "9.2", true},
		{"Red Hat Enterprise Linux CoreOS 9.6.20250121-0 (Plow)", "rhel", "9.6", true},
		{"Red Hat Enterprise Linux 9.4 (Plow)", "rhel", "9.4", true},
		{"Talos (v1.9.1)", "talos", "v1.9.1", true},
		{"Oracle Linux Server 8.10", "ol", "8.10", true},
		{"Debian GNU/Linux 12 (bookworm)", "debian", "12", true},
		{"Rocky Linux 9.4 (Blue Onyx)", "rocky", "9.4", true},
		{"CentOS Stream 9", "centos", "9", true},
		{"Bottlerocket OS 1.20.0 (aws-k8s-1.29)", "bottlerocket", "1.20.0", true},
		{"Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)", "flatcar", "3815.2.0", true},
		{"SUSE Linux Enterprise Server 15 SP5", "sles", "15.5", true},
		{"SUSE Linux Enterprise Server 15", "sles", "15", true},
		{"Windows Server 2022 Datacenter", "", "", false},
		{"", "", "", false},
	} {
		id, version, ok := ParseOSImage(c.image)
		if id != c.id || version != c.version || ok != c.ok {
			t.Errorf("ParseOSImage(%q) = %q, %q, %v; want %q, %q, %v", c.image, id, version, ok, c.id, c.version, c.ok)
		}
	}
}
