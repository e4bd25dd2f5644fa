package snapshot

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// apiServer is an httptest Kubernetes API server that serves recorded,
// real-shaped responses: /version, /api, /apis, and the node list, generated
// page by page from testdata/apiserver/node-*.json.tmpl (one CPU node in five,
// the rest p5 GPU nodes, spread over three zones).
type apiServer struct {
	t       testing.TB
	nodes   int
	gpuTmpl []string // the template split around ${…} placeholders: text, name, text, name, …, text
	cpuTmpl []string
	files   map[string][]byte
	// expire says whether the list call (1-based) with this continue token
	// answers 410 Gone.
	expire func(call int, token string) bool

	mu    sync.Mutex
	calls []listCall
}

// listCall records one GET /api/v1/nodes.
type listCall struct{ limit, token string }

const listRV = 48213377

func newAPIServer(tb testing.TB, nodes int) (*apiServer, *httptest.Server) {
	tb.Helper()
	s := &apiServer{t: tb, nodes: nodes, files: map[string][]byte{}}
	for _, name := range []string{"version.json", "api.json", "apis.json", "expired.json", "node-gpu.json.tmpl", "node-cpu.json.tmpl"} {
		b, err := os.ReadFile(filepath.Join("testdata", "apiserver", name))
		if err != nil {
			tb.Fatal(err)
		}
		s.files[name] = b
	}
	// Compact the templates as the API server does (one line per object).
	s.gpuTmpl = splitTemplate(compactJSON(tb, s.files["node-gpu.json.tmpl"]))
	s.cpuTmpl = splitTemplate(compactJSON(tb, s.files["node-cpu.json.tmpl"]))
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	return s, srv
}

func compactJSON(tb testing.TB, b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// splitTemplate splits text around its ${NAME} placeholders.
func splitTemplate(text string) []string {
	var parts []string
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			return append(parts, text)
		}
		j := strings.IndexByte(text[i:], '}')
		parts = append(parts, text[:i], text[i+2:i+j])
		text = text[i+j+1:]
	}
}

// nodeName is the EKS-style name of node i; nodeIndex inverts it.
func nodeName(i int) string {
	return fmt.Sprintf("ip-10-%d-%d-%d.us-west-2.compute.internal", 16+i/65536, (i/256)%256, i%256)
}

func nodeIndex(name string) (int, bool) {
	var a, b, c int
	if _, err := fmt.Sscanf(name, "ip-10-%d-%d-%d.us-west-2.compute.internal", &a, &b, &c); err != nil {
		return 0, false
	}
	return (a-16)*65536 + b*256 + c, true
}

// continueToken is a token in the API server's format: base64 of
// {"v":"meta.k8s.io/v1","rv":…,"start":"<last key>\u0000"}.
func continueToken(lastName string) string {
	b, _ := json.Marshal(map[string]any{"v": "meta.k8s.io/v1", "rv": listRV, "start": lastName + "\x00"})
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/version":
		s.writeFile(w, "version.json", http.StatusOK)
	case "/api":
		s.writeFile(w, "api.json", http.StatusOK)
	case "/apis":
		s.writeFile(w, "apis.json", http.StatusOK)
	case "/api/v1/nodes":
		s.listNodes(w, r)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`)
	}
}

func (s *apiServer) writeFile(w http.ResponseWriter, name string, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(s.files[name])
}

func (s *apiServer) listNodes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limitText, token := q.Get("limit"), q.Get("continue")
	s.mu.Lock()
	s.calls = append(s.calls, listCall{limit: limitText, token: token})
	call := len(s.calls)
	s.mu.Unlock()
	if accept := r.Header.Get("Accept"); !strings.Contains(accept, "application/json") {
		http.Error(w, "want JSON, Accept is "+accept, http.StatusNotAcceptable)
		return
	}
	if s.expire != nil && s.expire(call, token) {
		body := strings.ReplaceAll(string(s.files["expired.json"]), "${CONTINUE}", token)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusGone)
		_, _ = w.Write([]byte(body))
		return
	}
	limit, err := strconv.Atoi(limitText)
	if err != nil || limit <= 0 {
		limit = s.nodes
	}
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		var tok struct {
			V     string `json:"v"`
			RV    int    `json:"rv"`
			Start string `json:"start"`
		}
		if err == nil {
			err = json.Unmarshal(raw, &tok)
		}
		i, ok := nodeIndex(strings.TrimSuffix(tok.Start, "\x00"))
		if err != nil || !ok || tok.RV != listRV {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"continue key is not valid","reason":"BadRequest","code":400}`)
			return
		}
		start = i + 1
	}
	end := min(start+limit, s.nodes)
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, `{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"%d"`, listRV)
	if end < s.nodes {
		fmt.Fprintf(bw, `,"continue":%q,"remainingItemCount":%d`, continueToken(nodeName(end-1)), s.nodes-end)
	}
	bw.WriteString(`},"items":[`)
	for i := start; i < end; i++ {
		if i > start {
			bw.WriteByte(',')
		}
		tmpl := s.gpuTmpl
		if i%5 == 0 {
			tmpl = s.cpuTmpl
		}
		vars := map[string]string{
			"NAME":     nodeName(i),
			"UID":      fmt.Sprintf("5c0e4a1e-7b1d-4f2a-9c3e-%012x", i),
			"UIDHEX":   fmt.Sprintf("%029x", i),
			"RV":       strconv.Itoa(listRV - 100000 + i),
			"ZONE":     []string{"us-west-2a", "us-west-2b", "us-west-2c"}[i%3],
			"INSTANCE": fmt.Sprintf("i-0%016x", 0xa11ce0000+i),
			"IP":       fmt.Sprintf("10.%d.%d.%d", 16+i/65536, (i/256)%256, i%256),
		}
		for k, part := range tmpl {
			if k%2 == 0 {
				bw.WriteString(part)
				continue
			}
			v, ok := vars[part]
			if !ok {
				s.t.Errorf("template placeholder %q has no value", part)
			}
			bw.WriteString(v)
		}
	}
	bw.WriteString("]}\n")
	_ = bw.Flush()
}

func (s *apiServer) listCalls() []listCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]listCall(nil), s.calls...)
}

// clientFor builds a real clientset (client-go transport, JSON decoding) for
// the test server, without client-side throttling.
func clientFor(tb testing.TB, url string) kubernetes.Interface {
	tb.Helper()
	c, err := kubernetes.NewForConfig(&rest.Config{Host: url, QPS: 1e6, Burst: 1e6})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// wantPagedCalls is the list calls a full list of n nodes in pages of 500 makes.
func wantPagedCalls(n int) []listCall {
	var calls []listCall
	for start := 0; start < n; start += 500 {
		tok := ""
		if start > 0 {
			tok = continueToken(nodeName(start - 1))
		}
		calls = append(calls, listCall{limit: "500", token: tok})
	}
	return calls
}

func checkCalls(t *testing.T, got, want []listCall) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d list calls, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("list call %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
}

// want5000Summary is NodeTopology.summary of the generated 5,000-node cluster.
func want5000Summary() map[string]any {
	return map[string]any{
		"node-count":     5000,
		"gpu-node-count": 4000,
		"gpu-count":      32000,
		"gpu-products":   "NVIDIA-H100-80GB-HBM3",
		"regions":        "us-west-2",
		"zones":          "us-west-2a,us-west-2b,us-west-2c",
		"instance-types": "m6i.2xlarge,p5.48xlarge",
		"architectures":  "amd64",
		"cuda-driver":    "580.159.04",
	}
}

func TestCollectAPIServerPaginated(t *testing.T) {
	api, srv := newAPIServer(t, 5000)
	var progress []int
	got, err := Collect(context.Background(), clientFor(t, srv.URL), Options{Progress: func(n int) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	checkCalls(t, api.listCalls(), wantPagedCalls(5000))
	if want := []int{500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000}; fmt.Sprint(progress) != fmt.Sprint(want) {
		t.Errorf("progress = %v, want %v", progress, want)
	}
	checkSubtype(t, got, "K8s", "server", map[string]any{"version": "v1.33.4-eks-e386d34", "platform": "linux/amd64"})
	checkSubtype(t, got, "K8s", "node", map[string]any{
		"provider":                  "eks",
		"kubelet-version":           "v1.33.0-eks-802817d,v1.33.4-eks-a737599",
		"kernel-version":            "6.1.134-152.225.amzn2023.x86_64,6.8.0-1035-aws",
		"operating-system":          "linux",
		"os-image":                  "Amazon Linux 2023.7.20250512,Ubuntu 24.04.3 LTS",
		"container-runtime-name":    "containerd",
		"container-runtime-version": "1.7.27,2.0.5",
	})
	checkSubtype(t, got, "OS", "release", map[string]any{"ID": "ubuntu", "VERSION_ID": "24.04", "PRETTY_NAME": "Ubuntu 24.04.3 LTS"})
	checkSubtype(t, got, "NodeTopology", "summary", want5000Summary())

	// Node 0 is a CPU node in us-west-2a, node 4999 a GPU node in us-west-2b.
	nodes := subtypeData(t, got, "NodeTopology", "nodes")
	if len(nodes) != 5000*8-1000*3 {
		t.Errorf("NodeTopology.nodes has %d keys, want %d", len(nodes), 5000*8-1000*3)
	}
	for k, want := range map[string]any{
		nodeName(0) + ".provider-id":     fmt.Sprintf("aws:///us-west-2a/i-0%016x", 0xa11ce0000),
		nodeName(0) + ".internal-ips":    "10.16.0.0",
		nodeName(0) + ".instance-type":   "m6i.2xlarge",
		nodeName(4999) + ".gpu-product":  "NVIDIA-H100-80GB-HBM3",
		nodeName(4999) + ".gpu-count":    "8",
		nodeName(4999) + ".cuda-driver":  "580.159.04",
		nodeName(4999) + ".zone":         "us-west-2b",
		nodeName(4999) + ".internal-ips": "10.16.19.135",
	} {
		if nodes[k] != want {
			t.Errorf("NodeTopology.nodes[%q] = %v, want %v", k, nodes[k], want)
		}
	}

	// The whole thing marshals within the snapshot size limit and round-trips.
	b, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fingerprint.ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fingerprint.ComputeFromSnapshot(back), fingerprint.ComputeFromSnapshot(got)) {
		t.Error("fingerprint changed through Marshal and ParseSnapshot")
	}
	t.Logf("5,000-node snapshot: %d bytes of YAML in full form", len(b))
}

func TestCollectAPIServerExpiredContinue(t *testing.T) {
	api, srv := newAPIServer(t, 5000)
	expiredToken := continueToken(nodeName(1499))
	api.expire = func(call int, token string) bool { return call == 4 && token == expiredToken }
	var notices []string
	var progress []int
	got, err := Collect(context.Background(), clientFor(t, srv.URL), Options{
		Notify:   func(msg string) { notices = append(notices, msg) },
		Progress: func(n int) { progress = append(progress, n) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := wantPagedCalls(5000)[:4] // pages 1-3, then the expired fourth
	want = append(want, wantPagedCalls(5000)...)
	checkCalls(t, api.listCalls(), want)
	if len(notices) != 1 || !strings.Contains(notices[0], "continue token expired after 1500 nodes; restarting the list once") {
		t.Errorf("notices = %q", notices)
	}
	if len(progress) != 13 || progress[2] != 1500 || progress[3] != 500 || progress[12] != 5000 {
		t.Errorf("progress = %v", progress)
	}
	// The partial first pass is discarded: counts are not doubled.
	checkSubtype(t, got, "NodeTopology", "summary", want5000Summary())
	if n := len(subtypeData(t, got, "NodeTopology", "nodes")); n != 5000*8-1000*3 {
		t.Errorf("NodeTopology.nodes has %d keys after the restart", n)
	}

	// Expiring again after the restart is an error, on one line.
	api2, srv2 := newAPIServer(t, 5000)
	api2.expire = func(call int, token string) bool { return token != "" }
	_, err = Collect(context.Background(), clientFor(t, srv2.URL), Options{})
	if err == nil {
		t.Fatal("second expiry: no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "continue token expired again after the restart, at 500 nodes") ||
		!strings.Contains(msg, "too old to display a consistent list result") || strings.Contains(msg, "\n") {
		t.Errorf("second expiry: error %q", msg)
	}
	if n := len(api2.listCalls()); n != 4 {
		t.Errorf("second expiry: %d list calls, want 4", n)
	}
}

func TestCollectAPIServerErrors(t *testing.T) {
	// A list error other than an expired token is not retried.
	api, srv := newAPIServer(t, 1000)
	api.expire = func(call int, token string) bool { return call == 1 } // 410 on the first page: no token to restart
	_, err := Collect(context.Background(), clientFor(t, srv.URL), Options{})
	if err == nil || !strings.Contains(err.Error(), "snapshot: list nodes (page 1)") {
		t.Errorf("410 on the first page: err = %v", err)
	}
	if n := len(api.listCalls()); n != 1 {
		t.Errorf("410 on the first page: %d calls, want 1", n)
	}

	// No API server at all.
	srv.Close()
	_, err = Collect(context.Background(), clientFor(t, srv.URL), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "snapshot: server version: ") {
		t.Errorf("closed server: err = %v", err)
	}
}

func subtypeData(t testing.TB, s *fingerprint.Snapshot, typ, sub string) map[string]any {
	t.Helper()
	for _, m := range s.Measurements {
		for _, st := range m.Subtypes {
			if m.Type == typ && st.Subtype == sub {
				return st.Data
			}
		}
	}
	t.Fatalf("%s.%s: missing", typ, sub)
	return nil
}

// benchmarkCollect lists n nodes in pages of 500 through the test server and
// reports allocations, bytes/op and the peak heap in use, sampled after each
// page and at the end.
func benchmarkCollect(b *testing.B, n, maxDetails int) {
	_, srv := newAPIServer(b, n)
	client := clientFor(b, srv.URL)
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	opts := Options{MaxNodeDetails: maxDetails, Progress: func(int) { sample() }}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := Collect(context.Background(), client, opts)
		if err != nil {
			b.Fatal(err)
		}
		sample()
		if got := subtypeData(b, s, "NodeTopology", "summary")["node-count"]; got != n {
			b.Fatalf("node-count %v, want %d", got, n)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkCollect5000Nodes: 5,000 nodes, 10 pages. Compare with
// BenchmarkCollect1000Nodes: peak heap is about one page, so it does not grow
// with the node count, except for the per-node records of NodeTopology.nodes
// (details=on).
func BenchmarkCollect5000Nodes(b *testing.B) {
	b.Run("details=on", func(b *testing.B) { benchmarkCollect(b, 5000, 0) })
	b.Run("details=off", func(b *testing.B) { benchmarkCollect(b, 5000, -1) })
}

// BenchmarkCollect1000Nodes is the 1,000-node baseline for BenchmarkCollect5000Nodes.
func BenchmarkCollect1000Nodes(b *testing.B) {
	b.Run("details=on", func(b *testing.B) { benchmarkCollect(b, 1000, 0) })
	b.Run("details=off", func(b *testing.B) { benchmarkCollect(b, 1000, -1) })
}
