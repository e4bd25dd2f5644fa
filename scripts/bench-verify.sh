#!/usr/bin/env bash
# bench-verify.sh — full verification of a large signed bundle, against `gzip -dc | sha256sum`.
#
# Usage: scripts/bench-verify.sh [SIZE]   (size of the bundle's log, default 1GiB)
#
# Builds verify-evidence and internal/tools/benchbundle, writes a signed bundle
# (the example h100 evidence plus one big logs/validation.log listed in the
# manifest) with its trusted root, then times, twice each and alternately, the
# baseline `gzip -dc FILE | sha256sum` and `verify-evidence verify FILE` (one
# streaming pass: archive safety, signature, every check of format §7), and
# prints throughput (decompressed MB/s, MB = 10^6 bytes), the ratio ours/baseline
# and verify-evidence's peak RSS (/usr/bin/time -v). Targets: ratio >= 0.8 and
# RSS <= 64 MiB; exit 1 if one is missed.
set -euo pipefail

size=${1:-1GiB}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -x /usr/bin/time ]] || { echo "bench-verify: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$repo" && go build -o "$tmp/verify-evidence" . && go build -o "$tmp/benchbundle" ./internal/tools/benchbundle)
echo "generating a signed bundle with a $size log..."
(cd "$repo" && "$tmp/benchbundle" -size "$size" -out "$tmp/b")
bundle=$tmp/b/evidence-bundle.tar.gz
cat "$bundle" >/dev/null

now() { date +%s.%N; }
best=""; base_best=""; peak=0
for run in 1 2; do
	t0=$(now); gzip -dc "$bundle" | sha256sum >/dev/null; t1=$(now)
	base=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	t0=$(now)
	/usr/bin/time -v -o "$tmp/time.txt" "$tmp/verify-evidence" verify "$bundle" --trusted-root "$tmp/b/trusted_root.json" \
		--allow-any-signer --max-age 0 --format json --output "$tmp/report.json" 2>/dev/null || { echo "verification failed" >&2; cat "$tmp/report.json" >&2; exit 1; }
	t1=$(now)
	ours=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$tmp/time.txt")
	((rss > peak)) && peak=$rss
	base_best=$(awk -v a="$base_best" -v b="$base" 'BEGIN { print (a == "" || b < a) ? b : a }')
	best=$(awk -v a="$best" -v b="$ours" 'BEGIN { print (a == "" || b < a) ? b : a }')
	echo "run $run: gzip -dc | sha256sum ${base}s, verify-evidence verify ${ours}s"
done
bytes=$(jq '.archive.bytes' "$tmp/report.json")
verdict=$(jq -r '.verdict' "$tmp/report.json")
awk -v d="$bytes" -v base="$base_best" -v ours="$best" -v rss="$peak" -v verdict="$verdict" 'BEGIN {
	b = d / base / 1e6; o = d / ours / 1e6; r = o / b; m = rss / 1024
	printf "decompressed: %d bytes; verdict: %s\n", d, verdict
	printf "verify-evidence verify: %.1f MB/s\n", o
	printf "gzip -dc | sha256sum:   %.1f MB/s\n", b
	printf "ratio: %.2f (target >= 0.8) %s\n", r, (r >= 0.8 ? "PASS" : "FAIL")
	printf "peak RSS: %.1f MiB (target <= 64) %s\n", m, (m <= 64 ? "PASS" : "FAIL")
	exit (r >= 0.8 && m <= 64 && verdict == "passed") ? 0 : 1
}'
