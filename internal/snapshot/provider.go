package snapshot

import (
	"strings"
)

// ProviderFromProviderID returns the provider that a node's spec.providerID
// names by its scheme alone (the text before "://"), ASCII-lowercased:
//
//	scheme   provider   refined by NodeProvider to
//	aws      aws        eks  (label eks.amazonaws.com/*, or server version "-eks-")
//	gce      gce        gke  (label cloud.google.com/gke-*, or server version "-gke.")
//	azure    azure      aks  (label kubernetes.azure.com/*)
//	oci      oke        (OKE also writes a bare OCID, "ocid1.instance…", with no scheme)
//	kind     kind
//	linode   lke
//	metal3   metal3
//	other    the scheme itself, when it is letters, digits and '-' only
//
// The scheme says which cloud runs the machine, not which service manages the
// cluster: an aws:// node may belong to EKS or to a self-managed cluster on EC2,
// so aws, gce and azure stay the cloud's name here (see NodeProvider). An empty
// or other scheme-less providerID, or an odd scheme, gives "".
func ProviderFromProviderID(providerID string) string {
	providerID = strings.TrimSpace(providerID)
	if strings.HasPrefix(providerID, "ocid1.") {
		return "oke"
	}
	scheme, _, ok := strings.Cut(providerID, "://")
	if !ok || scheme == "" {
		return ""
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "oci":
		return "oke"
	case "linode":
		return "lke"
	}
	for _, r := range scheme {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return ""
		}
	}
	if len(scheme) > 63 {
		return ""
	}
	return scheme
}

// NodeProvider returns the Kubernetes service a node belongs to: the
// ProviderFromProviderID value, with a cloud refined to its managed service
// when the node's labels or the API server's gitVersion show that service:
// aws becomes eks when a label key starts with "eks.amazonaws.com/" or the
// server version contains "-eks-"; gce becomes gke when a label key starts with
// "cloud.google.com/gke-" or the server version contains "-gke."; azure becomes
// aks when a label key starts with "kubernetes.azure.com/".
func NodeProvider(providerID string, labels map[string]string, serverVersion string) string {
	p := ProviderFromProviderID(providerID)
	switch p {
	case "aws":
		if hasLabelPrefix(labels, "eks.amazonaws.com/") || strings.Contains(serverVersion, "-eks-") {
			return "eks"
		}
	case "gce":
		if hasLabelPrefix(labels, "cloud.google.com/gke-") || strings.Contains(serverVersion, "-gke.") {
			return "gke"
		}
	case "azure":
		if hasLabelPrefix(labels, "kubernetes.azure.com/") {
			return "aks"
		}
	}
	return p
}

func hasLabelPrefix(labels map[string]string, prefix string) bool {
	for k := range labels {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
