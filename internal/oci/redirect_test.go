package oci_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aicr/verify-evidence/internal/oci"
)

// A registry reached over HTTPS that redirects to plain HTTP is refused: a
// pointer names an HTTPS registry, and plain HTTP is allowed only for the
// loopback registries a user listed, never for wherever a registry sends
// the client.
func TestPullRefusesRedirectFromHTTPSToHTTP(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		http.NotFound(w, r)
	}))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer tls.Close()
	host := strings.TrimPrefix(tls.URL, "https://")
	ref, err := oci.ParseReference("oci://" + host + "/evidence@sha256:" + strings.Repeat("a", 64))
	if err != nil {
		t.Fatal(err)
	}
	_, err = oci.Pull(t.Context(), ref, oci.Options{HTTPClient: tls.Client()})
	if err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Fatalf("pull through a redirect to plain HTTP: %v, want the redirect refused", err)
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the plain-HTTP host got %d requests", n)
	}
}
