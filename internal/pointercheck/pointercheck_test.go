package pointercheck

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aicr/verify-evidence/internal/testutil"
)

func TestLoopbackRegistry(t *testing.T) {
	for h, want := range map[string]bool{
		"127.0.0.1:5000": true, "[::1]:5000": true, "localhost:5000": true, "127.1.2.3:80": true,
		"127.0.0.1": false, "registry.example:5000": false, "10.0.0.1:5000": false, "127.0.0.1:50x0": false,
		"[::1]": false, "localhost.example:5000": false, "": false, "127.0.0.1:": false,
	} {
		if got := LoopbackRegistry(h); got != want {
			t.Errorf("LoopbackRegistry(%q) = %v, want %v", h, got, want)
		}
	}
	allow := PlainHTTPList([]string{"127.0.0.1:5000"})
	if !allow("127.0.0.1:5000") || allow("127.0.0.1:5001") {
		t.Error("PlainHTTPList allows another registry than those listed")
	}
}

// A budget of n grants exactly n pulls, however many ask at once.
func TestBudget(t *testing.T) {
	b := NewBudget(7, "over")
	var granted atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.take() {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 7 {
		t.Errorf("granted %d pulls, want 7", granted.Load())
	}
}

// The registry of the shipped pointers: the signed one names the loopback
// registry; a pending one names none (nothing to pull).
func TestRegistryOf(t *testing.T) {
	for bundle, want := range map[string]string{"v1-eks-signed-pushed": "127.0.0.1:5000", "v1-eks-minimal": ""} {
		b, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/pointer.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if got := RegistryOf(b); got != want {
			t.Errorf("%s: RegistryOf = %q, want %q", bundle, got, want)
		}
		if info := Parse(b); info == nil || info.Pending != (want == "") {
			t.Errorf("%s: Parse = %+v", bundle, info)
		}
	}
	if RegistryOf([]byte("not: [a pointer")) != "" || Parse([]byte("x: 1")) != nil {
		t.Error("an unreadable pointer names a registry")
	}
}
