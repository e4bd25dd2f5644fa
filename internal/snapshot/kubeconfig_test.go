package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: gpu-cluster
    cluster:
      server: https://gpu-cluster.example.test:6443
      insecure-skip-tls-verify: true
  - name: other
    cluster:
      server: https://other.example.test
contexts:
  - name: gpu
    context: {cluster: gpu-cluster, user: ci}
  - name: other
    context: {cluster: other, user: ci}
current-context: gpu
users:
  - name: ci
    user:
      token: not-a-real-token
`

// isolate points HOME at an empty directory and removes KUBECONFIG and the
// in-cluster environment, so only what a test sets is found.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	return home
}

func writeKubeconfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigExplicit(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	writeKubeconfig(t, path, testKubeconfig)
	// Explicit beats KUBECONFIG.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://gpu-cluster.example.test:6443" || cfg.BearerToken != "not-a-real-token" {
		t.Errorf("config host %q token %q", cfg.Host, cfg.BearerToken)
	}

	missing := filepath.Join(t.TempDir(), "nope", "kubeconfig")
	_, err = LoadConfig(missing)
	if err == nil || !strings.Contains(err.Error(), "snapshot: kubeconfig "+missing+": ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing file: err = %v", err)
	}

	empty := filepath.Join(t.TempDir(), "empty")
	writeKubeconfig(t, empty, "")
	_, err = LoadConfig(empty)
	if err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), "no cluster is configured") {
		t.Errorf("empty file: err = %v", err)
	}

	bad := filepath.Join(t.TempDir(), "bad")
	writeKubeconfig(t, bad, strings.Replace(testKubeconfig, "current-context: gpu", "current-context: gone", 1))
	_, err = LoadConfig(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "\n") {
		t.Errorf("unknown context: err = %v", err)
	}
}

func TestLoadConfigEnvAndHome(t *testing.T) {
	home := isolate(t)
	// ~/.kube/config when nothing else is set.
	writeKubeconfig(t, filepath.Join(home, ".kube", "config"), strings.Replace(testKubeconfig, "current-context: gpu", "current-context: other", 1))
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://other.example.test" {
		t.Errorf("home config host %q", cfg.Host)
	}
	// KUBECONFIG (a path list; missing entries skipped) beats ~/.kube/config.
	path := filepath.Join(t.TempDir(), "kc")
	writeKubeconfig(t, path, testKubeconfig)
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent")+string(os.PathListSeparator)+path)
	cfg, err = LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://gpu-cluster.example.test:6443" {
		t.Errorf("KUBECONFIG host %q", cfg.Host)
	}
	// KUBECONFIG naming only missing files is an error naming it.
	only := filepath.Join(t.TempDir(), "absent")
	t.Setenv("KUBECONFIG", only)
	_, err = LoadConfig("")
	if err == nil || !strings.Contains(err.Error(), "KUBECONFIG="+only) {
		t.Errorf("KUBECONFIG missing: err = %v", err)
	}
}

func TestLoadConfigNothing(t *testing.T) {
	home := isolate(t)
	_, err := LoadConfig("")
	if err == nil {
		t.Fatal("no error with no configuration anywhere")
	}
	msg := err.Error()
	for _, part := range []string{"no kubeconfig given", "KUBECONFIG unset", filepath.Join(home, ".kube", "config") + " absent", "not in a cluster"} {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q does not say %q", msg, part)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
}
