package statuspage_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/statuspage"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
	"github.com/aicr/verify-evidence/internal/verify"
)

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (CI=true requires it; scripts/test.sh installs it with apt-get)")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping")
	}
}

// chromium runs headless Debian chromium with the flags of a locked-down
// renderer and returns its stdout.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(), "--window-size=1280,900",
		"--virtual-time-budget=5000"}
	cmd := exec.CommandContext(ctx, "chromium", append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// dom is a parsed --dump-dom.
type dom struct{ root *html.Node }

func parseDOM(t *testing.T, b []byte) dom {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return dom{n}
}

func (d dom) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

func (d dom) tag(name string) []*html.Node {
	return d.all(func(n *html.Node) bool { return n.Data == name })
}

func (d dom) id(id string) *html.Node {
	ns := d.all(func(n *html.Node) bool { return attr(n, "id") == id })
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// rows returns the recipe names of the table's rows, in order.
func (d dom) rows() []string {
	var names []string
	for _, tr := range d.all(func(n *html.Node) bool { return n.Data == "tr" && hasAttr(n, "data-recipe") }) {
		names = append(names, attr(tr, "data-recipe"))
	}
	return names
}

// The status page of a sweep over the shipped examples and hostile bundles,
// as a person sees it in headless Chromium: the script runs under the strict
// CSP and builds one row per recipe with the right counts; hostile names are
// text, never elements (no <img>, no extra script, the title untouched); a
// script injected into the page is blocked by the CSP; the filters, the sort
// and the detail view work from the URL. A screenshot is kept.
func TestStatusPageInChromium(t *testing.T) {
	needChromium(t)
	checkout := sweeptest.Checkout(t, true)
	rep, err := sweep.Run(context.Background(), sweeptest.Config(t, checkout))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := statuspage.WriteDir(dir, rep); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, statuspage.PageFile)

	d := parseDOM(t, chromium(t, "--dump-dom", page))
	if body := d.tag("body"); len(body) != 1 || attr(body[0], "data-ready") != "1" {
		t.Fatal("the page's script did not run (blocked by its own CSP?)")
	}
	wantRows := []string{sweeptest.HostileDir, "b200-gke-cos-training", "evil", "h100-eks-ubuntu-training", "h200-oke-ubuntu-inference"}
	// Default order: by verdict (passed, no evidence, failing, error, invalid), then name.
	if got := d.rows(); strings.Join(got, "|") != strings.Join([]string{"h100-eks-ubuntu-training", "b200-gke-cos-training", "h200-oke-ubuntu-inference", sweeptest.HostileDir, "evil"}, "|") {
		t.Errorf("rows %q, want %d rows %q sorted by verdict", got, len(wantRows), wantRows)
	}
	if s := text(d.id("summary")); !strings.HasPrefix(s, "5 recipes: 1 passed, 1 failing, 2 invalid, 0 undecided, 1 without evidence; 0 expiring") {
		t.Errorf("summary %q", s)
	}
	if n := len(d.tag("img")); n != 0 {
		t.Errorf("%d <img> elements: a hostile name became markup", n)
	}
	if n := len(d.tag("script")); n != 2 {
		t.Errorf("%d <script> elements, want the page's 2", n)
	}
	if ti := d.tag("title"); len(ti) != 1 || text(ti[0]) != "Evidence status" {
		t.Errorf("title changed: an injected handler ran")
	}
	hostileCell := false
	for _, td := range d.tag("td") {
		if text(td) == sweeptest.HostileDir {
			hostileCell = true
		}
	}
	if !hostileCell {
		t.Error("the hostile folder name is not shown as text in its row")
	}

	// Filter and sort from the URL.
	if got := parseDOM(t, chromium(t, "--dump-dom", page+"#v=invalid")).rows(); strings.Join(got, "|") != sweeptest.HostileDir+"|evil" {
		t.Errorf("verdict filter invalid: rows %q", got)
	}
	if got := parseDOM(t, chromium(t, "--dump-dom", page+"#q=h200")).rows(); strings.Join(got, "|") != "h200-oke-ubuntu-inference" {
		t.Errorf("text filter h200: rows %q", got)
	}
	if got := parseDOM(t, chromium(t, "--dump-dom", page+"#s=0&d=-1")).rows(); len(got) != 5 || got[0] != "h200-oke-ubuntu-inference" || got[4] != sweeptest.HostileDir {
		t.Errorf("sort by name, descending: rows %q", got)
	}

	// The detail view of one recipe.
	dd := parseDOM(t, chromium(t, "--dump-dom", page+"#r=h100-eks-ubuntu-training"))
	det := dd.id("detail")
	if det == nil || hasAttr(det, "hidden") {
		t.Fatal("the detail view is not shown")
	}
	dt := text(det)
	for _, want := range []string{"h100-eks-ubuntu-training", "passed: signature, signer", "community (acme-gpu-lab)", "Fingerprint and criteria", "accelerator: matched", "Freshness"} {
		if !strings.Contains(dt, want) {
			t.Errorf("detail view lacks %q:\n%s", want, dt)
		}
	}
	// The detail view of the hostile orphan: its name as text.
	hd := parseDOM(t, chromium(t, "--dump-dom", page+"#r="+strings.ReplaceAll(sweeptest.HostileDir, " ", "%20")))
	if h := hd.id("detail"); h == nil || !strings.Contains(text(h), sweeptest.HostileDir) || len(hd.tag("img")) != 0 {
		t.Error("hostile detail view: not shown as text")
	}

	// A script injected into the page does not run: the CSP allows only the page's own.
	raw, err := os.ReadFile(filepath.Join(dir, statuspage.PageFile))
	if err != nil {
		t.Fatal(err)
	}
	injected := bytes.Replace(raw, []byte("</body>"), []byte(`<script>document.body.dataset.injected="1"</script><img src=x onerror="document.body.dataset.injected='2'"></body>`), 1)
	evil := filepath.Join(dir, "injected.html")
	if err := os.WriteFile(evil, injected, 0o644); err != nil {
		t.Fatal(err)
	}
	id := parseDOM(t, chromium(t, "--dump-dom", "file://"+evil))
	if b := id.tag("body"); len(b) != 1 || attr(b[0], "data-ready") != "1" || hasAttr(b[0], "data-injected") {
		t.Errorf("CSP: the page's script must run (ready=%q) and the injected ones must not (injected=%q)", attr(b[0], "data-ready"), attr(b[0], "data-injected"))
	}

	shots := os.Getenv("VERIFY_EVIDENCE_ARTIFACTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	} else if shots, err = os.MkdirTemp("", "statuspage-"); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(shots, "statuspage.png")
	chromium(t, "--screenshot="+png, page+"#r=h100-eks-ubuntu-training")
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		t.Errorf("screenshot: %v", err)
	}
	t.Logf("screenshot of the status page: %s (page %s)", png, page)
}

// A recipe with several rows (a bundle and pointer files) shows every row
// in its detail view, each under its own file, not only the first.
func TestStatusPageDetailShowsEveryRow(t *testing.T) {
	needChromium(t)
	const name = "h100-eks-ubuntu-training"
	rep := sweep.Report{ReportVersion: sweep.ReportVersion, GeneratedAt: time.Now().UTC(), Recipes: []sweep.Recipe{
		{Name: name, BundlePath: "recipes/evidence/" + name + "/evidence-bundle.tar.gz", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictPassed, Detail: "bundle row"},
		{Name: name, PointerPath: "recipes/evidence/" + name + "/0123456789abcdef0123456789abcdef/sha256-aa.yaml", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictInvalid, Detail: "pointer row"},
		{Name: "other", Outcome: comment.OutcomeMissing, Verdict: verify.VerdictPassed},
	}}
	dir := t.TempDir()
	if err := statuspage.WriteDir(dir, &rep); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, statuspage.PageFile)
	d := parseDOM(t, chromium(t, "--dump-dom", page+"#r="+name))
	det := d.id("detail")
	if det == nil || hasAttr(det, "hidden") {
		t.Fatal("the detail view is not shown")
	}
	n := 0
	for _, sec := range d.tag("section") {
		if attr(sec, "class") == "row-detail" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d row sections in the detail view, want 2 (the bundle and the pointer)", n)
	}
	dt := text(det)
	for _, want := range []string{rep.Recipes[0].BundlePath, "passed: bundle row", rep.Recipes[1].PointerPath, "invalid: pointer row"} {
		if !strings.Contains(dt, want) {
			t.Errorf("detail view lacks %q:\n%s", want, dt)
		}
	}
}
