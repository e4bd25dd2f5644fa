// Package fingerprint derives the cluster fingerprint from an AICR snapshot in
// measurement form and matches it against a recipe's criteria.
//
// The emitter and the verifier share this one implementation: the emitter writes
// the results into the predicate, and the verifier recomputes them from the
// bundle's snapshot.yaml and recipe.yaml and reports any difference (see
// CompareFingerprint and CompareMatch).
//
// The fingerprint reads only these measurement fields, the ones that survive the
// emitter's minimisation:
//
//	K8s.server.version                 -> k8sVersion
//	K8s.node.provider                  -> service
//	OS.release.ID, OS.release.VERSION_ID -> os
//	GPU.hardware.model                 -> accelerator, gpuModel
//	NodeTopology.summary.gpu-products  -> accelerator, gpuModel (when the model is absent)
//	NodeTopology.summary.regions       -> region
//	NodeTopology.summary.node-count    -> nodeCount
//	NodeTopology.summary.gpu-node-count -> gpuNodeCount
//
// A top-level "fingerprint:" block in the snapshot is advisory and is ignored.
// Every result is deterministic: no map iteration order reaches the output.
package fingerprint
