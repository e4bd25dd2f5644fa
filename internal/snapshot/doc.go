// Package snapshot builds the emitter's cluster snapshot: the AICR measurement
// form (see docs/bundle-format.md §6) read straight from the Kubernetes API, its
// minimisation, and its deterministic YAML.
//
// Collect asks the API server for its version and lists the nodes page by page
// (Limit/Continue), folding each page into counters and sets of distinct values
// and dropping it before the next is fetched, so memory stays bounded by one
// page plus the distinct values (and, unless turned off, a compact per-node
// record; see Options.MaxNodeDetails). It writes these measurements, in this
// order:
//
//	K8s.server            version (gitVersion), platform
//	K8s.node              provider, kubelet-version, kernel-version,
//	                      operating-system, os-image, container-runtime-name,
//	                      container-runtime-version
//	OS.release            ID, VERSION_ID, PRETTY_NAME (from the nodes' osImage)
//	NodeTopology.summary  node-count, gpu-node-count, gpu-count, gpu-products,
//	                      regions, zones, instance-types, architectures,
//	                      cuda-driver
//	NodeTopology.taint    AICR's encoding: <taint>: <effect>|<value>|<nodes>
//	                      (<taint>.<effect>: <value>|<nodes> for several effects)
//	NodeTopology.label    AICR's encoding, for TopologyLabels only:
//	                      <label>: <value>|<nodes> (<label>.<value> keys for
//	                      several values); <nodes> the sorted node names, then
//	                      " (+N more)" for those past the node-details cap
//	NodeTopology.nodes    per node: <name>.provider-id, .internal-ips,
//	                      .gpu-product, .gpu-count, .cuda-driver, .region,
//	                      .zone, .instance-type; nodes-omitted when capped
//
// A list reading holds the distinct non-blank values, sorted and comma-joined.
// When they do not fit (256 characters for the readings the fingerprint uses,
// 128 for OS.release ID and VERSION_ID, 1024 otherwise), the list keeps the
// first values that fit and ends with an item "(+N more)". That item is never a
// known GPU SKU, region or OS, so a truncated reading can only make the
// fingerprint less specific (multi-gpu, multi-region, unrecognised-os), never
// wrongly specific.
//
// NodeTopology.nodes is the sensitive part: node names, provider IDs, IP
// addresses and per-node labels; the label and taint subtypes name nodes too.
// Redact with policy "minimal" removes NodeTopology.nodes, replaces the node
// names of the kept label and taint entries by ordinals (#1, #2, …) and any
// value not allow-listed by a placeholder, scrubs node names wherever they
// appear, and drops everything else outside a fixed allow-list; policy
// "full" keeps everything.
// The fingerprint (fingerprint.ComputeFromSnapshot) reads only allow-listed
// readings, so it is the same before and after minimal redaction.
//
// Snapshot is fingerprint.Snapshot: the package writes the same Go types the
// verifier parses, and Marshal's output round-trips through
// fingerprint.ParseSnapshot.
package snapshot
