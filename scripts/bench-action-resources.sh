#!/usr/bin/env bash
# bench-action-resources.sh — what one action run costs on hostile PRs: GitHub
# API calls and peak RSS.
#
# Usage: scripts/bench-action-resources.sh
#
# Builds internal/action's test binary and runs its TestResourceBench, one
# process per scenario: the test builds the real verify-evidence binary, serves
# the fake GitHub API (githubtest, the fake behind internal/tools/fakegithub)
# on loopback and runs `verify-evidence action` on a pull_request event under
# /usr/bin/time -v. It prints the API calls the fake served and the action's
# own log line ("…; N GitHub API calls"), and the binary's peak RSS:
#
#   (a) overlay4000  a PR that modifies one overlay; 4,000 tiny recipe files
#                    (unrelated overlays in other folders) at the head
#   (b) big40        a PR that adds 40 resolved recipes of ~1 MiB dense mappings
#                    (over the nodes parsed of one file: refused, too large to verify)
#   (b') under40     40 added recipes just under that bound (~780 KiB each): all parsed
#   (c) alias40      40 added recipes of a few hundred bytes whose YAML aliases expand to
#                    ~600,000 nodes each (the byte-based node estimate does not see aliases)
#   baseline         a PR that adds one small recipe (same command, for the ratio)
#
# Target: peak RSS <= 256 MiB for (b), (b') and (c); exit 1 if missed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -x /usr/bin/time ]] || { echo "bench-action-resources: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building the internal/action test binary..."
(cd "$repo" && go test -c -o "$tmp/action.test" ./internal/action)

# run SCENARIO: prints "KIB<TAB>resbench line" for one TestResourceBench process.
run() {
	(cd "$repo/internal/action" && VERIFY_EVIDENCE_RESBENCH=$1 VERIFY_EVIDENCE_RESBENCH_TIME=$tmp/time-$1.txt \
		"$tmp/action.test" -test.run '^TestResourceBench$' -test.count=1 -test.v >"$tmp/out-$1.txt" 2>&1) ||
		{ echo "bench-action-resources: $1 failed:" >&2; tail -40 "$tmp/out-$1.txt" >&2; exit 1; }
	local kib line
	kib=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$tmp/time-$1.txt")
	line=$(grep -m1 '^resbench ' "$tmp/out-$1.txt")
	[[ -n $kib ]] || { echo "bench-action-resources: $1: no peak RSS in /usr/bin/time's output" >&2; exit 1; }
	printf '%s\t%s\n' "$kib" "$line"
}

base=$(run baseline)
a=$(run overlay4000)
b=$(run big40)
u=$(run under40)
c=$(run alias40)
bk=${base%%$'\t'*} bbk=${b%%$'\t'*} uk=${u%%$'\t'*} ck=${c%%$'\t'*}
printf "%-12s %12s %10s  %s\n" scenario "peak RSS" "/baseline" "API calls (fake server; the action's log line)"
for pair in "baseline:$base" "overlay4000:$a" "big40:$b" "under40:$u" "alias40:$c"; do
	name=${pair%%:*} rest=${pair#*:}
	kib=${rest%%$'\t'*} line=${rest#*$'\t'}
	calls=$(sed -n 's/.*fake-api-calls=\([0-9]*\).*/\1/p' <<<"$line")
	log=$(sed -n 's/.*action-log="\(.*\)"$/\1/p' <<<"$line")
	awk -v n="$name" -v k="$kib" -v b="$bk" -v c="$calls" -v l="$log" \
		'BEGIN { printf "%-12s %8.1f MiB %10.2f  %s (%s)\n", n, k / 1024, k / b, c, l }'
done
if ((bbk > 256 * 1024 || uk > 256 * 1024 || ck > 256 * 1024)); then echo "peak RSS of (b), (b') or (c) above the 256 MiB target: FAIL"; exit 1; fi
echo "target (<= 256 MiB for (b), (b') and (c)): PASS"
