package snapshot

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"k8s.io/client-go/discovery"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// membenchEnv names the node count TestMemoryBench snapshots; the test is
// skipped when it is unset. scripts/bench-emit-memory.sh runs it, one size per
// process, and reads the process's peak RSS: 0 is the baseline (the fake API
// server started and /version read, no node listed).
const membenchEnv = "SNAPSHOT_MEMBENCH_NODES"

// membenchImages is how many extra container images each generated node lists
// in the memory benchmark, so that node objects have the size of a real GPU
// node with the GPU operator and its daemon sets (about 8 KiB of JSON; CPU
// nodes about 6 KiB).
const membenchImages = 12

// TestMemoryBench runs the emitter's snapshot path (Collect with the emitter's
// options, Marshal of the raw snapshot, minimal redaction, Marshal of the
// shipped one, the fingerprint) against the paginated fake API server and
// prints the process's peak RSS (VmHWM). It asserts nothing about time or
// memory; the script compares the numbers.
func TestMemoryBench(t *testing.T) {
	text := os.Getenv(membenchEnv)
	if text == "" {
		t.Skip(membenchEnv + " not set (scripts/bench-emit-memory.sh sets it)")
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a node count", membenchEnv, text)
	}
	api, srv := newAPIServer(t, n)
	api.padImages(membenchImages)
	client := clientFor(t, srv.URL)
	ctx := context.Background()
	if n == 0 {
		if _, err := discovery.ToServerVersionInterfaceWithContext(client.Discovery()).ServerVersionWithContext(ctx); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("membench nodes=0 node-json-bytes=gpu:%d,cpu:%d VmHWM-KiB=%d\n", api.nodeBytes(false), api.nodeBytes(true), vmHWM(t))
		return
	}
	raw, err := Collect(ctx, client, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rawBytes, err := Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	shipped, _, err := Redact(raw, "minimal")
	if err != nil {
		t.Fatal(err)
	}
	shippedBytes, err := Marshal(shipped)
	if err != nil {
		t.Fatal(err)
	}
	fp := fingerprint.ComputeFromSnapshot(raw)
	if got := subtypeData(t, raw, "NodeTopology", "summary")["node-count"]; got != n {
		t.Fatalf("node-count %v, want %d", got, n)
	}
	fmt.Printf("membench nodes=%d raw-bytes=%d shipped-bytes=%d fingerprint=%s VmHWM-KiB=%d\n",
		n, len(rawBytes), len(shippedBytes), fmtOK(fp), vmHWM(t))
}

// padImages adds n container images to every generated node's status.images.
func (s *apiServer) padImages(n int) {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"names":["nvcr.io/nvidia/k8s/dcgm-exporter@sha256:%064x","nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.%d-ubuntu22.04"],"sizeBytes":%d},`,
			0xdc9e0000+i, i, 1_300_000_000+i*7919)
	}
	pad := func(tmpl []string) []string {
		out := append([]string(nil), tmpl...)
		for k := 0; k < len(out); k += 2 {
			if strings.Contains(out[k], `"images":[`) {
				out[k] = strings.Replace(out[k], `"images":[`, `"images":[`+b.String(), 1)
				return out
			}
		}
		s.t.Fatal("node template has no status.images")
		return nil
	}
	s.gpuTmpl, s.cpuTmpl = pad(s.gpuTmpl), pad(s.cpuTmpl)
}

// nodeBytes is the approximate JSON size of one generated node.
func (s *apiServer) nodeBytes(cpu bool) int {
	tmpl := s.gpuTmpl
	if cpu {
		tmpl = s.cpuTmpl
	}
	n := 0
	for k, part := range tmpl {
		if k%2 == 0 {
			n += len(part)
		} else {
			n += 20
		}
	}
	return n
}

// vmHWM reads the process's peak resident set size, in KiB.
func vmHWM(t testing.TB) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// fmtOK says that a fingerprint was computed (its value is not the point here).
func fmtOK(any) string { return "computed" }
