package snapshot

import (
	"regexp"
	"strings"
)

// osImageRule maps a node's status.nodeInfo.osImage prefix to an os-release ID.
type osImageRule struct {
	prefix string // compared ignoring ASCII case
	id     string
	// version turns the first version-looking token after the prefix into a
	// VERSION_ID; nil keeps the token as it is.
	version func(tok string) string
}

// osImageRules is ordered so that a longer prefix comes before a shorter one it
// extends (CoreOS before plain Red Hat Enterprise Linux).
func osImageRules() []osImageRule {
	return []osImageRule{
		{prefix: "Ubuntu ", id: "ubuntu", version: firstComponents(2)},
		{prefix: "Amazon Linux ", id: "amzn", version: firstComponents(1)},
		{prefix: "Container-Optimized OS", id: "cos"},
		{prefix: "Red Hat Enterprise Linux CoreOS ", id: "rhel", version: rhcosVersion},
		{prefix: "Red Hat Enterprise Linux ", id: "rhel", version: firstComponents(2)},
		{prefix: "Talos ", id: "talos"},
		{prefix: "Oracle Linux Server ", id: "ol", version: firstComponents(2)},
		{prefix: "Oracle Linux ", id: "ol", version: firstComponents(2)},
		{prefix: "Debian GNU/Linux ", id: "debian", version: firstComponents(1)},
		{prefix: "Rocky Linux ", id: "rocky", version: firstComponents(2)},
		{prefix: "AlmaLinux ", id: "almalinux", version: firstComponents(2)},
		{prefix: "CentOS Stream ", id: "centos", version: firstComponents(1)},
		{prefix: "CentOS Linux ", id: "centos", version: firstComponents(1)},
		{prefix: "Fedora CoreOS ", id: "fedora", version: firstComponents(1)},
		{prefix: "Bottlerocket OS ", id: "bottlerocket"},
		{prefix: "Flatcar Container Linux ", id: "flatcar"},
		{prefix: "SUSE Linux Enterprise Server ", id: "sles", version: nil},
	}
}

// versionToken matches a version-looking token: optional v, digits, dots.
var versionToken = regexp.MustCompile(`v?[0-9]+(?:\.[0-9]+)*`)

// slesServicePack matches "15 SP5".
var slesServicePack = regexp.MustCompile(`^([0-9]+)(?:\s+SP([0-9]+))?`)

// ParseOSImage derives the os-release ID and VERSION_ID from a node's
// status.nodeInfo.osImage, which kubelet takes from PRETTY_NAME:
//
//	Ubuntu 24.04.3 LTS                          ubuntu  24.04
//	Amazon Linux 2023.6.20250115                amzn    2023
//	Container-Optimized OS from Google          cos     (none)
//	Red Hat Enterprise Linux CoreOS 418.94.…    rhel    9.4
//	Red Hat Enterprise Linux CoreOS 9.6.…       rhel    9.6
//	Red Hat Enterprise Linux 9.4 (Plow)         rhel    9.4
//	Talos (v1.9.1)                              talos   v1.9.1
//	Oracle Linux Server 8.10                    ol      8.10
//	Debian GNU/Linux 12 (bookworm)              debian  12
//	Bottlerocket OS 1.20.0 (aws-k8s-1.29)       bottlerocket 1.20.0
//	SUSE Linux Enterprise Server 15 SP5         sles    15.5
//
// and likewise Rocky Linux, AlmaLinux, CentOS, Fedora CoreOS and Flatcar.
// RHCOS maps to rhel, its RHEL base, as the fingerprint's os enum has no rhcos.
// ok is false for an image it does not recognise; versionID is "" when the
// image carries none.
func ParseOSImage(osImage string) (id, versionID string, ok bool) {
	img := strings.TrimSpace(osImage)
	for _, r := range osImageRules() {
		if len(img) < len(r.prefix) || !strings.EqualFold(img[:len(r.prefix)], r.prefix) {
			continue
		}
		rest := strings.TrimSpace(img[len(r.prefix):])
		if r.id == "sles" {
			if m := slesServicePack.FindStringSubmatch(rest); m != nil {
				versionID = m[1]
				if m[2] != "" {
					versionID += "." + m[2]
				}
			}
			return r.id, versionID, true
		}
		tok := versionToken.FindString(rest)
		if tok == "" || r.id == "cos" {
			return r.id, "", true
		}
		if r.version != nil {
			tok = r.version(tok)
		}
		return r.id, tok, true
	}
	return "", "", false
}

// firstComponents keeps the first n dot-separated components of a version.
func firstComponents(n int) func(string) string {
	return func(tok string) string {
		parts := strings.SplitN(tok, ".", n+1)
		if len(parts) > n {
			parts = parts[:n]
		}
		return strings.Join(parts, ".")
	}
}

// rhcosVersion gives the RHEL version of a RHCOS image version: the old form
// 418.94.202410090804-0 (OpenShift 4.18, RHEL 9.4) gives 9.4; the newer form
// 9.6.20250121-0 gives 9.6.
func rhcosVersion(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) >= 2 && len(parts[0]) >= 3 && len(parts[1]) >= 2 {
		return parts[1][:1] + "." + parts[1][1:]
	}
	return firstComponents(2)(tok)
}
