#!/usr/bin/env bash
# gpu-check.sh — read the GPUs through NVML (internal/gpu, go-nvml) and check every field
# against nvidia-smi, on a machine with an NVIDIA GPU.
#
# Usage: scripts/gpu-check.sh              live: NVML + nvidia-smi of this machine
#        scripts/gpu-check.sh --dry-run [DIR]
#                                          no GPU needed: replays DIR/nvml.json and compares it with
#                                          DIR/nvidia-smi-q.xml and DIR/nvidia-smi.csv (default DIR:
#                                          ../shared/testdata/hardware/h100-ubuntu2404 beside the clone)
#
# Environment:
#   OUT=DIR      write the results here (default: a new temporary folder, printed at the end)
#   GPUDUMP=BIN  a gpudump binary built beforehand (for a machine without Go):
#                  CGO_ENABLED=1 go build -o BIN ./internal/gpu/internal/gpudump
#                otherwise it is built here with cgo (needs go and a C compiler)
#   GPU_TEST=BIN a test binary built beforehand (go test -c -o BIN ./internal/gpu); when set, its
#                live tests (TestOpenReal: gpu.Open + Read on the real driver) run too
#
# It writes (at most 8 files, plain names):
#   nvml.json         the live NVML reading in the nvml.json fixture format (gpu.FromNVMLJSON reads it)
#   facts.json        gpu.Facts as JSON
#   nvidia-smi-q.xml  `nvidia-smi -q -x`
#   nvidia-smi.csv    `nvidia-smi --query-gpu=...,compute_cap --format=csv` (the XML lacks compute_cap)
#   comparison.json   every compared field (gpu.Comparisons) and the mismatches (gpu.Compare)
#   comparison.txt    the same as a table
#   host.txt          kernel, OS release, nvidia-smi -L, libnvidia-ml found
#   gpu-test.txt      the GPU_TEST run, when GPU_TEST is set
#
# Exit status: 0 NVML and nvidia-smi agree on every field; 1 a field differs; 2 an error;
# 3 NVML unavailable (no driver / libnvidia-ml.so.1 not found). Takes a few seconds once built.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=live
fixture=""
case "${1:-}" in
  "") ;;
  --dry-run)
    mode=dry-run
    fixture=${2:-$repo/../shared/testdata/hardware/h100-ubuntu2404}
    ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

out=${OUT:-}
if [[ -z $out ]]; then out=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX"); fi
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-bin.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { echo "gpu-check: $*" >&2; }

# 1. The helper binary.
bin=${GPUDUMP:-}
if [[ -z $bin ]]; then
  command -v go >/dev/null || { say "go not found; build gpudump elsewhere and set GPUDUMP"; exit 2; }
  say "building internal/gpu/internal/gpudump (cgo)"
  (cd "$repo" && CGO_ENABLED=1 go build -o "$work/gpudump" ./internal/gpu/internal/gpudump)
  bin=$work/gpudump
fi
[[ -x $bin ]] || { say "$bin is not an executable"; exit 2; }

# 2. The readings.
if [[ $mode == dry-run ]]; then
  for f in nvml.json nvidia-smi-q.xml nvidia-smi.csv; do
    [[ -f $fixture/$f ]] || { say "dry run: $fixture/$f is missing"; exit 2; }
  done
  cat "$fixture/nvidia-smi-q.xml" >"$out/nvidia-smi-q.xml"
  cat "$fixture/nvidia-smi.csv" >"$out/nvidia-smi.csv"
  src=(-nvml-json "$fixture/nvml.json")
  { echo "dry run: replayed $fixture"; uname -srm; cat "$fixture/host.txt" 2>/dev/null || true; } >"$out/host.txt"
else
  command -v nvidia-smi >/dev/null || { say "nvidia-smi not found"; exit 3; }
  # go-nvml dlopens libnvidia-ml.so.1: point the loader at the driver's folder when the cache lacks it.
  lib=""
  if ! ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1'; then
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib/wsl/lib; do
      if [[ -e $d/libnvidia-ml.so.1 ]]; then
        lib=$d/libnvidia-ml.so.1
        export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        break
      fi
    done
  fi
  timeout 60 nvidia-smi -q -x >"$out/nvidia-smi-q.xml"
  timeout 60 nvidia-smi --format=csv \
    --query-gpu=index,uuid,name,serial,driver_version,memory.total,pci.bus_id,pci.device_id,compute_cap,mig.mode.current,vbios_version \
    >"$out/nvidia-smi.csv"
  src=()
  {
    echo "live run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    uname -srm
    grep -E '^(PRETTY_NAME|ID|VERSION_ID)=' /etc/os-release 2>/dev/null || true
    timeout 30 nvidia-smi -L || true
    echo "libnvidia-ml.so.1: ${lib:-from the loader cache} ${LD_LIBRARY_PATH:+(LD_LIBRARY_PATH=$LD_LIBRARY_PATH)}"
  } >"$out/host.txt"
fi

# 3. NVML (live or replayed) against nvidia-smi.
set +e
timeout 120 "$bin" "${src[@]}" -raw-out "$out/nvml.json" \
  -compare "$out/nvidia-smi-q.xml" -compare-csv "$out/nvidia-smi.csv" -compare-out "$out/comparison.json" \
  >"$out/facts.json" 2>"$out/comparison.txt"
status=$?
set -e
cat "$out/comparison.txt" >&2

# 4. Optionally the package's own live tests on the real driver.
if [[ -n ${GPU_TEST:-} ]]; then
  set +e
  [[ $mode == live ]] && export GPU_REQUIRE_NVML=1
  timeout 120 "$GPU_TEST" -test.run 'TestOpenReal|TestReadReplaysRealReadings|TestNamesMatchNVML' -test.v -test.count=1 >"$out/gpu-test.txt" 2>&1
  tstatus=$?
  set -e
  tail -n 20 "$out/gpu-test.txt" >&2
  if [[ $tstatus -ne 0 && $status -eq 0 ]]; then status=2; fi
fi

case $status in
  0) say "OK ($mode): NVML and nvidia-smi agree; results in $out" ;;
  1) say "MISMATCH ($mode): see $out/comparison.json" ;;
  3) say "NVML unavailable ($mode): see $out/comparison.txt" ;;
  *) say "FAILED ($mode, status $status): see $out/comparison.txt" ;;
esac
exit "$status"
