#!/usr/bin/env bash
# bench-emit-memory.sh — the emitter's peak RSS against a fake Kubernetes API server.
#
# Usage: scripts/bench-emit-memory.sh [SIZES...]   (node counts, default 500 5000 20000)
#
# Builds internal/snapshot's test binary and runs its TestMemoryBench, one
# process per size: an httptest API server on loopback serves real-shaped
# nodes (labels, annotations, images, conditions of an EKS p5 GPU node; one
# CPU node in five; about 6-8 KiB of JSON each) in pages of 500, and the test
# runs the emitter's snapshot path on it (Collect, Marshal of the raw
# snapshot, minimal redaction, Marshal of the shipped one, the fingerprint).
# Each process runs under /usr/bin/time -v; it also prints its own VmHWM.
# The baseline, in the same run, is the same binary with 0 nodes (server
# started, /version read, nothing listed).
#
# Target: peak RSS <= 128 MiB at 20,000 nodes; exit 1 if missed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -x /usr/bin/time ]] || { echo "bench-emit-memory: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
sizes=("$@")
((${#sizes[@]})) || sizes=(500 5000 20000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building the internal/snapshot test binary..."
(cd "$repo" && go test -c -o "$tmp/snapshot.test" ./internal/snapshot)

# run N: peak RSS in KiB of one TestMemoryBench process with N nodes.
run() {
	(cd "$repo/internal/snapshot" && SNAPSHOT_MEMBENCH_NODES=$1 /usr/bin/time -v -o "$tmp/time.txt" \
		"$tmp/snapshot.test" -test.run '^TestMemoryBench$' -test.count=1 >"$tmp/out.txt" 2>&1) ||
		{ echo "bench-emit-memory: $1 nodes failed:" >&2; cat "$tmp/out.txt" >&2; exit 1; }
	grep '^membench ' "$tmp/out.txt" >>"$tmp/detail.txt"
	awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$tmp/time.txt"
}

base=$(run 0)
printf "%-8s %12s %10s\n" nodes "peak RSS" "/baseline"
printf "%-8s %8.1f MiB %10s\n" baseline "$(awk -v k="$base" 'BEGIN { print k / 1024 }')" 1.00
status=0
for n in "${sizes[@]}"; do
	kib=$(run "$n")
	awk -v n="$n" -v k="$kib" -v b="$base" 'BEGIN { printf "%-8s %8.1f MiB %10.2f\n", n, k / 1024, k / b }'
	if ((n == 20000 && kib > 128 * 1024)); then status=1; fi
done
if ((status)); then echo "peak RSS at 20,000 nodes above the 128 MiB target: FAIL"; else echo "target (<= 128 MiB at 20,000 nodes, when measured): PASS"; fi
echo "per run (VmHWM as the process saw it, snapshot sizes):"
sed 's/^/  /' "$tmp/detail.txt"
exit $status
