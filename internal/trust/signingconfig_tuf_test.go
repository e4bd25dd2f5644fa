package trust

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// tufRepo writes a TUF repository (one Ed25519 key for every role,
// consistent snapshots) holding targets, serves it on loopback, and returns
// sigstore-go TUF options that trust its root, with a fresh cache.
func tufRepo(t *testing.T, targets map[string][]byte) *tuf.Options {
	t.Helper()
	dir := t.TempDir()
	expires := time.Now().Add(24 * time.Hour).UTC()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(key, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := metadata.KeyFromPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	rootMD := metadata.Root(expires)
	for _, role := range []string{"root", "targets", "snapshot", "timestamp"} {
		if err := rootMD.Signed.AddKey(pub, role); err != nil {
			t.Fatal(err)
		}
	}
	targetsMD := metadata.Targets(expires)
	if err := os.MkdirAll(filepath.Join(dir, "targets"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range targets {
		tf, err := metadata.TargetFile().FromBytes(name, data, "sha256")
		if err != nil {
			t.Fatal(err)
		}
		targetsMD.Signed.Targets[name] = tf
		if err := os.WriteFile(filepath.Join(dir, "targets", tf.Hashes["sha256"].String()+"."+name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, md interface {
		Sign(signature.Signer) (*metadata.Signature, error)
		ToBytes(bool) ([]byte, error)
	}) []byte {
		if _, err := md.Sign(signer); err != nil {
			t.Fatal(err)
		}
		b, err := md.ToBytes(true)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return b
	}
	rootJSON := write("1.root.json", rootMD)
	write("1.targets.json", targetsMD)
	write("1.snapshot.json", metadata.Snapshot(expires))
	write("timestamp.json", metadata.Timestamp(expires))
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return tuf.DefaultOptions().WithRoot(rootJSON).WithRepositoryBaseURL(srv.URL).WithCachePath(t.TempDir())
}

func signingConfigJSON(rekorURL string, version int) []byte {
	return []byte(`{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
 "caUrls": [{"url": "https://fulcio.example.com", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}}],
 "rekorTlogUrls": [{"url": "` + rekorURL + `", "majorApiVersion": ` + strconv.Itoa(version) + `, "validFor": {"start": "2020-01-01T00:00:00Z"}}],
 "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"}}`)
}

func TestSigningConfigFromTUF(t *testing.T) {
	trJSON, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := signingConfigJSON("https://log2025-1.rekor.example.com", 2)
	v1 := signingConfigJSON("https://rekor.example.com", 1)
	for name, tc := range map[string]struct {
		targets    map[string][]byte
		wantTarget string
		wantRekor  string
	}{
		"the Rekor v2 target AICR signs with": {
			targets:    map[string][]byte{"trusted_root.json": trJSON, SigningConfigRekorV2Target: v2, SigningConfigTarget: v1},
			wantTarget: SigningConfigRekorV2Target, wantRekor: "https://log2025-1.rekor.example.com",
		},
		"the default target when there is no v2 one": {
			targets:    map[string][]byte{"trusted_root.json": trJSON, SigningConfigTarget: v1},
			wantTarget: SigningConfigTarget, wantRekor: "https://rekor.example.com",
		},
	} {
		t.Run(name, func(t *testing.T) {
			pg, err := signingConfigFromTUF(context.Background(), tufRepo(t, tc.targets))
			if err != nil {
				t.Fatal(err)
			}
			if pg.Target != tc.wantTarget {
				t.Errorf("target %q, want %q", pg.Target, tc.wantTarget)
			}
			if logs := pg.SigningConfig.RekorLogURLs(); len(logs) != 1 || logs[0].URL != tc.wantRekor {
				t.Errorf("Rekor logs %+v, want %s", logs, tc.wantRekor)
			}
			want, err := root.NewTrustedRootFromJSON(trJSON)
			if err != nil {
				t.Fatal(err)
			}
			if pg.TrustedRoot == nil || len(pg.TrustedRoot.RekorLogs()) != len(want.RekorLogs()) {
				t.Errorf("trusted root %v, want the repository's", pg.TrustedRoot)
			}
		})
	}
}

func TestSigningConfigFromTUFFailures(t *testing.T) {
	trJSON, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	// No signing config at all: unavailable, naming the offline way out.
	_, err = signingConfigFromTUF(context.Background(), tufRepo(t, map[string][]byte{"trusted_root.json": trJSON}))
	if err == nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "--signing-config") {
		t.Errorf("no signing config target: error %v", err)
	}
	// A signing config target that is not one: a bad input, not unavailable.
	_, err = signingConfigFromTUF(context.Background(), tufRepo(t, map[string][]byte{"trusted_root.json": trJSON, SigningConfigRekorV2Target: []byte(`{"mediaType": 1}`)}))
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), SigningConfigRekorV2Target) {
		t.Errorf("malformed signing config target: error %v", err)
	}
	// A repository out of reach.
	dead := httptest.NewServer(http.NotFoundHandler())
	opts := tufRepo(t, nil).WithRepositoryBaseURL(dead.URL)
	dead.Close()
	_, err = signingConfigFromTUF(context.Background(), opts)
	if err == nil || !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "\n") {
		t.Errorf("unreachable repository: error %v", err)
	}
}
