#!/usr/bin/env bash
# bench-sweep.sh — `verify-evidence sweep` over a synthetic repository of N recipes with ~1 MB
# signed bundles each (internal/tools/benchsweep: the example h100 inputs plus a generated log,
# internal/benchdata), cold and with a warm cache.
#
# Usage: scripts/bench-sweep.sh [N]   (default 1000; BENCH_SWEEP_DATA=DIR keeps and reuses the generated data)
#
# Prints, all measured in this one command:
#   - the cold sweep of N bundles: wall time, peak RSS, and its ratio to the baseline
#     `gzip -dc | sha256sum` of every bundle, one after another (what any verifier must do);
#   - linearity: the cold sweep of the first N/4 recipes, per-bundle time against the full run's;
#   - the warm sweep (same checkout, same cache): wall time and its ratio to the cold sweep.
# The checkouts are git work trees (git init; git add), as a workflow's checkout is: a warm sweep
# takes the sha256 of a bundle git's index vouches for from the cache instead of reading it.
# Targets: peak RSS <= 256 MiB at both sizes, per-bundle time ratio N/4 vs N within 0.67..1.5
# (linear), warm/cold <= 0.05. Exit 1 if one is missed.
set -euo pipefail

n=${1:-1000}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -x /usr/bin/time ]] || { echo "bench-sweep: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench-sweep: jq not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$repo" && go build -o "$tmp/verify-evidence" . && go build -o "$tmp/benchsweep" ./internal/tools/benchsweep)
# BENCH_SWEEP_DATA=DIR keeps the generated repository there and reuses it (same N) next time.
data=${BENCH_SWEEP_DATA:-$tmp/b}
if [[ -f $data/n && $(cat "$data/n") == "$n" ]]; then
	echo "reusing $n recipes in $data"
else
	echo "generating $n recipes with signed ~1 MB bundles..."
	rm -rf "$data"
	(cd "$repo" && "$tmp/benchsweep" -n "$n" -out "$data")
	echo "$n" >"$data/n"
fi
# gitadd DIR: make DIR a git work tree with every file in the index (not timed).
gitadd() { (cd "$1" && git init -q && git -c core.compression=1 -c core.looseCompression=1 add -A); }
if [[ ! -f $data/repo/.git/index ]]; then
	echo "git add (the checkout's index)..."
	gitadd "$data/repo"
fi
[[ $data == "$tmp/b" ]] || ln -s "$data" "$tmp/b"
quarter=$((n / 4))
mkdir -p "$tmp/q/recipes/evidence"
for ((i = 0; i < quarter; i++)); do
	name=$(printf 'bench-%04d' "$i")
	cp "$tmp/b/repo/recipes/$name.yaml" "$tmp/q/recipes/"
	cp -r "$tmp/b/repo/recipes/evidence/$name" "$tmp/q/recipes/evidence/"
done
gitadd "$tmp/q"
bytes=$(cat "$tmp"/b/repo/recipes/evidence/*/evidence-bundle.tar.gz | wc -c)
cat "$tmp"/b/repo/recipes/evidence/*/evidence-bundle.tar.gz >/dev/null # warm the page cache

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
mincpu() { awk -v a="$(cpu "$1")" -v b="$(cpu "$2")" 'BEGIN { print (a < b) ? a : b }'; }
rss() { awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$1"; }

t0=$(now)
for f in "$tmp"/b/repo/recipes/evidence/*/evidence-bundle.tar.gz; do gzip -dc "$f" | sha256sum >/dev/null; done
base=$(since "$t0")
echo "baseline done; sweeping (cold, warm and a quarter, twice each)..."

# sweep CHECKOUT CACHE REPORT TIMEFILE: prints the wall time.
sweep() {
	local t0 status
	t0=$(now)
	status=0
	/usr/bin/time -v -o "$4" "$tmp/verify-evidence" sweep "$1" --trusted-root "$tmp/b/trusted_root.json" --policy "$tmp/b/policy.yaml" \
		--max-age 0 --cache "$2" --format json --output "$3" 2>"$tmp/stderr" || status=$?
	if ((status != 0)); then
		echo "sweep failed ($status):" >&2
		cat "$tmp/stderr" >&2
		exit 1
	fi
	since "$t0"
}
# Each timing is the best of two runs (the machine may be shared); cold runs start from an empty
# cache, warm runs reuse the first cold run's. Peak RSS is the worst seen.
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }
worst_rss() { local a b; a=$(rss "$1"); b=$(rss "$2"); echo $((a > b ? a : b)); }
cold1=$(sweep "$tmp/b/repo" "$tmp/cache" "$tmp/cold.json" "$tmp/cold1.time")
cold2=$(sweep "$tmp/b/repo" "$tmp/cache2" "$tmp/cold2.json" "$tmp/cold2.time")
warm1=$(sweep "$tmp/b/repo" "$tmp/cache" "$tmp/warm.json" "$tmp/warm1.time")
warm2=$(sweep "$tmp/b/repo" "$tmp/cache" "$tmp/warm2.json" "$tmp/warm2.time")
q1=$(sweep "$tmp/q" "$tmp/qcache" "$tmp/q.json" "$tmp/q1.time")
q2=$(sweep "$tmp/q" "$tmp/qcache2" "$tmp/q2.json" "$tmp/q2.time")
cold=$(best "$cold1" "$cold2"); warm=$(best "$warm1" "$warm2"); qcold=$(best "$q1" "$q2")

jq -e --argjson n "$n" '.counts.passed == $n and .cache.misses == $n' "$tmp/cold.json" >/dev/null || { echo "cold sweep: not $n passed and verified" >&2; jq .counts,.cache "$tmp/cold.json" >&2; exit 1; }
jq -e --argjson n "$n" '.counts.passed == $n and .cache.hits == $n' "$tmp/warm.json" >/dev/null || { echo "warm sweep: not $n passed from the cache" >&2; jq .counts,.cache "$tmp/warm.json" >&2; exit 1; }

awk -v n="$n" -v q="$quarter" -v bytes="$bytes" -v base="$base" -v cold="$cold" -v warm="$warm" -v qcold="$qcold" \
	-v cc="$(mincpu "$tmp/cold1.time" "$tmp/cold2.time")" -v cw="$(mincpu "$tmp/warm1.time" "$tmp/warm2.time")" \
	-v rc="$(worst_rss "$tmp/cold1.time" "$tmp/cold2.time")" -v rw="$(worst_rss "$tmp/warm1.time" "$tmp/warm2.time")" -v rq="$(worst_rss "$tmp/q1.time" "$tmp/q2.time")" 'BEGIN {
	printf "%d recipes, %.1f MB of bundles (%.2f MB each)\n", n, bytes / 1e6, bytes / n / 1e6
	printf "baseline gzip -dc | sha256sum, each bundle: %.2fs\n", base
	printf "cold sweep (%d bundles): %.2fs, peak RSS %.1f MiB; ratio to the baseline %.2f\n", n, cold, rc / 1024, cold / base
	printf "cold sweep (%d bundles): %.2fs, peak RSS %.1f MiB\n", q, qcold, rq / 1024
	lin = (qcold / q) / (cold / n)
	printf "linearity: per-bundle time at %d vs %d: %.2f (target 0.67..1.5) %s\n", q, n, lin, (lin >= 0.67 && lin <= 1.5 ? "PASS" : "FAIL")
	m = (rc > rq ? rc : rq); if (rw > m) m = rw
	printf "peak RSS: %.1f MiB (target <= 256, any count) %s\n", m / 1024, (m / 1024 <= 256 ? "PASS" : "FAIL")
	printf "CPU time (user+system, best of two): cold %.2fs, warm %.2fs; warm/cold %.3f\n", cc, cw, cw / cc
	r = warm / cold
	printf "warm sweep (same %d bundles, cache hits): %.2fs, peak RSS %.1f MiB; warm/cold %.3f (target <= 0.05) %s\n", n, warm, rw / 1024, r, (r <= 0.05 ? "PASS" : "FAIL")
	exit (lin >= 0.67 && lin <= 1.5 && m / 1024 <= 256 && r <= 0.05) ? 0 : 1
}'
