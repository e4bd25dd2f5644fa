package snapshot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// Snapshot is the snapshot in measurement form: fingerprint.Snapshot itself
// (an alias, not a new type), so Collect's result goes straight to
// fingerprint.ComputeFromSnapshot, Redact and Marshal.
type Snapshot = fingerprint.Snapshot

// DefaultPageSize is the node list page size when Options.PageSize is 0.
const DefaultPageSize = 500

// DefaultMaxNodeDetails is the most nodes NodeTopology.nodes describes when
// Options.MaxNodeDetails is 0.
const DefaultMaxNodeDetails = 10_000

// maxNodeDetailBytes bounds the text NodeTopology.nodes holds, well under
// fingerprint.MaxSnapshotBytes once written as YAML.
const maxNodeDetailBytes = 6 << 20

// maxDistinct is the most distinct values a list reading tracks; more are
// counted, not kept.
const maxDistinct = 4096

// Length limits of list readings, in characters: the predicate schema's limits
// for the readings the fingerprint uses, and a general one for the rest.
const (
	limitFingerprint = 256
	limitOSRelease   = 128
	limitOther       = 1024
)

// Well-known node labels and resources.
const (
	labelGPUProduct     = "nvidia.com/gpu.product"
	labelGPUCount       = "nvidia.com/gpu.count"
	labelCUDADriverMaj  = "nvidia.com/cuda.driver.major"
	labelCUDADriverMin  = "nvidia.com/cuda.driver.minor"
	labelCUDADriverRev  = "nvidia.com/cuda.driver.rev"
	labelCUDADriverFull = "nvidia.com/cuda.driver-version.full"
	labelRegion         = "topology.kubernetes.io/region"
	labelRegionBeta     = "failure-domain.beta.kubernetes.io/region"
	labelZone           = "topology.kubernetes.io/zone"
	labelZoneBeta       = "failure-domain.beta.kubernetes.io/zone"
	labelInstanceType   = "node.kubernetes.io/instance-type"
	labelInstanceBeta   = "beta.kubernetes.io/instance-type"
	resourceGPU         = corev1.ResourceName("nvidia.com/gpu")
)

// Options tunes Collect. The zero value is ready to use.
type Options struct {
	// PageSize is the node list page size (Limit); 0 means DefaultPageSize.
	PageSize int64
	// Progress, when set, is called after each page is folded in, with the
	// number of nodes listed so far (it starts again from 0 after a restart).
	Progress func(listed int)
	// Notify, when set, receives one-line notices, e.g. that the list was
	// restarted because its continue token expired.
	Notify func(msg string)
	// MaxNodeDetails is the most nodes NodeTopology.nodes describes; 0 means
	// DefaultMaxNodeDetails and a negative value writes no NodeTopology.nodes
	// (use it when the snapshot will be minimised anyway: the per-node
	// records are then never held in memory).
	MaxNodeDetails int
}

// Collect builds the snapshot of the cluster behind client: the server version
// from discovery, then the nodes, listed PageSize at a time with Limit and
// Continue. Each page is folded into counters and sets of distinct values and
// dropped before the next one is fetched. When the API server answers 410 Gone
// because the continue token expired, the list restarts once from the start,
// the partial aggregate is discarded and Notify is told; a second expiry is an
// error. The measurements are those listed in the package documentation; the
// result passes Validate.
func Collect(ctx context.Context, client kubernetes.Interface, opts Options) (*Snapshot, error) {
	if client == nil {
		return nil, fmt.Errorf("snapshot: collect: nil client")
	}
	if opts.PageSize < 0 {
		return nil, fmt.Errorf("snapshot: collect: page size %d is negative", opts.PageSize)
	}
	if opts.PageSize == 0 {
		opts.PageSize = DefaultPageSize
	}
	switch {
	case opts.MaxNodeDetails == 0:
		opts.MaxNodeDetails = DefaultMaxNodeDetails
	case opts.MaxNodeDetails < 0:
		opts.MaxNodeDetails = 0
	}
	info, err := discovery.ToServerVersionInterfaceWithContext(client.Discovery()).ServerVersionWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: server version: %w", withStatus(oneLine(err)))
	}
	serverVersion := strings.TrimSpace(info.GitVersion)

	agg := newAggregate(serverVersion, opts.MaxNodeDetails)
	restarted := false
	for {
		err := listNodes(ctx, client, opts, agg)
		if err == nil {
			break
		}
		var expired *expiredError
		if !errors.As(err, &expired) {
			return nil, err
		}
		if restarted {
			return nil, fmt.Errorf("snapshot: list nodes: continue token expired again after the restart, at %d nodes: %w", expired.listed, oneLine(expired.err))
		}
		restarted = true
		if opts.Notify != nil {
			opts.Notify(fmt.Sprintf("snapshot: node list continue token expired after %d nodes; restarting the list once from the start", expired.listed))
		}
		agg = newAggregate(serverVersion, opts.MaxNodeDetails)
	}
	s := agg.snapshot(info.Platform)
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("snapshot: collect: %w", err)
	}
	return s, nil
}

// expiredError reports a 410 Gone on a continued list.
type expiredError struct {
	listed int
	err    error
}

func (e *expiredError) Error() string { return e.err.Error() }
func (e *expiredError) Unwrap() error { return e.err }

// listNodes lists every node page by page into agg.
func listNodes(ctx context.Context, client kubernetes.Interface, opts Options, agg *aggregate) error {
	token := ""
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("snapshot: list nodes: %w", err)
		}
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: opts.PageSize, Continue: token})
		if err != nil {
			if token != "" && (apierrors.IsResourceExpired(err) || apierrors.IsGone(err)) {
				return &expiredError{listed: agg.nodes, err: err}
			}
			return fmt.Errorf("snapshot: list nodes (page %d): %w", page, oneLine(err))
		}
		for i := range list.Items {
			agg.add(&list.Items[i])
		}
		next := list.Continue // the page is not referenced past here, so it can be collected
		if agg.nodes > fingerprint.MaxCount {
			return fmt.Errorf("snapshot: list nodes: more than %d nodes", fingerprint.MaxCount)
		}
		if opts.Progress != nil {
			opts.Progress(agg.nodes)
		}
		if next == "" {
			return nil
		}
		if next == token {
			return fmt.Errorf("snapshot: list nodes (page %d): the server returned the same continue token again", page)
		}
		token = next
	}
}

// distinct is a set of distinct non-blank values, bounded at maxDistinct;
// values beyond that are not kept, only flagged.
type distinct struct {
	vals     map[string]struct{}
	overflow bool
}

func (d *distinct) add(v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if _, ok := d.vals[v]; ok {
		return
	}
	if len(d.vals) >= maxDistinct {
		d.overflow = true
		return
	}
	if d.vals == nil {
		d.vals = map[string]struct{}{}
	}
	d.vals[strings.Clone(v)] = struct{}{} // never pin the decoded page
}

func (d *distinct) empty() bool { return len(d.vals) == 0 && !d.overflow }

func (d *distinct) sorted() []string {
	out := make([]string, 0, len(d.vals))
	for v := range d.vals {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// join renders the values sorted and comma-joined within limit characters; see
// joinLimited.
func (d *distinct) join(limit int) string { return joinLimited(d.sorted(), d.overflow, limit) }

// joinLimited comma-joins vals. When they do not fit in limit characters, or
// overflow says more values were seen than kept, it keeps the first values that
// fit and ends with an item "(+N more)" ("(+N or more)" after an overflow).
func joinLimited(vals []string, overflow bool, limit int) string {
	full := strings.Join(vals, ",")
	if !overflow && utf8.RuneCountInString(full) <= limit {
		return full
	}
	more := func(n int) string {
		if overflow {
			return fmt.Sprintf("(+%d or more)", n)
		}
		return fmt.Sprintf("(+%d more)", n)
	}
	var b strings.Builder
	n := 0
	for i, v := range vals {
		add := utf8.RuneCountInString(v) + 1 // and a comma
		if n+add+utf8.RuneCountInString(more(len(vals)-i-1)) > limit {
			b.WriteString(more(len(vals) - i))
			return b.String()
		}
		b.WriteString(v)
		b.WriteByte(',')
		n += add
	}
	b.WriteString(more(0))
	return b.String()
}

// nodeDetail is the compact per-node record behind NodeTopology.nodes.
type nodeDetail struct {
	name, providerID, internalIPs, gpuProduct, gpuCount, cudaDriver, region, zone, instanceType string
}

func (d nodeDetail) size() int {
	return 9*len(d.name) + len(d.providerID) + len(d.internalIPs) + len(d.gpuProduct) + len(d.gpuCount) +
		len(d.cudaDriver) + len(d.region) + len(d.zone) + len(d.instanceType) + 9*24
}

// aggregate folds nodes into counters and sets.
type aggregate struct {
	serverVersion string
	maxDetails    int

	nodes, gpuNodes int
	gpuCount        int64

	providers, kubelet, kernel, operatingSystem, osImages, runtimeNames, runtimeVersions distinct
	gpuOSImages, gpuProducts, regions, zones, instanceTypes, architectures, cudaDrivers  distinct

	details        []nodeDetail
	detailBytes    int
	detailsOmitted int

	// labels and taints are the NodeTopology label and taint subtypes in
	// AICR's shape: the nodes carrying each label value (of TopologyLabels
	// only) and each taint.
	labels map[labelID]*members
	taints map[taintID]*members
}

// TopologyLabels are the node labels the NodeTopology label subtype
// records (AICR's `aicr snapshot` records every label; these are the ones
// the fingerprint and the summary read, so nothing else about the nodes is
// gathered).
func TopologyLabels() []string {
	return []string{labelGPUProduct, labelRegion, labelZone, labelInstanceType}
}

type labelID struct{ key, value string }

type taintID struct{ key, effect, value string }

// members are the nodes of one label value or taint: all counted, the
// names kept while the node details are (see Options.MaxNodeDetails).
type members struct {
	count int
	names []string
}

func (m *members) add(name string, keep bool) {
	m.count++
	if keep {
		m.names = append(m.names, name)
	}
}

// nodeList renders members as AICR does: the node names sorted and
// comma-joined, then " (+N more)" for the N nodes not named.
func (m *members) nodeList() string {
	names := append([]string(nil), m.names...)
	sort.Strings(names)
	s := strings.Join(names, ",")
	if more := m.count - len(names); more > 0 {
		s += fmt.Sprintf(" (+%d more)", more)
	}
	return s
}

func newAggregate(serverVersion string, maxDetails int) *aggregate {
	return &aggregate{serverVersion: serverVersion, maxDetails: maxDetails, labels: map[labelID]*members{}, taints: map[taintID]*members{}}
}

// addMembership records node name (kept when keep) under its topology
// labels and its taints; at most maxDistinct distinct entries of each.
func (a *aggregate) addMembership(n *corev1.Node, name string, keep bool) {
	for _, k := range TopologyLabels() {
		v, ok := n.Labels[k]
		if !ok {
			continue
		}
		id := labelID{key: k, value: v}
		m := a.labels[id]
		if m == nil {
			if len(a.labels) >= maxDistinct {
				continue
			}
			id.value = strings.Clone(v)
			m = &members{}
			a.labels[id] = m
		}
		m.add(name, keep)
	}
	for _, t := range n.Spec.Taints {
		id := taintID{key: t.Key, effect: string(t.Effect), value: t.Value}
		m := a.taints[id]
		if m == nil {
			if len(a.taints) >= maxDistinct {
				continue
			}
			id = taintID{key: strings.Clone(t.Key), effect: strings.Clone(string(t.Effect)), value: strings.Clone(t.Value)}
			m = &members{}
			a.taints[id] = m
		}
		m.add(name, keep)
	}
}

// maxGPUsPerNode bounds one node's GPU count, so a silly label cannot overflow
// the sum.
const maxGPUsPerNode = 1 << 16

func (a *aggregate) add(n *corev1.Node) {
	a.nodes++
	labels := n.Labels
	info := &n.Status.NodeInfo

	a.providers.add(NodeProvider(n.Spec.ProviderID, labels, a.serverVersion))
	a.kubelet.add(info.KubeletVersion)
	a.kernel.add(info.KernelVersion)
	a.operatingSystem.add(info.OperatingSystem)
	a.osImages.add(info.OSImage)
	a.architectures.add(info.Architecture)
	if rt := strings.TrimSpace(info.ContainerRuntimeVersion); rt != "" {
		name, ver, ok := strings.Cut(rt, "://")
		if !ok {
			name, ver = "", rt
		}
		a.runtimeNames.add(name)
		a.runtimeVersions.add(ver)
	}
	region := firstLabel(labels, labelRegion, labelRegionBeta)
	zone := firstLabel(labels, labelZone, labelZoneBeta)
	instanceType := firstLabel(labels, labelInstanceType, labelInstanceBeta)
	a.regions.add(region)
	a.zones.add(zone)
	a.instanceTypes.add(instanceType)

	product := strings.TrimSpace(labels[labelGPUProduct])
	countLabel := strings.TrimSpace(labels[labelGPUCount])
	var allocatable int64
	if q, ok := n.Status.Allocatable[resourceGPU]; ok {
		allocatable = q.Value()
	}
	cuda := cudaDriver(labels)
	if product != "" || allocatable > 0 {
		a.gpuNodes++
		a.gpuProducts.add(product)
		a.gpuOSImages.add(info.OSImage)
		a.cudaDrivers.add(cuda)
		count, err := strconv.ParseInt(countLabel, 10, 64)
		if err != nil || count < 0 {
			count = allocatable
		}
		a.gpuCount += min(max(count, 0), maxGPUsPerNode)
	}

	if len(a.details) >= a.maxDetails || a.detailBytes > maxNodeDetailBytes {
		if a.maxDetails > 0 {
			a.detailsOmitted++
		}
		a.addMembership(n, "", false)
		return
	}
	var ips []string
	for _, addr := range n.Status.Addresses {
		if addr.Type == corev1.NodeInternalIP && strings.TrimSpace(addr.Address) != "" {
			ips = append(ips, strings.TrimSpace(addr.Address))
		}
	}
	name := strings.Clone(n.Name)
	a.addMembership(n, name, true)
	d := nodeDetail{
		name:         name,
		providerID:   strings.Clone(strings.TrimSpace(n.Spec.ProviderID)),
		internalIPs:  strings.Clone(strings.Join(ips, ",")),
		gpuProduct:   strings.Clone(product),
		gpuCount:     strings.Clone(countLabel),
		cudaDriver:   cuda, // cudaDriver returns a copy
		region:       strings.Clone(region),
		zone:         strings.Clone(zone),
		instanceType: strings.Clone(instanceType),
	}
	a.details = append(a.details, d)
	a.detailBytes += d.size()
}

// firstLabel returns the first non-blank value among the keys.
func firstLabel(labels map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(labels[k]); v != "" {
			return v
		}
	}
	return ""
}

// cudaDriver returns the NVIDIA driver version from GPU feature discovery
// labels: nvidia.com/cuda.driver-version.full, else major.minor.rev from
// nvidia.com/cuda.driver.{major,minor,rev} (as many parts as are present, from
// major on).
func cudaDriver(labels map[string]string) string {
	if v := strings.TrimSpace(labels[labelCUDADriverFull]); v != "" {
		return strings.Clone(v)
	}
	var parts []string
	for _, k := range []string{labelCUDADriverMaj, labelCUDADriverMin, labelCUDADriverRev} {
		v := strings.TrimSpace(labels[k])
		if v == "" {
			break
		}
		parts = append(parts, v)
	}
	return strings.Clone(strings.Join(parts, "."))
}

// snapshot renders the aggregate as measurements.
func (a *aggregate) snapshot(platform string) *Snapshot {
	s := &Snapshot{}

	server := map[string]any{}
	putString(server, "version", a.serverVersion)
	putString(server, "platform", strings.TrimSpace(platform))
	node := map[string]any{}
	putList(node, "provider", &a.providers, limitFingerprint)
	putList(node, "kubelet-version", &a.kubelet, limitOther)
	putList(node, "kernel-version", &a.kernel, limitOther)
	putList(node, "operating-system", &a.operatingSystem, limitOther)
	putList(node, "os-image", &a.osImages, limitOther)
	putList(node, "container-runtime-name", &a.runtimeNames, limitOther)
	putList(node, "container-runtime-version", &a.runtimeVersions, limitOther)
	k8s := fingerprint.Measurement{Type: "K8s", Subtypes: []fingerprint.Subtype{{Subtype: "server", Data: server}}}
	if len(node) > 0 {
		k8s.Subtypes = append(k8s.Subtypes, fingerprint.Subtype{Subtype: "node", Data: node})
	}
	s.Measurements = append(s.Measurements, k8s)

	if release := a.osRelease(); len(release) > 0 {
		s.Measurements = append(s.Measurements, fingerprint.Measurement{
			Type: "OS", Subtypes: []fingerprint.Subtype{{Subtype: "release", Data: release}},
		})
	}

	summary := map[string]any{
		"node-count":     a.nodes,
		"gpu-node-count": a.gpuNodes,
		"gpu-count":      int(a.gpuCount),
	}
	putList(summary, "gpu-products", &a.gpuProducts, limitFingerprint)
	putList(summary, "regions", &a.regions, limitFingerprint)
	putList(summary, "zones", &a.zones, limitOther)
	putList(summary, "instance-types", &a.instanceTypes, limitOther)
	putList(summary, "architectures", &a.architectures, limitOther)
	putList(summary, "cuda-driver", &a.cudaDrivers, limitOther)
	topo := fingerprint.Measurement{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{{Subtype: "summary", Data: summary}}}
	if len(a.taints) > 0 {
		topo.Subtypes = append(topo.Subtypes, fingerprint.Subtype{Subtype: "taint", Data: a.taintData()})
	}
	if len(a.labels) > 0 {
		topo.Subtypes = append(topo.Subtypes, fingerprint.Subtype{Subtype: "label", Data: a.labelData()})
	}
	if nodes := a.nodeDetails(); nodes != nil {
		topo.Subtypes = append(topo.Subtypes, fingerprint.Subtype{Subtype: "nodes", Data: nodes})
	}
	s.Measurements = append(s.Measurements, topo)
	return s
}

// labelData renders the label subtype in AICR's encoding: key
// "<label>" with value "<value>|<nodes>", or, when the label has several
// values, one key "<label>.<value>" per value.
func (a *aggregate) labelData() map[string]any {
	values := map[string]int{}
	for id := range a.labels {
		values[id.key]++
	}
	out := make(map[string]any, len(a.labels))
	for id, m := range a.labels {
		key := id.key
		if values[id.key] > 1 {
			key += "." + id.value
		}
		out[key] = id.value + "|" + m.nodeList()
	}
	return out
}

// taintData renders the taint subtype in AICR's encoding: key "<taint>"
// with value "<effect>|<value>|<nodes>", or, when the taint key has several
// effects, one key "<taint>.<effect>" per effect with value
// "<value>|<nodes>". Two taints that still share a key (same key and
// effect, other values) keep the first by value.
func (a *aggregate) taintData() map[string]any {
	effects := map[string]int{}
	ids := make([]taintID, 0, len(a.taints))
	for id := range a.taints {
		effects[id.key]++
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].key != ids[j].key {
			return ids[i].key < ids[j].key
		}
		if ids[i].effect != ids[j].effect {
			return ids[i].effect < ids[j].effect
		}
		return ids[i].value < ids[j].value
	})
	out := make(map[string]any, len(ids))
	for _, id := range ids {
		key, v := id.key, id.effect+"|"+id.value+"|"+a.taints[id].nodeList()
		if effects[id.key] > 1 {
			key, v = id.key+"."+id.effect, id.value+"|"+a.taints[id].nodeList()
		}
		if _, taken := out[key]; !taken {
			out[key] = v
		}
	}
	return out
}

// osRelease derives OS.release from the GPU nodes' images (the recipe is about
// them), or from every node's when there is no GPU node. Distinct IDs or
// versions are comma-joined; PRETTY_NAME lists the distinct images.
func (a *aggregate) osRelease() map[string]any {
	images := &a.gpuOSImages
	if images.empty() {
		images = &a.osImages
	}
	var ids, versions distinct
	for _, img := range images.sorted() {
		if id, ver, ok := ParseOSImage(img); ok {
			ids.add(id)
			versions.add(ver)
		}
	}
	out := map[string]any{}
	putList(out, "ID", &ids, limitOSRelease)
	if !ids.empty() {
		putList(out, "VERSION_ID", &versions, limitOSRelease)
	}
	putList(out, "PRETTY_NAME", images, limitOther)
	return out
}

// nodeDetails renders NodeTopology.nodes, or nil when no node is described.
func (a *aggregate) nodeDetails() map[string]any {
	if len(a.details) == 0 && a.detailsOmitted == 0 {
		return nil
	}
	out := make(map[string]any, 8*len(a.details)+1)
	for _, d := range a.details {
		p := d.name + "."
		putString(out, p+"provider-id", d.providerID)
		putString(out, p+"internal-ips", d.internalIPs)
		putString(out, p+"gpu-product", d.gpuProduct)
		putString(out, p+"gpu-count", d.gpuCount)
		putString(out, p+"cuda-driver", d.cudaDriver)
		putString(out, p+"region", d.region)
		putString(out, p+"zone", d.zone)
		putString(out, p+"instance-type", d.instanceType)
	}
	if a.detailsOmitted > 0 {
		out["nodes-omitted"] = a.detailsOmitted
	}
	return out
}

func putString(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

func putList(m map[string]any, key string, d *distinct, limit int) {
	if !d.empty() {
		m[key] = d.join(limit)
	}
}

// oneLine flattens an error's message onto one line, keeping it in the chain.
func oneLine(err error) error {
	msg := err.Error()
	if !strings.ContainsAny(msg, "\r\n") {
		return err
	}
	return &flatError{msg: strings.Join(strings.Fields(msg), " "), err: err}
}

type flatError struct {
	msg string
	err error
}

func (e *flatError) Error() string { return e.msg }
func (e *flatError) Unwrap() error { return e.err }

// withStatus adds the HTTP status of an API error whose message lacks it
// (client-go's /version call reports a refused request as just "unknown").
func withStatus(err error) error {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return err
	}
	s := st.Status()
	if s.Code == 0 || strings.Contains(err.Error(), strconv.Itoa(int(s.Code))) {
		return err
	}
	return fmt.Errorf("%d %s (%s): %w", s.Code, http.StatusText(int(s.Code)), s.Reason, err)
}
