#!/usr/bin/env bash
# bench-archive.sh — measure internal/archive.Read against `gzip -dc | sha256sum`.
#
# Usage: scripts/bench-archive.sh [SIZE]     (SIZE of logs/run.log, default 1GiB;
#                                             suffixes KiB, MiB, GiB)
# Environment:
#   BENCH_BUNDLE=FILE   read (and, if missing, generate) this bundle instead of
#                       a temporary one, so that repeated runs skip generation.
#
# It builds internal/tools/benchread, generates a bundle (a few small
# documents plus one big log of pseudo-random log lines, written with
# archive.Write), then times, alternately and twice each, the baseline pipeline
# `gzip -dc FILE | sha256sum` (two processes, so two cores) and `benchread read
# FILE` (archive.Read: gunzip + tar parsing + SHA-256 of every file + all the
# checks), taking the best run of each. Throughput is decompressed bytes per
# wall-clock second (MB = 10^6 bytes) for both. The reader runs under
# /usr/bin/time -v for its peak RSS.
#
# Targets: ratio (ours / baseline) >= 0.8 and peak RSS <= 64 MiB. Exit status 1
# if a target is missed.
set -euo pipefail

size=${1:-1GiB}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

for tool in go gzip sha256sum awk; do
	command -v "$tool" >/dev/null || { echo "bench-archive: $tool not found" >&2; exit 2; }
done
if [[ ! -x /usr/bin/time ]]; then
	echo "bench-archive: /usr/bin/time not found (Debian/Ubuntu: apt-get install time)" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building benchread..."
(cd "$repo" && go build -o "$tmp/benchread" ./internal/tools/benchread)

bundle=${BENCH_BUNDLE:-$tmp/evidence-bundle.tar.gz}
if [[ ! -s $bundle ]]; then
	echo "generating a bundle with a $size log at $bundle..."
	"$tmp/benchread" gen "$size" "$bundle"
fi
cat "$bundle" >/dev/null # warm the page cache for both contestants

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

base_best=""
ours_best=""
peak_kib=0
decompressed=""
for run in 1 2; do
	t0=$(now)
	gzip -dc "$bundle" | sha256sum >/dev/null
	t1=$(now)
	base=$(elapsed "$t0" "$t1")
	base_best=$(best "$base_best" "$base")

	t0=$(now)
	out=$(/usr/bin/time -v -o "$tmp/time.txt" "$tmp/benchread" read "$bundle")
	t1=$(now)
	ours=$(elapsed "$t0" "$t1")
	ours_best=$(best "$ours_best" "$ours")
	rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$tmp/time.txt")
	if ((rss > peak_kib)); then
		peak_kib=$rss
	fi
	decompressed=$(sed -n 's/.*decompressed=\([0-9]*\).*/\1/p' <<<"$out")
	echo "run $run: baseline ${base}s, archive.Read ${ours}s (${out})"
done

compressed=$(stat -c %s "$bundle")
awk -v d="$decompressed" -v c="$compressed" -v base="$base_best" -v ours="$ours_best" -v rss="$peak_kib" '
BEGIN {
	base_mbps = d / base / 1e6
	ours_mbps = d / ours / 1e6
	ratio = ours_mbps / base_mbps
	rss_mib = rss / 1024
	ratio_ok = ratio >= 0.8
	rss_ok = rss_mib <= 64
	printf "bundle:               %d bytes compressed, %d bytes decompressed\n", c, d
	printf "baseline (gzip -dc | sha256sum): %8.1f MB/s (best %.3f s)\n", base_mbps, base
	printf "archive.Read:                    %8.1f MB/s (best %.3f s)\n", ours_mbps, ours
	printf "ratio:                %.2f (target >= 0.80)  %s\n", ratio, ratio_ok ? "PASS" : "FAIL"
	printf "peak RSS:             %.1f MiB (target <= 64 MiB)  %s\n", rss_mib, rss_ok ? "PASS" : "FAIL"
	exit !(ratio_ok && rss_ok)
}'
