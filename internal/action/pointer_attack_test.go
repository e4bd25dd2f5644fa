package action_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// Adversarial review (R1): the registry a pointer names is the PR's choice.
// These tests run the action against a hostile registry on loopback (a
// plain net/http server speaking just enough of the distribution API), and
// assert what it must never achieve: a plain-HTTP connection to a host that
// is not loopback, text that the job log or the comment would obey, an
// "invalid" for what may be an outage, or an unbounded number of requests.

// hostileRegistry serves the shipped AICR layout's blobs (so that the
// pinned manifest and its layer check out) and answers the rest by mode.
type hostileRegistry struct {
	layout string
	// status: every /v2/<repo>/… request gets this status and message
	// (0: serve the layout).
	status  int
	message string
	// redirect: every blob and manifest request is redirected there.
	redirect string
	// pages: referrers requests are answered with an empty page that links
	// to the next one, up to this many pages.
	pages    int64
	requests atomic.Int64 // referrers pages served
	// referrersStatus: the referrers API and the tag-schema fallback
	// answer this status (0: as above).
	referrersStatus int
}

func (h *hostileRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if h.status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(h.status)
		b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "UNKNOWN", "message": h.message}}})
		_, _ = w.Write(b)
		return
	}
	if h.redirect != "" {
		http.Redirect(w, r, h.redirect+r.URL.Path, http.StatusTemporaryRedirect)
		return
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	if len(segs) < 3 {
		http.NotFound(w, r)
		return
	}
	kind, ref := segs[len(segs)-2], segs[len(segs)-1]
	if h.referrersStatus != 0 && (kind == "referrers" || strings.HasPrefix(ref, "sha256-")) {
		w.WriteHeader(h.referrersStatus)
		return
	}
	switch kind {
	case "manifests", "blobs":
		b, err := os.ReadFile(filepath.Join(h.layout, "blobs", "sha256", strings.TrimPrefix(ref, "sha256:")))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if kind == "manifests" {
			var m struct {
				MediaType string `json:"mediaType"`
			}
			_ = json.Unmarshal(b, &m)
			w.Header().Set("Content-Type", m.MediaType)
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		w.Header().Set("Docker-Content-Digest", ref)
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(b)
		}
	case "referrers":
		n := h.requests.Add(1)
		w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
		if n < h.pages {
			w.Header().Set("Link", fmt.Sprintf(`<%s?page=%d>; rel="next"`, r.URL.Path, n+1))
		}
		_, _ = w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`))
	default:
		http.NotFound(w, r)
	}
}

// startHostile serves h on loopback and returns its host:port.
func startHostile(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// hostileRun runs the action on a PR adding the recipe and the shipped signed
// pointer, edited to name the registry at host, listed in registry-plain-http.
func hostileRun(t *testing.T, number int, host string) (run, string) {
	t.Helper()
	p, b := aicrPointer(t, "v1-eks-signed-pushed", aicrRegistry, host)
	r, body, _ := aicrRun(t, number, []githubtest.File{aicrRecipeFile(t), {Path: p, Status: "added", Content: b}}, aicrInputs(host))
	return r, body
}

// A loopback registry (listed in registry-plain-http) that redirects to a
// host that is not loopback must not get the runner to speak plain HTTP to
// that host: plain HTTP is for the loopback registries listed, and a
// redirect is the registry's (the PR's) choice. Here the other host is this
// machine's own non-loopback address, which records whether it was reached.
func TestPointerAttackRedirectToPlainHTTPHost(t *testing.T) {
	addr := nonLoopbackAddr(t)
	var hits atomic.Int64
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	other := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	})}}
	other.Start()
	t.Cleanup(other.Close)
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	host := startHostile(t, &hostileRegistry{layout: layout, redirect: other.URL})
	r, body := hostileRun(t, 61, host)
	if n := hits.Load(); n > 0 {
		t.Errorf("the runner followed a redirect to plain-HTTP %s (%d requests)", other.URL, n)
	}
	if r.outputs["verdict"] == "passed" {
		t.Errorf("verdict passed\n%s", body)
	}
}

// nonLoopbackAddr is an IPv4 address of this machine that is not loopback.
func nonLoopbackAddr(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address")
	return ""
}

// hostileText is what a registry's error message may say: a workflow
// command on its own line, HTML, a mention, a link.
const hostileText = "boom\n::error file=pwned.go::owned\n::add-mask::x\n<img src=x onerror=alert(1)> @acme/admins [x](https://evil.example)"

// Held: a registry that answers 503 with a hostile error message is an
// outage, "could not decide (retrying may help)", never invalid; its text
// reaches neither the runner (as a workflow command) nor the comment (as
// markup).
func TestPointerAttackRegistryErrorText(t *testing.T) {
	host := startHostile(t, &hostileRegistry{status: http.StatusServiceUnavailable, message: hostileText})
	r, body := hostileRun(t, 62, host)
	if r.outputs["verdict"] != "error" || !strings.Contains(body, "retrying may help") {
		t.Errorf("a 503 is %q\n%s", r.outputs["verdict"], body)
	}
	assertInert(t, r, body)
}

// A registry that answers 404 (and a hostile message) for the pinned
// artifact: not passed, and its text inert.
func TestPointerAttackRegistryNotFoundText(t *testing.T) {
	host := startHostile(t, &hostileRegistry{status: http.StatusNotFound, message: hostileText})
	r, body := hostileRun(t, 63, host)
	if v := r.outputs["verdict"]; v == "passed" || v == "" {
		t.Errorf("a 404 is %q\n%s", v, body)
	}
	if testing.Verbose() {
		t.Logf("a 404: verdict %s", r.outputs["verdict"])
	}
	assertInert(t, r, body)
}

func assertInert(t *testing.T, r run, body string) {
	t.Helper()
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, "::error file=pwned.go") || strings.Contains(line, "::add-mask::x") {
			t.Errorf("the log holds a workflow command from the registry: %q", line)
		}
	}
	for _, bad := range []string{"<img", "@acme/admins", "](https://evil"} {
		if strings.Contains(body, bad) {
			t.Errorf("the comment holds %q", bad)
		}
	}
}

// A registry whose referrers API pages forever (each page empty, each
// linking to the next) must be cut off after a bounded number of pages, not
// be followed until the 5-minute pull timeout (× 50 pointers: hours of a
// runner). The registry here stops after 2,000 pages; a client that follows
// them all has no bound.
func TestPointerAttackReferrersPagination(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	reg := &hostileRegistry{layout: layout, pages: 2000}
	host := startHostile(t, reg)
	r, body := hostileRun(t, 64, host)
	if n := reg.requests.Load(); n > 300 {
		t.Errorf("the runner followed %d referrers pages", n)
	}
	if v := r.outputs["verdict"]; v == "passed" {
		t.Errorf("verdict %s\n%s", v, body)
	}
}

// Held or not, against the real registry serving the shipped AICR layout:
// a pointer must not pass for a recipe it was not made for, from a place it
// does not belong, or for a repository that is not the one signed.
func TestPointerAttackRealRegistry(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	ocitest.Start(t, aicrRegistry)
	ocitest.PushLayout(t, layout, aicrRegistry, "aicr-evidence")
	recipe := aicrRecipeFile(t)
	signedPath, signed := aicrPointer(t, "v1-eks-signed-pushed")
	changed := recipe
	changed.Status = "modified"
	changed.Content = []byte(strings.Replace(string(recipe.Content), "version: 2.59.0", "version: 2.60.0", 1))
	if string(changed.Content) == string(recipe.Content) {
		t.Fatal("the recipe edit did not apply")
	}
	wantInvalid := func(t *testing.T, r run, body string) {
		t.Helper()
		if r.code != 1 || r.outputs["verdict"] != "invalid" {
			t.Errorf("exit %d, outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
		}
	}

	// The PR changes the recipe (a chart version) and adds the pointer made
	// for the recipe before: the evidence is not for the recipe at the head.
	t.Run("recipe changed, old artifact in a new pointer", func(t *testing.T) {
		r, body := attackRunWithBase(t, 71, []githubtest.File{changed, {Path: signedPath, Status: "added", Content: signed}}, []githubtest.File{recipe})
		wantInvalid(t, r, body)
	})

	// The PR changes the recipe only; the pointer at the head is the old one.
	t.Run("recipe changed, pointer at the head", func(t *testing.T) {
		r, body := attackRunWithBase(t, 72, []githubtest.File{changed}, []githubtest.File{recipe, {Path: signedPath, Content: signed}}, githubtest.File{Path: signedPath, Content: signed})
		wantInvalid(t, r, body)
	})

	// The PR changes the recipe and adds only a pending pointer (nothing
	// pushed): the stale pointer at the head is still the recipe's
	// evidence, and invalid for it. The pending pointer must not turn that
	// into "missing", which passes under the default fail-on.
	t.Run("recipe changed, pending pointer hides the stale one", func(t *testing.T) {
		pp, pb := aicrPointer(t, "v1-eks-minimal")
		r, body := attackRunWithBase(t, 77, []githubtest.File{changed, {Path: pp, Status: "added", Content: pb}}, []githubtest.File{recipe, {Path: signedPath, Content: signed}}, githubtest.File{Path: signedPath, Content: signed})
		wantInvalid(t, r, body)
	})

	// A signed pointer placed at the flat path that is only for unsigned
	// pending pointers.
	t.Run("signed pointer at the flat path", func(t *testing.T) {
		r, body, _ := aicrRun(t, 73, []githubtest.File{recipe, {Path: "recipes/evidence/" + aicrRecipe + ".yaml", Status: "added", Content: signed}}, aicrInputs(aicrRegistry))
		wantInvalid(t, r, body)
	})

	// The same artifact (same digest) copied to another repository: the
	// signature names aicr-evidence, the pointer another repository.
	t.Run("artifact copied to another repository", func(t *testing.T) {
		ocitest.PushLayout(t, layout, aicrRegistry, "copied-evidence")
		p, b := aicrPointer(t, "v1-eks-signed-pushed", "/aicr-evidence:", "/copied-evidence:")
		r, body, _ := aicrRun(t, 74, []githubtest.File{recipe, {Path: p, Status: "added", Content: b}}, aicrInputs(aicrRegistry))
		wantInvalid(t, r, body)
	})

	// The pointer's recipe field and folder name another recipe, the
	// artifact this one: the artifact's recipe decides.
	t.Run("pointer claims another recipe", func(t *testing.T) {
		other := githubtest.File{Path: "recipes/h100-eks-ubuntu-inference.yaml", Status: "added", Content: recipe.Content}
		p, b := aicrPointer(t, "v1-eks-signed-pushed", "recipe: "+aicrRecipe, "recipe: h100-eks-ubuntu-inference")
		r, body, _ := aicrRun(t, 75, []githubtest.File{other, {Path: p, Status: "added", Content: b}}, aicrInputs(aicrRegistry))
		wantInvalid(t, r, body)
	})

	// The same pointer twice, under an upper-case copy of its source folder:
	// the second is not at its signer's source and must not count.
	t.Run("source folder in upper case", func(t *testing.T) {
		segs := strings.Split(signedPath, "/")
		segs[3] = strings.ToUpper(segs[3])
		up := strings.Join(segs, "/")
		r, body, rep := aicrRun(t, 76, []githubtest.File{recipe, {Path: up, Status: "added", Content: signed}}, aicrInputs(aicrRegistry))
		wantInvalid(t, r, body)
		if len(rep.Corroboration) != 0 {
			t.Errorf("corroboration %+v", rep.Corroboration)
		}
	})
}

// attackRunWithBase is aicrRun for a PR that modifies files: the base
// commit holds base, the head the changed files and unchanged.
func attackRunWithBase(t *testing.T, number int, files, base []githubtest.File, unchanged ...githubtest.File) (run, string) {
	t.Helper()
	root, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t)
	head := sha(byte('0' + number%10))
	var headTree, baseTree []githubtest.TreeFile
	for _, f := range append(append([]githubtest.File(nil), files...), unchanged...) {
		if f.Status != "removed" {
			headTree = append(headTree, githubtest.TreeFile{Path: f.Path, Content: f.Content})
		}
	}
	for _, f := range base {
		baseTree = append(baseTree, githubtest.TreeFile{Path: f.Path, Content: f.Content})
	}
	srv.Fake.SetTree(e2eRepo, head, headTree)
	srv.Fake.SetTree(e2eRepo, sha('b'), baseTree)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: number, HeadSHA: head, BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, number, head, ""), "pull_request", aicrInputs(aicrRegistry), map[string][]byte{"trusted_root.json": root})
	body := ""
	if cs := stickyComments(srv, number); len(cs) == 1 {
		body = cs[0].Body
	}
	return r, body
}

// Held: a registry whose referrers API (and tag-schema fallback) answers
// 503 after serving the artifact: "could not decide", never "unsigned"
// (which would be invalid) and never passed.
func TestPointerAttackReferrersOutage(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	host := startHostile(t, &hostileRegistry{layout: layout, referrersStatus: http.StatusServiceUnavailable})
	r, body := hostileRun(t, 65, host)
	if r.outputs["verdict"] != "error" || strings.Contains(body, "unsigned") {
		t.Errorf("a referrers outage is %q\n%s", r.outputs["verdict"], body)
	}
}
