package trust_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/trust"
)

var exampleRoot = filepath.Join("..", "..", "testdata", "examples", "trusted_root.json")

func TestFromFileExample(t *testing.T) {
	tr, err := trust.FromFile(exampleRoot)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.RekorLogs()); n != 1 {
		t.Errorf("%d Rekor logs, want the example instance's one", n)
	}
	if n := len(tr.CTLogs()); n != 1 {
		t.Errorf("%d CT logs, want 1", n)
	}
	if n := len(tr.FulcioCertificateAuthorities()); n != 1 {
		t.Errorf("%d Fulcio CAs, want 1", n)
	}
}

func TestFromFileMissingIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-root.json")
	_, err := trust.FromFile(path)
	if err == nil {
		t.Fatal("no error for a missing file")
	}
	if !errors.Is(err, trust.ErrUnavailable) {
		t.Fatalf("error %v does not wrap ErrUnavailable", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not keep the cause", err)
	}
}

func TestFromFileDirectoryIsUnavailable(t *testing.T) {
	// Opening works, reading fails: still could-not-decide, not bad input.
	_, err := trust.FromFile(t.TempDir())
	if err == nil || !errors.Is(err, trust.ErrUnavailable) {
		t.Fatalf("error %v, want one wrapping ErrUnavailable", err)
	}
}

func TestFromFileMalformedIsBadInput(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":        "{this is not json",
		"empty":           "",
		"JSON, not root":  `{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": "nope"}`,
		"wrong top level": `[1, 2, 3]`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "trusted_root.json")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			tr, err := trust.FromFile(path)
			if err == nil {
				t.Fatalf("accepted a malformed trusted root: %+v", tr)
			}
			if errors.Is(err, trust.ErrUnavailable) {
				t.Fatalf("malformed input reported as unavailable (could not decide): %v", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestFromFileOversize(t *testing.T) {
	ex, err := os.ReadFile(exampleRoot)
	if err != nil {
		t.Fatal(err)
	}
	// A valid root padded with whitespace past the limit: only the size is wrong.
	big := append(bytes.Clone(ex), bytes.Repeat([]byte(" "), trust.MaxTrustedRootBytes)...)
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = trust.FromFile(path)
	if err == nil {
		t.Fatal("accepted a trusted root larger than MaxTrustedRootBytes")
	}
	if errors.Is(err, trust.ErrUnavailable) {
		t.Errorf("oversize input reported as unavailable: %v", err)
	}
	if !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %q does not say the file is too large", err)
	}

	// Exactly at the limit is fine as far as size goes.
	atLimit := append(bytes.Clone(ex), bytes.Repeat([]byte(" "), trust.MaxTrustedRootBytes-len(ex))...)
	if err := os.WriteFile(path, atLimit, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := trust.FromFile(path); err != nil {
		t.Errorf("a root of exactly MaxTrustedRootBytes was refused: %v", err)
	}
}

// TestFromTUFCanceledContext: with a context that is already canceled, FromTUF
// must fail quickly with an error wrapping ErrUnavailable (could not decide),
// never hang and never return a root. The cache directory is empty, so nothing
// can be served from it.
func TestFromTUFCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	type result struct {
		err error
		ok  bool
	}
	cache := t.TempDir()
	done := make(chan result, 1)
	go func() {
		tr, err := trust.FromTUF(ctx, cache)
		done <- result{err: err, ok: tr != nil}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			// A canceled context was not honoured and the network answered.
			t.Skip("FromTUF reached the network despite the canceled context")
		}
		if r.ok {
			t.Error("FromTUF returned a root together with an error")
		}
		if !errors.Is(r.err, trust.ErrUnavailable) {
			t.Errorf("error %v does not wrap ErrUnavailable", r.err)
		}
		if !strings.Contains(r.err.Error(), "--trusted-root") {
			t.Errorf("error %q does not point to --trusted-root", r.err)
		}
		t.Logf("FromTUF failed after %v: %v", time.Since(start).Round(time.Millisecond), r.err)
	case <-time.After(20 * time.Second):
		t.Skip("FromTUF did not return within 20s of a canceled context (it ignores the context and tries the network)")
	}
}
