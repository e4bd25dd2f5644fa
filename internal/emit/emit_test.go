package emit_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/bom"
	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/gpu"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/snapshot"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

const (
	h100Example = "h100-eks-ubuntu-training"
	h200Example = "h200-oke-ubuntu-inference"
	// fixedAttestedAt is the --attested-at of most tests: in the past, so that
	// a bundle signed now is never "attested after it was signed".
	fixedAttestedAt = "2026-11-20T09:58:00Z"
)

// exampleDir is testdata/examples/inputs/<name> of the repository.
func exampleDir(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(testutil.RepoRoot(t), "testdata", "examples", "inputs", name)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// inputs is a private, writable copy of an example's inputs.
type inputs struct {
	dir, recipe, snapshot, bom, results string
}

func copyInputs(t testing.TB, name string) inputs {
	t.Helper()
	src := exampleDir(t, name)
	dst := filepath.Join(t.TempDir(), "inputs")
	for _, rel := range []string{"recipe.yaml", "snapshot.yaml", "bom.cdx.json", "ctrf/deployment.json", "ctrf/performance.json", "ctrf/conformance.json"} {
		writeFile(t, filepath.Join(dst, rel), readFile(t, filepath.Join(src, rel)))
	}
	return inputs{
		dir:      dst,
		recipe:   filepath.Join(dst, "recipe.yaml"),
		snapshot: filepath.Join(dst, "snapshot.yaml"),
		bom:      filepath.Join(dst, "bom.cdx.json"),
		results:  filepath.Join(dst, "ctrf"),
	}
}

// args are the flags of an unsigned emit of in from a snapshot file, without NVML.
func (in inputs) args(out string, extra ...string) []string {
	a := []string{
		"--recipe", in.recipe, "--recipe-name", h100Example, "--results", in.results, "--bom", in.bom,
		"--snapshot", in.snapshot, "--out", out, "--sign", "none", "--nvml", "off",
		"--attested-at", fixedAttestedAt, "--aicr-version", "v0.18.0",
	}
	return append(a, extra...)
}

// outPath is a bundle path in a fresh, otherwise empty folder.
func outPath(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "evidence-bundle.tar.gz")
}

// emitResult is what one emit did.
type emitResult struct {
	err    error
	stderr string
}

// runEmit parses args and runs emit with env (Stderr is replaced by a buffer;
// Getenv defaults to an empty environment).
func runEmit(t testing.TB, args []string, env emit.Env) emitResult {
	t.Helper()
	var stderr bytes.Buffer
	opts, err := emit.Parse(args, &stderr)
	if err != nil {
		return emitResult{err: err, stderr: stderr.String()}
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	env.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = emit.Run(ctx, opts, env)
	return emitResult{err: err, stderr: stderr.String()}
}

// mustEmit emits and fails the test on error; it returns the bundle bytes.
func mustEmit(t testing.TB, args []string, env emit.Env) ([]byte, string) {
	t.Helper()
	res := runEmit(t, args, env)
	if res.err != nil {
		t.Fatalf("emit %q: %v\nstderr:\n%s", args, res.err, res.stderr)
	}
	out := flagValue(t, args, "--out")
	return readFile(t, out), res.stderr
}

func flagValue(t testing.TB, args []string, name string) string {
	t.Helper()
	for i := len(args) - 2; i >= 0; i-- {
		if args[i] == name {
			return args[i+1]
		}
	}
	t.Fatalf("no %s in %q", name, args)
	return ""
}

// bundleFiles reads a bundle with the verifier's archive reader; every file
// emit writes is a document, so each has its content.
func bundleFiles(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	c, err := archive.Read(context.Background(), bytes.NewReader(data), archive.Limits{})
	if err != nil {
		t.Fatalf("archive.Read: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range c.Files() {
		if f.Content == nil {
			t.Fatalf("%s was not kept in memory", f.Path)
		}
		files[f.Path] = f.Content
	}
	return files
}

// rawTar is the whole decompressed tar stream (headers included), for
// searching the bundle for strings that must not be there.
func rawTar(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// Also check it is a tar, so that a test searching it searches something real.
	if _, err := tar.NewReader(bytes.NewReader(b)).Next(); err != nil {
		t.Fatalf("not a tar: %v", err)
	}
	return b
}

// predicateOf decodes the predicate of the bundle's statement.intoto.json.
func predicateOf(t testing.TB, files map[string][]byte) (subject string, p schema.Predicate) {
	t.Helper()
	return statementParts(t, files[schema.FileStatement])
}

func statementParts(t testing.TB, stmt []byte) (string, schema.Predicate) {
	t.Helper()
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate schema.Predicate `json:"predicate"`
	}
	if err := json.Unmarshal(stmt, &st); err != nil {
		t.Fatalf("statement: %v\n%s", err, stmt)
	}
	if len(st.Subject) != 1 {
		t.Fatalf("statement has %d subjects, want 1", len(st.Subject))
	}
	return st.Subject[0].Name, st.Predicate
}

func snapshotOf(t testing.TB, files map[string][]byte) *fingerprint.Snapshot {
	t.Helper()
	s, err := fingerprint.ParseSnapshot(files[schema.FileSnapshot])
	if err != nil {
		t.Fatalf("snapshot.yaml: %v", err)
	}
	return s
}

// subtype returns the data of typ.sub, or nil.
func subtype(s *fingerprint.Snapshot, typ, sub string) map[string]any {
	for _, m := range s.Measurements {
		if m.Type != typ {
			continue
		}
		for _, st := range m.Subtypes {
			if st.Subtype == sub {
				return st.Data
			}
		}
	}
	return nil
}

func inspect(t testing.TB, data []byte) *verify.Result {
	t.Helper()
	v, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	return v.Inspect(context.Background(), bytes.NewReader(data), verify.Options{Name: "evidence-bundle.tar.gz"})
}

func describe(res *verify.Result) string {
	var b strings.Builder
	b.WriteString(string(res.Verdict) + ": " + res.Summary + "\n")
	for _, c := range res.Checks {
		fmt.Fprintf(&b, "  %s %s: %s\n", c.Name, c.Status, c.Detail)
	}
	return b.String()
}

// failedChecks names the checks that failed, sorted.
func failedChecks(res *verify.Result) []string {
	var out []string
	for _, c := range res.Checks {
		if c.Status == verify.StatusFailed || c.Status == verify.StatusError {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// assertNothingWritten checks that --out does not exist and that its folder
// holds no temporary file either.
func assertNothingWritten(t testing.TB, out string) {
	t.Helper()
	if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--out %s exists after a failed run (err %v)", out, err)
	}
	assertNoTempFiles(t, filepath.Dir(out))
}

func assertNoTempFiles(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("leftover file %s in %s", e.Name(), dir)
		}
	}
}

// assertOneLine checks that err is one line that contains every want.
func assertOneLine(t testing.TB, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

// --- NVML ---------------------------------------------------------------

// replayReader is a gpu.Reader that returns a recorded reading.
type replayReader struct{ facts *gpu.Facts }

func (r replayReader) Read(context.Context) (*gpu.Facts, error) { return r.facts, nil }

// nvmlReplay opens a recorded NVML reading (shared test data) through Env.OpenGPU.
type nvmlReplay struct {
	facts          *gpu.Facts
	opened, closed int
	err            error
}

func newNVMLReplay(t testing.TB, machine string) *nvmlReplay {
	t.Helper()
	p := testutil.SharedTestdata(t, filepath.Join("hardware", machine, "nvml.json"))
	facts, err := gpu.FromNVMLJSON(readFile(t, p))
	if err != nil {
		t.Fatal(err)
	}
	return &nvmlReplay{facts: facts}
}

func (n *nvmlReplay) open() (gpu.Reader, func(), error) {
	n.opened++
	if n.err != nil {
		return nil, nil, n.err
	}
	return replayReader{n.facts}, func() { n.closed++ }, nil
}

func unavailable() (gpu.Reader, func(), error) {
	return nil, nil, fmt.Errorf("%w: libnvidia-ml.so.1: cannot open shared object file", gpu.ErrUnavailable)
}

func TestNVMLRequiredUnavailableFails(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := in.args(out)
	args = append(args, "--nvml", "required")
	res := runEmit(t, args, emit.Env{OpenGPU: unavailable})
	assertOneLine(t, res.err, "--nvml required", "NVML unavailable")
	if !errors.Is(res.err, gpu.ErrUnavailable) {
		t.Errorf("error %v does not wrap gpu.ErrUnavailable", res.err)
	}
	assertNothingWritten(t, out)
}

func TestNVMLAutoUnavailableSkips(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(in.args(out), "--nvml", "auto")
	data, stderr := mustEmit(t, args, emit.Env{OpenGPU: unavailable})
	var skip []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "NVML") && !strings.Contains(l, t.Name()) {
			skip = append(skip, l)
		}
	}
	if len(skip) != 1 || !strings.HasPrefix(skip[0], "emit: ") || !strings.Contains(skip[0], "not available") || !strings.Contains(skip[0], "libnvidia-ml.so.1") {
		t.Errorf("want one \"emit: … NVML not available …\" line, got %q\nstderr:\n%s", skip, stderr)
	}
	// The GPU facts are the snapshot's own.
	files := bundleFiles(t, data)
	if got := subtype(snapshotOf(t, files), "GPU", "hardware")["model"]; got != "NVIDIA H100 80GB HBM3" {
		t.Errorf("GPU.hardware.model = %v, want the snapshot's", got)
	}
	if res := inspect(t, data); res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s", describe(res))
	}
}

func TestNVMLOffNeverOpens(t *testing.T) {
	in := copyInputs(t, h100Example)
	opened := false
	mustEmit(t, in.args(outPath(t)), emit.Env{OpenGPU: func() (gpu.Reader, func(), error) {
		opened = true
		return nil, nil, errors.New("must not be called")
	}})
	if opened {
		t.Error("--nvml off opened NVML")
	}
}

func TestNVMLReadErrorFails(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(in.args(out), "--nvml", "auto")
	res := runEmit(t, args, emit.Env{OpenGPU: func() (gpu.Reader, func(), error) {
		return failingReader{}, func() {}, nil
	}})
	assertOneLine(t, res.err, "--nvml auto", "nvmlDeviceGetCount")
	assertNothingWritten(t, out)
}

func TestNVMLOpenErrorFails(t *testing.T) {
	// A failure other than "NVML is not there" is an error even with --nvml auto.
	in := copyInputs(t, h100Example)
	out := outPath(t)
	res := runEmit(t, append(in.args(out), "--nvml", "auto"), emit.Env{OpenGPU: func() (gpu.Reader, func(), error) {
		return nil, nil, errors.New("nvmlInit: Driver/library version mismatch")
	}})
	assertOneLine(t, res.err, "--nvml auto", "version mismatch")
	assertNothingWritten(t, out)
}

type failingReader struct{}

func (failingReader) Read(context.Context) (*gpu.Facts, error) {
	return nil, errors.New("nvmlDeviceGetCount: Unknown Error")
}

// k8sOnlySnapshot is the h100 example snapshot without its GPU measurement.
func k8sOnlySnapshot(t testing.TB) string {
	t.Helper()
	p := filepath.Join("testdata", "k8s-only-snapshot.yaml")
	s, err := fingerprint.ParseSnapshot(readFile(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if subtype(s, "GPU", "hardware") != nil {
		t.Fatalf("%s has GPU facts", p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestNVMLReplayH100Minimal(t *testing.T) {
	nv := newNVMLReplay(t, "h100-ubuntu2404")
	dev := nv.facts.Devices[0]
	if dev.UUID == "" || dev.Serial == "" {
		t.Fatal("the H100 reading has no UUID or serial to look for")
	}
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(in.args(out), "--snapshot", k8sOnlySnapshot(t), "--nvml", "required")
	data, stderr := mustEmit(t, args, emit.Env{OpenGPU: nv.open})
	if nv.opened != 1 || nv.closed != 1 {
		t.Errorf("NVML opened %d and closed %d times, want 1 and 1", nv.opened, nv.closed)
	}
	if !strings.Contains(stderr, "emit: reading GPU facts with NVML") {
		t.Errorf("no NVML progress line:\n%s", stderr)
	}
	files := bundleFiles(t, data)
	hw := subtype(snapshotOf(t, files), "GPU", "hardware")
	want := map[string]any{
		"model": "NVIDIA H100 80GB HBM3", "count": 1, "driver": "580.159.04", "cuda-driver": "13.0",
		"memory-bytes": 85520809984, "compute-capability": "9.0", "architecture": "hopper", "mig-mode": "disabled",
		"nvlink-active": 0,
	}
	if !reflect.DeepEqual(hw, want) {
		t.Errorf("GPU.hardware = %v, want %v", hw, want)
	}
	if subtype(snapshotOf(t, files), "GPU", "devices") != nil {
		t.Error("a minimal bundle carries GPU.devices")
	}
	tarBytes := rawTar(t, data)
	for _, secret := range []string{dev.UUID, strings.TrimPrefix(dev.UUID, "GPU-"), dev.Serial, dev.PCIBusID} {
		if bytes.Contains(tarBytes, []byte(secret)) {
			t.Errorf("the minimal bundle contains %q", secret)
		}
	}
	_, pred := predicateOf(t, files)
	if acc := pred.Fingerprint.Accelerator; acc == nil || acc.Value != "h100" || acc.Source != "GPU.hardware.model" {
		t.Errorf("fingerprint accelerator = %+v, want h100 from GPU.hardware.model (the NVML reading)", acc)
	}
	if res := inspect(t, data); res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s", describe(res))
	}

	// Control: with --redact full the board identifiers are there, so the
	// search above can find them.
	outFull := outPath(t)
	argsFull := append(in.args(outFull), "--snapshot", k8sOnlySnapshot(t), "--nvml", "required", "--redact", "full")
	dataFull, _ := mustEmit(t, argsFull, emit.Env{OpenGPU: nv.open})
	tarFull := rawTar(t, dataFull)
	for _, id := range []string{dev.UUID, dev.Serial} {
		if !bytes.Contains(tarFull, []byte(id)) {
			t.Errorf("the --redact full bundle lacks %q", id)
		}
	}
	devs := subtype(snapshotOf(t, bundleFiles(t, dataFull)), "GPU", "devices")
	if devs["gpu0-uuid"] != dev.UUID {
		t.Errorf("--redact full GPU.devices = %v", devs)
	}
}

func TestNVMLReplayH200AgainstH100RecipeMismatch(t *testing.T) {
	nv := newNVMLReplay(t, "h200-ubuntu2404")
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(in.args(out), "--snapshot", k8sOnlySnapshot(t), "--nvml", "required")
	data, _ := mustEmit(t, args, emit.Env{OpenGPU: nv.open})
	_, pred := predicateOf(t, bundleFiles(t, data))
	// The emitting machine's NVML reads an H200 while the cluster's labels say
	// H100: the evidence shows no one accelerator, which is no h100 either.
	checkAcceleratorMismatch(t, pred, "multi-gpu")
	res := inspect(t, data)
	if res.Verdict != verify.VerdictFailing || !reflect.DeepEqual(failedChecks(res), []string{verify.CheckFingerprint}) {
		t.Errorf("inspect: want failing with only the fingerprint check failed, got %s", describe(res))
	}
}

// checkAcceleratorMismatch checks the predicate's criteria match: not matched,
// accelerator h100 required and got provided.
func checkAcceleratorMismatch(t testing.TB, pred schema.Predicate, got string) {
	t.Helper()
	if pred.CriteriaMatch.Matched {
		t.Error("criteriaMatch.matched = true, want false")
	}
	var acc *schema.DimensionMatch
	for i, d := range pred.CriteriaMatch.PerDimension {
		if d.Dimension == "accelerator" {
			acc = &pred.CriteriaMatch.PerDimension[i]
		}
	}
	if acc == nil {
		t.Fatalf("criteriaMatch has no accelerator dimension: %+v", pred.CriteriaMatch)
	}
	if acc.Match != schema.MatchMismatched || acc.RecipeRequires != "h100" || acc.FingerprintProvides != got {
		t.Errorf("accelerator = %+v, want mismatched, requires h100, provides %s", *acc, got)
	}
}

// --- Cluster path ---------------------------------------------------------

// fakeAPIServer is a small Kubernetes API server: /version, /api, /apis and
// GET /api/v1/nodes in pages, with opaque continue tokens.
type fakeAPIServer struct {
	nodes int
	mu    sync.Mutex
	calls []listCall
}

type listCall struct{ limit, token string }

func clusterNodeName(i int) string {
	return fmt.Sprintf("gpu-worker-%04d.pool-a.acme-secret.internal", i)
}
func clusterProviderID(i int) string {
	return fmt.Sprintf("aws:///us-west-2%c/i-0feedc0de%07d", 'a'+rune(i%3), i)
}
func clusterIP(i int) string { return fmt.Sprintf("10.77.%d.%d", i/250, i%250+1) }

func pageToken(start int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":4242,"start":"` + strconv.Itoa(start) + `"}`))
}

func (s *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/version":
		fmt.Fprint(w, `{"major":"1","minor":"33","gitVersion":"v1.33.4-eks-e386d34","gitCommit":"7f1ccbe2","gitTreeState":"clean","buildDate":"2026-04-21T19:42:15Z","goVersion":"go1.24.6","compiler":"gc","platform":"linux/amd64"}`)
	case "/api":
		fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:443"}]}`)
	case "/apis":
		fmt.Fprint(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`)
	case "/api/v1/nodes":
		s.list(w, r)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
	}
}

func (s *fakeAPIServer) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.calls = append(s.calls, listCall{limit: q.Get("limit"), token: q.Get("continue")})
	s.mu.Unlock()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = s.nodes
	}
	start := 0
	if tok := q.Get("continue"); tok != "" {
		found := false
		for i := 0; i <= s.nodes; i++ {
			if pageToken(i) == tok {
				start, found = i, true
				break
			}
		}
		if !found {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"continue key is not valid","reason":"BadRequest","code":400}`)
			return
		}
	}
	end := min(start+limit, s.nodes)
	type obj = map[string]any
	items := make([]obj, 0, end-start)
	for i := start; i < end; i++ {
		labels := obj{
			"kubernetes.io/hostname":           clusterNodeName(i),
			"topology.kubernetes.io/region":    "us-west-2",
			"topology.kubernetes.io/zone":      fmt.Sprintf("us-west-2%c", 'a'+rune(i%3)),
			"node.kubernetes.io/instance-type": "p5.48xlarge",
		}
		alloc := obj{"cpu": "191450m", "pods": "100"}
		if i%4 != 0 { // three nodes in four are GPU nodes
			labels["nvidia.com/gpu.product"] = "NVIDIA-H100-80GB-HBM3"
			labels["nvidia.com/gpu.count"] = "8"
			labels["nvidia.com/cuda.driver-version.full"] = "580.159.04"
			alloc["nvidia.com/gpu"] = "8"
		} else {
			labels["node.kubernetes.io/instance-type"] = "m6i.2xlarge"
		}
		items = append(items, obj{
			"metadata": obj{"name": clusterNodeName(i), "uid": fmt.Sprintf("0d0e0a0d-0000-4000-8000-%012d", i), "labels": labels},
			"spec":     obj{"providerID": clusterProviderID(i)},
			"status": obj{
				"allocatable": alloc,
				"addresses": []obj{
					{"type": "InternalIP", "address": clusterIP(i)},
					{"type": "Hostname", "address": clusterNodeName(i)},
				},
				"nodeInfo": obj{
					"machineID": fmt.Sprintf("ec2%029d", i), "systemUUID": fmt.Sprintf("ec2%029d", i),
					"kernelVersion": "6.8.0-1035-aws", "osImage": "Ubuntu 24.04.3 LTS", "operatingSystem": "linux",
					"architecture": "amd64", "containerRuntimeVersion": "containerd://2.0.5", "kubeletVersion": "v1.33.4-eks-a737599",
				},
			},
		})
	}
	meta := obj{"resourceVersion": "4242"}
	if end < s.nodes {
		meta["continue"] = pageToken(end)
		meta["remainingItemCount"] = s.nodes - end
	}
	_ = json.NewEncoder(w).Encode(obj{"kind": "NodeList", "apiVersion": "v1", "metadata": meta, "items": items})
}

func (s *fakeAPIServer) listCalls() []listCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]listCall(nil), s.calls...)
}

// newCluster starts the API server and writes a kubeconfig for it.
func newCluster(t testing.TB, nodes int) (*fakeAPIServer, string) {
	t.Helper()
	api := &fakeAPIServer{nodes: nodes}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	writeFile(t, kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: `+srv.URL+`
users:
- name: test
  user:
    token: test-token
contexts:
- name: test
  context:
    cluster: test
    user: test
current-context: test
`))
	return api, kubeconfig
}

// readKubeconfigServer returns ["server", <the kubeconfig's server URL>].
func readKubeconfigServer(t testing.TB, kubeconfig string) []string {
	t.Helper()
	for _, line := range strings.Split(string(readFile(t, kubeconfig)), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "server: "); ok {
			return []string{"server", v}
		}
	}
	t.Fatal("kubeconfig has no server")
	return nil
}

// clusterArgs are in's flags with the cluster read through kubeconfig instead of --snapshot.
func clusterArgs(in inputs, out, kubeconfig string, extra ...string) []string {
	a := []string{
		"--recipe", in.recipe, "--recipe-name", h100Example, "--results", in.results, "--bom", in.bom,
		"--kubeconfig", kubeconfig, "--out", out, "--sign", "none", "--nvml", "off", "--attested-at", fixedAttestedAt,
	}
	return append(a, extra...)
}

func TestClusterPathMinimal(t *testing.T) {
	const n = 1200
	api, kubeconfig := newCluster(t, n)
	in := copyInputs(t, h100Example)
	out := outPath(t)
	rawOut := filepath.Join(t.TempDir(), "raw-snapshot.yaml")
	data, stderr := mustEmit(t, clusterArgs(in, out, kubeconfig, "--snapshot-out", rawOut), emit.Env{Terminal: true})

	want := []listCall{{"500", ""}, {"500", pageToken(500)}, {"500", pageToken(1000)}}
	if got := api.listCalls(); !reflect.DeepEqual(got, want) {
		t.Errorf("node list calls = %v, want %v", got, want)
	}
	// On a terminal, page progress rewrites one line.
	for _, m := range []string{"\r\033[K  500 nodes listed", "\r\033[K  1000 nodes listed", "\r\033[K  1200 nodes listed\n"} {
		if !strings.Contains(stderr, m) {
			t.Errorf("stderr lacks live progress %q:\n%q", m, stderr)
		}
	}

	files := bundleFiles(t, data)
	s := snapshotOf(t, files)
	summary := subtype(s, "NodeTopology", "summary")
	wantSummary := map[string]any{
		"node-count": 1200, "gpu-node-count": 900, "gpu-count": 7200, "gpu-products": "NVIDIA-H100-80GB-HBM3",
		"regions": "us-west-2", "zones": "us-west-2a,us-west-2b,us-west-2c", "instance-types": "m6i.2xlarge,p5.48xlarge",
		"architectures": "amd64", "cuda-driver": "580.159.04",
	}
	if !reflect.DeepEqual(summary, wantSummary) {
		t.Errorf("NodeTopology.summary = %v, want %v", summary, wantSummary)
	}
	if subtype(s, "NodeTopology", "nodes") != nil {
		t.Error("the minimal snapshot has NodeTopology.nodes")
	}
	// AICR's shape: the label subtype, node names as ordinals; AICR's rules
	// recompute from it what the signed (current-rules) claim says.
	labels := subtype(s, "NodeTopology", "label")
	if gpu, _ := labels["nvidia.com/gpu.product"].(string); !strings.HasPrefix(gpu, "NVIDIA-H100-80GB-HBM3|#1,#2,") || !strings.HasSuffix(gpu, ",#900") {
		t.Errorf("NodeTopology.label[nvidia.com/gpu.product] = %.80q…", gpu)
	}
	_, pred := predicateOf(t, files)
	afp, err := fingerprint.AICR.Compute(files[schema.FileSnapshot])
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		name      string
		aicr, our any
	}{
		{"accelerator", afp.Accelerator.Value, pred.Fingerprint.Accelerator.Value},
		{"region", afp.Region.Value, pred.Fingerprint.Region.Value},
		{"gpuNodeCount", afp.GPUNodeCount.Value, pred.Fingerprint.GPUNodeCount.Value},
		{"nodeCount", afp.NodeCount.Value, pred.Fingerprint.NodeCount.Value},
	} {
		if d.aicr != d.our {
			t.Errorf("%s: AICR's rules recompute %v from the published snapshot, the claim says %v", d.name, d.aicr, d.our)
		}
	}
	if got := subtype(s, "K8s", "server")["version"]; got != "v1.33.4-eks-e386d34" {
		t.Errorf("K8s.server.version = %v", got)
	}

	// No node name, provider ID or address anywhere in the archive.
	tarBytes := rawTar(t, data)
	for _, frag := range []string{"acme-secret", "gpu-worker-", "i-0feedc0de", "aws:///", "10.77.", "ec20000"} {
		if bytes.Contains(tarBytes, []byte(frag)) {
			t.Errorf("the minimal bundle contains %q", frag)
		}
	}
	for _, i := range []int{0, 1, 499, 500, 1199} {
		for _, v := range []string{clusterNodeName(i), clusterProviderID(i), clusterIP(i)} {
			if bytes.Contains(tarBytes, []byte(v)) {
				t.Errorf("the minimal bundle contains %q", v)
			}
		}
	}

	// The raw snapshot (--snapshot-out) is the unredacted one, readable by its owner only.
	if fi, err := os.Stat(rawOut); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("--snapshot-out mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	// Progress never names the API server (a public CI log would publish it).
	apiURL := strings.TrimPrefix(flagValue(t, readKubeconfigServer(t, kubeconfig), "server"), "https://")
	if strings.Contains(stderr, apiURL) || strings.Contains(stderr, "127.0.0.1") || strings.Contains(stderr, "https://") {
		t.Errorf("progress names an endpoint (%s):\n%s", apiURL, stderr)
	}
	raw := readFile(t, rawOut)
	if !bytes.Contains(raw, []byte(clusterNodeName(1199))) || !bytes.Contains(raw, []byte(clusterProviderID(1199))) {
		t.Error("--snapshot-out lacks the per-node records")
	}

	if pred.Redaction == nil {
		t.Fatal("predicate.redaction is absent")
	}
	wantRules := append(emit.CTRFRedactionRules(), bom.RuleAllowlist, snapshot.RuleAllowlist, snapshot.RuleNodesDrop, snapshot.RuleNodeOrdinals)
	sort.Strings(wantRules)
	if pred.Redaction.Policy != "minimal" || pred.Redaction.Version != "v1" || !reflect.DeepEqual(pred.Redaction.Applied, wantRules) {
		t.Errorf("predicate.redaction = %+v, want minimal v1 %v", *pred.Redaction, wantRules)
	}
	if res := inspect(t, data); res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s", describe(res))
	}
}

func TestClusterPathRedactFullKeepsNodes(t *testing.T) {
	const n = 1200
	_, kubeconfig := newCluster(t, n)
	in := copyInputs(t, h100Example)
	out := outPath(t)
	data, _ := mustEmit(t, clusterArgs(in, out, kubeconfig, "--redact", "full"), emit.Env{})
	files := bundleFiles(t, data)
	s := snapshotOf(t, files)
	nodes := subtype(s, "NodeTopology", "nodes")
	if nodes == nil {
		t.Fatal("--redact full dropped NodeTopology.nodes")
	}
	for _, i := range []int{0, 1199} {
		if got := nodes[clusterNodeName(i)+".provider-id"]; got != clusterProviderID(i) {
			t.Errorf("NodeTopology.nodes[%s.provider-id] = %v, want %s", clusterNodeName(i), got, clusterProviderID(i))
		}
	}
	if got := subtype(s, "NodeTopology", "summary")["node-count"]; got != n {
		t.Errorf("node-count = %v, want %d", got, n)
	}
	_, pred := predicateOf(t, files)
	if pred.Redaction != nil {
		t.Errorf("--redact full recorded redaction %+v", *pred.Redaction)
	}
	if res := inspect(t, data); res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s", describe(res))
	}
}

// TestClusterForbiddenNamesTheProblem: an API server that refuses the
// emitter's credentials (RBAC) fails the run with a message that says so.
func TestClusterForbiddenNamesTheProblem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"/version\"","reason":"Forbidden","code":403}`)
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	writeFile(t, kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "+srv.URL+
		"\ncontexts:\n- name: c\n  context:\n    cluster: c\ncurrent-context: c\n"))
	in := copyInputs(t, h100Example)
	out := outPath(t)
	res := runEmit(t, clusterArgs(in, out, kubeconfig), emit.Env{})
	assertOneLine(t, res.err, "cluster snapshot", "server version")
	if res.err != nil && !strings.Contains(strings.ToLower(res.err.Error()), "forbidden") {
		t.Errorf("error %q does not say the API server refused the request (403 Forbidden)", res.err)
	}
	assertNothingWritten(t, out)
}

// --- Input errors -----------------------------------------------------------

// dropFlags removes the named flags and their values from args.
func dropFlags(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if slices.Contains(names, args[i]) {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func TestInputErrors(t *testing.T) {
	type tc struct {
		name string
		// setup changes the inputs and returns the arguments.
		setup func(t *testing.T, in inputs, out string) []string
		// want are the fragments of the one-line error.
		want   func(in inputs) []string
		parser bool // the error comes from Parse
	}
	cases := []tc{
		{
			name:   "missing --recipe flag",
			setup:  func(t *testing.T, in inputs, out string) []string { return dropFlags(in.args(out), "--recipe") },
			want:   func(inputs) []string { return []string{"--recipe", "required"} },
			parser: true,
		},
		{
			name: "missing recipe file",
			setup: func(t *testing.T, in inputs, out string) []string {
				if err := os.Remove(in.recipe); err != nil {
					t.Fatal(err)
				}
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--recipe", in.recipe, "no such file"} },
		},
		{
			name: "recipe with a duplicate key",
			setup: func(t *testing.T, in inputs, out string) []string {
				r := readFile(t, in.recipe)
				r = bytes.Replace(r, []byte("  accelerator: h100\n"), []byte("  accelerator: h100\n  accelerator: h200\n"), 1)
				writeFile(t, in.recipe, r)
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--recipe " + in.recipe, "duplicate key", "accelerator"} },
		},
		{
			name: "results folder with no report",
			setup: func(t *testing.T, in inputs, out string) []string {
				for _, p := range schema.Phases() {
					if err := os.Remove(filepath.Join(in.results, p+".json")); err != nil {
						t.Fatal(err)
					}
				}
				writeFile(t, filepath.Join(in.results, "junit.xml"), []byte("<testsuites/>"))
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--results " + in.results, "no CTRF report"} },
		},
		{
			name: "results folder missing",
			setup: func(t *testing.T, in inputs, out string) []string {
				if err := os.RemoveAll(in.results); err != nil {
					t.Fatal(err)
				}
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--results " + in.results} },
		},
		{
			name: "CTRF summary disagrees with its tests",
			setup: func(t *testing.T, in inputs, out string) []string {
				p := filepath.Join(in.results, "deployment.json")
				b := bytes.Replace(readFile(t, p), []byte(`"passed": 4`), []byte(`"passed": 3`), 1)
				writeFile(t, p, b)
				return in.args(out)
			},
			want: func(in inputs) []string {
				return []string{"--results", filepath.Join(in.results, "deployment.json"), "summary", "disagrees"}
			},
		},
		{
			name: "CTRF not JSON",
			setup: func(t *testing.T, in inputs, out string) []string {
				writeFile(t, filepath.Join(in.results, "performance.json"), []byte("{\"reportFormat\": \"CTRF\",\n  results: }"))
				return in.args(out)
			},
			want: func(in inputs) []string {
				return []string{"--results " + filepath.Join(in.results, "performance.json"), "CTRF"}
			},
		},
		{
			name: "CTRF with an unknown status",
			setup: func(t *testing.T, in inputs, out string) []string {
				p := filepath.Join(in.results, "conformance.json")
				writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`"status": "passed"`), []byte(`"status": "green"`), 1))
				return in.args(out)
			},
			want: func(in inputs) []string {
				return []string{"--results " + filepath.Join(in.results, "conformance.json"), `unknown status "green"`}
			},
		},
		{
			name: "BOM not CycloneDX 1.6",
			setup: func(t *testing.T, in inputs, out string) []string {
				b := readFile(t, in.bom)
				b2 := bytes.Replace(b, []byte(`"specVersion": "1.6"`), []byte(`"specVersion": "1.5"`), 1)
				if bytes.Equal(b, b2) {
					t.Fatal("the example BOM has no specVersion 1.6 to change")
				}
				writeFile(t, in.bom, b2)
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--bom " + in.bom, "1.5", "1.6"} },
		},
		{
			name: "BOM not JSON",
			setup: func(t *testing.T, in inputs, out string) []string {
				writeFile(t, in.bom, []byte("<bom/>"))
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--bom " + in.bom, "CycloneDX"} },
		},
		{
			name: "snapshot not a snapshot",
			setup: func(t *testing.T, in inputs, out string) []string {
				writeFile(t, in.snapshot, []byte("measurements: 3\n"))
				return in.args(out)
			},
			want: func(in inputs) []string { return []string{"--snapshot " + in.snapshot} },
		},
		{
			name:   "--sign bogus",
			setup:  func(t *testing.T, in inputs, out string) []string { return append(in.args(out), "--sign", "bogus") },
			want:   func(inputs) []string { return []string{`--sign "bogus"`, "keyless or none"} },
			parser: true,
		},
		{
			name:   "--redact bogus",
			setup:  func(t *testing.T, in inputs, out string) []string { return append(in.args(out), "--redact", "some") },
			want:   func(inputs) []string { return []string{`--redact "some"`} },
			parser: true,
		},
		{
			name:   "--nvml bogus",
			setup:  func(t *testing.T, in inputs, out string) []string { return append(in.args(out), "--nvml", "on") },
			want:   func(inputs) []string { return []string{`--nvml "on"`} },
			parser: true,
		},
		{
			name: "--rekor-version 2 without --tsa-url",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--rekor-version", "2")
			},
			want:   func(inputs) []string { return []string{"--rekor-version 2", "--tsa-url"} },
			parser: true,
		},
		{
			name: "--rekor-version 3",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--rekor-version", "3")
			},
			want:   func(inputs) []string { return []string{"--rekor-version 3"} },
			parser: true,
		},
		{
			name:   "unknown flag",
			setup:  func(t *testing.T, in inputs, out string) []string { return append(in.args(out), "--bogus") },
			want:   func(inputs) []string { return []string{"-bogus"} },
			parser: true,
		},
		{
			name:   "stray argument",
			setup:  func(t *testing.T, in inputs, out string) []string { return append(in.args(out), "extra.yaml") },
			want:   func(inputs) []string { return []string{`"extra.yaml"`} },
			parser: true,
		},
		{
			name: "invalid --recipe-name",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--recipe-name", "H100 Training")
			},
			want: func(inputs) []string { return []string{`recipe name "H100 Training"`, "--recipe-name"} },
		},
		{
			name: "AICR's name from the criteria is no valid name",
			setup: func(t *testing.T, in inputs, out string) []string {
				p := filepath.Join(in.dir, "h100-training.yaml")
				writeFile(t, p, bytes.Replace(readFile(t, in.recipe), []byte("  intent: training\n"), []byte("  intent: Training_X\n"), 1))
				return append(dropFlags(in.args(out), "--recipe-name"), "--recipe", p)
			},
			want: func(inputs) []string { return []string{`recipe name "h100-eks-ubuntu-Training_X"`, "--recipe-name"} },
		},
		{
			name: "--attested-at not RFC 3339",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--attested-at", "yesterday")
			},
			want: func(inputs) []string { return []string{"--attested-at"} },
		},
		{
			name: "--out in a missing folder",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--out", filepath.Join(filepath.Dir(out), "missing", "b.tar.gz"))
			},
			want: func(inputs) []string { return []string{"--out", "missing"} },
		},
		{
			name: "--sign keyless without any identity token",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--sign", "keyless", "--interactive=false")
			},
			want: func(inputs) []string { return []string{"no OIDC identity token", "--identity-token"} },
		},
		{
			name: "--identity-token missing file",
			setup: func(t *testing.T, in inputs, out string) []string {
				return append(in.args(out), "--sign", "keyless", "--identity-token", filepath.Join(in.dir, "no-token"))
			},
			want: func(in inputs) []string { return []string{"--identity-token " + filepath.Join(in.dir, "no-token")} },
		},
		{
			name: "--trusted-root missing file",
			setup: func(t *testing.T, in inputs, out string) []string {
				tok := filepath.Join(in.dir, "token")
				writeFile(t, tok, []byte("a.b.c"))
				return append(in.args(out), "--sign", "keyless", "--identity-token", tok, "--trusted-root", filepath.Join(in.dir, "no-root.json"))
			},
			want: func(inputs) []string { return []string{"--trusted-root"} },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := copyInputs(t, h100Example)
			out := outPath(t)
			args := c.setup(t, in, out)
			var stderr bytes.Buffer
			opts, err := emit.Parse(args, &stderr)
			if c.parser {
				if err == nil {
					t.Fatalf("Parse accepted %q", args)
				}
			} else {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				err = emit.Run(context.Background(), opts, emit.Env{Stderr: &stderr, Getenv: func(string) string { return "" }, OpenGPU: unavailable})
			}
			assertOneLine(t, err, c.want(in)...)
			assertNothingWritten(t, out)
			if strings.Contains(stderr.String(), "emit: wrote") {
				t.Errorf("progress says a bundle was written:\n%s", stderr.String())
			}
		})
	}
}

func TestOutIsAFolder(t *testing.T) {
	in := copyInputs(t, h100Example)
	parent := t.TempDir()
	out := filepath.Join(parent, "bundle")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	res := runEmit(t, in.args(out), emit.Env{})
	assertOneLine(t, res.err, "--out "+out)
	fi, err := os.Stat(out)
	if err != nil || !fi.IsDir() {
		t.Fatalf("--out folder was replaced: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("files written into the --out folder: %v", entries)
	}
	assertNoTempFiles(t, parent)
}

func TestOutReplacedAtomically(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	writeFile(t, out, []byte("old bundle"))
	data, _ := mustEmit(t, in.args(out), emit.Env{})
	if bytes.Equal(data, []byte("old bundle")) {
		t.Fatal("--out not replaced")
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("--out mode %v, want 0644", fi.Mode().Perm())
	}
	assertNoTempFiles(t, filepath.Dir(out))
	// A failed run leaves the previous bundle alone.
	res := runEmit(t, append(in.args(out), "--recipe-name", "Bad Name"), emit.Env{})
	if res.err == nil {
		t.Fatal("emit accepted an invalid recipe name")
	}
	if got := readFile(t, out); !bytes.Equal(got, data) {
		t.Error("a failed run changed the existing --out")
	}
}

// --- Names and defaults --------------------------------------------------------

func TestRecipeNameDefaults(t *testing.T) {
	in := copyInputs(t, h100Example)
	// No metadata.name: AICR's rule (the criteria), never the file name.
	named := filepath.Join(in.dir, "some-file-name.yml")
	writeFile(t, named, readFile(t, in.recipe))
	args := append(dropFlags(in.args(outPath(t)), "--recipe-name"), "--recipe", named)
	data, stderr := mustEmit(t, args, emit.Env{})
	subj, pred := predicateOf(t, bundleFiles(t, data))
	if subj != "recipe:h100-eks-ubuntu-training" || pred.Recipe.Name != "h100-eks-ubuntu-training" {
		t.Errorf("subject %q, recipe name %q, want AICR's name from the criteria", subj, pred.Recipe.Name)
	}
	for _, w := range []string{"recipe name h100-eks-ubuntu-training (from AICR's rule", "recipe h100-eks-ubuntu-training"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("progress lacks %q:\n%s", w, stderr)
		}
	}

	// metadata.name wins over the file name.
	r := bytes.Replace(readFile(t, in.recipe), []byte("metadata:\n"), []byte("metadata:\n  name: gb200-from-metadata\n"), 1)
	writeFile(t, named, r)
	args2 := append(dropFlags(args, "--out"), "--out", outPath(t))
	data2, stderr2 := mustEmit(t, args2, emit.Env{})
	if subj, _ := predicateOf(t, bundleFiles(t, data2)); subj != "recipe:gb200-from-metadata" {
		t.Errorf("subject %q, want metadata.name", subj)
	}
	if !strings.Contains(stderr2, "recipe name gb200-from-metadata (from the recipe's metadata.name)") {
		t.Errorf("progress does not say metadata.name named the recipe:\n%s", stderr2)
	}
	// --recipe-name wins over both.
	args3 := append(dropFlags(args2, "--out"), "--out", outPath(t), "--recipe-name", "explicit.name_1")
	data3, _ := mustEmit(t, args3, emit.Env{})
	if subj, _ := predicateOf(t, bundleFiles(t, data3)); subj != "recipe:explicit.name_1" {
		t.Errorf("subject %q, want --recipe-name", subj)
	}
}

func TestGeneratedBOMAndDefaults(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := dropFlags(in.args(out), "--bom", "--aicr-version")
	data, _ := mustEmit(t, args, emit.Env{})
	files := bundleFiles(t, data)
	_, pred := predicateOf(t, files)
	if pred.AICRVersion != "verify-evidence-emit" {
		t.Errorf("aicrVersion = %q, want the default", pred.AICRVersion)
	}
	if pred.BOM.ComponentCount != 3 || pred.BOM.Digest != schema.SHA256Prefixed(files[schema.FileBOM]) {
		t.Errorf("generated BOM summary %+v", pred.BOM)
	}
	if pred.AttestedAt != fixedAttestedAt {
		t.Errorf("attestedAt = %q, want %q", pred.AttestedAt, fixedAttestedAt)
	}
	if res := inspect(t, data); res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s", describe(res))
	}
}

// --- Progress ------------------------------------------------------------------

func TestProgressQuietPrintsNothing(t *testing.T) {
	in := copyInputs(t, h100Example)
	_, stderr := mustEmit(t, append(in.args(outPath(t)), "--quiet"), emit.Env{})
	if stderr != "" {
		t.Errorf("--quiet printed %q", stderr)
	}
	// Also on the cluster path, where progress is live.
	_, kubeconfig := newCluster(t, 1200)
	_, stderr = mustEmit(t, clusterArgs(in, outPath(t), kubeconfig, "--quiet"), emit.Env{Terminal: true})
	if stderr != "" {
		t.Errorf("--quiet on a terminal printed %q", stderr)
	}
}

func TestProgressPlainLines(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	_, stderr := mustEmit(t, in.args(out), emit.Env{Terminal: false})
	if strings.Contains(stderr, "\r") || strings.Contains(stderr, "\033") {
		t.Errorf("plain progress has terminal control characters: %q", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("want several progress lines, got %q", stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "emit: ") {
			t.Errorf("progress line %q lacks the \"emit: \" prefix", l)
		}
	}
	// Files by base name only: their folders may name the user (public CI log).
	for _, w := range []string{"using snapshot " + filepath.Base(in.snapshot), "not signing (--sign none)", "writing " + filepath.Base(out), "wrote " + filepath.Base(out)} {
		if !strings.Contains(stderr, w) {
			t.Errorf("progress lacks %q:\n%s", w, stderr)
		}
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "3 phase report(s)") || !strings.Contains(last, "attested "+fixedAttestedAt) {
		t.Errorf("last line %q", last)
	}
}

func TestProgressUnit(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		var b bytes.Buffer
		p := emit.NewProgress(&b, true, false)
		p.Update("%d nodes listed", 500)
		p.Update("%d nodes listed", 1000)
		p.Step("next %s", "step")
		p.Update("x")
		p.Done()
		p.Done()
		want := "\r\033[K  500 nodes listed\r\033[K  1000 nodes listed\nemit: next step\n\r\033[K  x\n"
		if b.String() != want {
			t.Errorf("terminal progress %q, want %q", b.String(), want)
		}
	})
	t.Run("log", func(t *testing.T) {
		var b bytes.Buffer
		p := emit.NewProgress(&b, false, false)
		p.Update("%d nodes listed", 500)
		p.Update("%d nodes listed", 1000) // within 2 s of the last: dropped
		p.Done()
		p.Step("done")
		want := "emit:   500 nodes listed\nemit: done\n"
		if b.String() != want {
			t.Errorf("log progress %q, want %q", b.String(), want)
		}
	})
	t.Run("quiet", func(t *testing.T) {
		for _, term := range []bool{false, true} {
			var b bytes.Buffer
			p := emit.NewProgress(&b, term, true)
			p.Step("a")
			p.Update("b")
			p.Done()
			if b.Len() != 0 {
				t.Errorf("quiet (terminal %v) wrote %q", term, b.String())
			}
		}
	})
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, f := range map[string]*os.File{"regular file": f, "pipe": w} {
		if emit.IsTerminal(f) {
			t.Errorf("IsTerminal(%s) = true", name)
		}
	}
}

// --- Parse -----------------------------------------------------------------------

func TestParseDefaults(t *testing.T) {
	var stderr bytes.Buffer
	o, err := emit.Parse([]string{"--recipe", "r.yaml", "--results", "ctrf"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := emit.Options{Recipe: "r.yaml", Results: "ctrf", Out: "evidence-bundle.tar.gz", Sign: "keyless",
		Redact: "minimal", NVML: "auto", Interactive: true, PointerDir: "."}
	if !reflect.DeepEqual(*o, want) {
		t.Errorf("defaults %+v, want %+v", *o, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("Parse wrote %q", stderr.String())
	}
}

func TestParseHelp(t *testing.T) {
	var stderr bytes.Buffer
	_, err := emit.Parse([]string{"--help"}, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, w := range []string{"Usage:", "--recipe FILE", "-nvml", "-identity-token", "-yes", "transparency log"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("usage lacks %q", w)
		}
	}
}
