// Package ocitest starts a real OCI registry (distribution/distribution
// v3.0.0, the `registry` binary) on loopback for tests, and copies an OCI
// image layout into it with oras-go. Test support only.
package ocitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"
)

// RegistryVersion is the distribution release the tests run.
const RegistryVersion = "v3.0.0"

// ToolsBin is the tools cache (.ci/run's TOOLS_BIN).
func ToolsBin() string {
	if d := os.Getenv("VERIFY_EVIDENCE_TOOLS"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "verify-evidence", "bin")
}

// registryBinary returns the registry binary, installing it into the tools
// cache with `go install` when it is absent.
func registryBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(ToolsBin(), "registry")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/distribution/distribution/v3/cmd/registry@"+RegistryVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+ToolsBin())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install registry %s: %v\n%s", RegistryVersion, err, out)
	}
	return bin
}

// Start runs a registry listening on addr (host:port on loopback) with its
// storage in a temporary directory, and stops it when the test ends. When
// addr is busy the test is skipped, or fails under CI=true. It returns the
// storage directory (filesystem driver), for tests that tamper with blobs.
func Start(t testing.TB, addr string) string {
	t.Helper()
	_ = Listen(t, addr).Close() // takes the address's lock for the test
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(registryBinary(t), "serve", cfg)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("start registry: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return filepath.Join(dir, "data")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry on %s did not come up: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PushLayout copies every tagged manifest of the OCI image layout at dir
// (read-only) into repository repo of the registry at addr, under the same
// tags, with oras-go. Nothing is rewritten: digests stay the same.
func PushLayout(t testing.TB, dir, addr, repo string) {
	t.Helper()
	ctx := context.Background()
	src, err := oci.NewFromFS(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatalf("open layout %s: %v", dir, err)
	}
	dst, err := remote.NewRepository(addr + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	dst.PlainHTTP = true
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	for _, m := range index.Manifests {
		tag := m.Annotations["org.opencontainers.image.ref.name"]
		if tag == "" {
			continue
		}
		if _, err := oras.Copy(ctx, src, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
			t.Fatalf("copy %s: %v", tag, err)
		}
	}
}

// lockAddr takes a lock on addr shared by every test process of this
// machine (test packages run in parallel and several serve the address the
// shipped pointers name), held until the test ends.
func lockAddr(t testing.TB, addr string) {
	t.Helper()
	name := filepath.Join(os.TempDir(), "verify-evidence-ocitest-"+strings.NewReplacer(":", "_", "/", "_").Replace(addr)+".lock")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("lock %s: %v", addr, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		t.Fatalf("lock %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = f.Close() }) // closing releases the lock
}

// Listen listens on addr, holding the address's lock (see Start) and
// waiting up to two minutes while it is busy; then the test is skipped, or
// fails under CI=true.
func Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	lockAddr(t, addr)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			return l
		}
		if time.Now().After(deadline) {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is busy: %v", addr, err)
			}
			t.Skipf("%s is busy (%v); the shipped pointers name this address", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
