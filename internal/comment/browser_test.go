package comment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/aicr/verify-evidence/internal/comment"
)

// githubCSS returns GitHub's Markdown stylesheet (npm github-markdown-css,
// installed by scripts/test.sh), skipping the test without it except under CI=true.
func githubCSS(t *testing.T) []byte {
	t.Helper()
	p := os.Getenv("VERIFY_EVIDENCE_MARKDOWN_CSS")
	if p == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("no cache directory: %v", err)
		}
		p = filepath.Join(cache, "verify-evidence", "github-markdown-css", "package", "github-markdown-light.css")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("GitHub's stylesheet is missing (CI=true requires it; scripts/test.sh installs it): %v", err)
		}
		t.Skipf("GitHub's stylesheet %s is absent (bash scripts/test.sh installs it); skipping", p)
	}
	return b
}

// layoutScript measures, after layout, every body row of the first table (the
// summary): where its verdict cell lies against the viewport and the table's
// visible box, and writes the result as JSON into #layout.
const layoutScript = `<script>
const t = document.querySelector("table"), tb = t.getBoundingClientRect();
const out = {viewport: window.innerWidth, tableVisibleRight: tb.left + t.clientWidth,
  tableScrollWidth: t.scrollWidth, tableClientWidth: t.clientWidth, rows: []};
for (const tr of t.tBodies[0].rows) {
  const r = tr.cells[0].getBoundingClientRect();
  out.rows.push({verdict: tr.cells[0].innerText, recipe: tr.cells[1].innerText, left: r.left, right: r.right});
}
const pre = document.createElement("pre"); pre.id = "layout"; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>`

type layout struct {
	Viewport          float64 `json:"viewport"`
	TableVisibleRight float64 `json:"tableVisibleRight"`
	TableScrollWidth  float64 `json:"tableScrollWidth"`
	TableClientWidth  float64 `json:"tableClientWidth"`
	Rows              []struct {
		Verdict, Recipe string
		Left, Right     float64
	} `json:"rows"`
}

func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--window-size=800,2400"}
	cmd := exec.CommandContext(ctx, "chromium", append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// The comment at the width of a PR comment (800 px), rendered by cmark-gfm with
// GitHub's stylesheet in headless Chromium: every row's verdict cell lies inside
// the viewport and the summary table needs no horizontal scroll. A screenshot
// is kept for a person to look at.
func TestCommentFitsPRWidth(t *testing.T) {
	needTool(t, "cmark-gfm")
	needTool(t, "chromium")
	css := githubCSS(t)
	body, err := cmarkHTML(comment.Render(exampleReport(t), comment.MaxCommentChars))
	if err != nil {
		t.Fatal(err)
	}
	body = strings.ReplaceAll(body, "<details>", "<details open>")
	page := "<!doctype html><html><head><meta charset=\"utf-8\"><style>" + string(css) + "</style>" +
		"<style>body{margin:0;padding:16px;box-sizing:border-box;width:800px}</style></head>" +
		"<body class=\"markdown-body\">\n" + body + layoutScript + "</body></html>"
	dir, err := os.MkdirTemp("", "comment-layout-")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "comment.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromium(t, "--dump-dom", "file://"+file)
	var got layout
	if err := json.Unmarshal([]byte(layoutText(t, dom)), &got); err != nil {
		t.Fatalf("layout: %v\n%s", err, dom)
	}
	if len(got.Rows) != 4 || got.Viewport != 800 {
		t.Fatalf("measured %+v", got)
	}
	right := min(got.Viewport, got.TableVisibleRight)
	for _, r := range got.Rows {
		if r.Left < 0 || r.Right > right {
			t.Errorf("the verdict %q of %s lies at %.0f–%.0f px, outside the visible 0–%.0f px", r.Verdict, r.Recipe, r.Left, r.Right, right)
		}
	}
	if got.TableScrollWidth > got.TableClientWidth {
		t.Errorf("the summary table scrolls: %.0f px wide in %.0f px", got.TableScrollWidth, got.TableClientWidth)
	}
	png := filepath.Join(dir, "comment.png")
	chromium(t, "--screenshot="+png, "file://"+file)
	t.Logf("screenshot of the comment at 800 px: %s (page %s)", png, file)
}

// layoutText returns the text of #layout in the dumped DOM.
func layoutText(t *testing.T, dom []byte) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	var find func(n *html.Node) string
	find = func(n *html.Node) string {
		if n.Type == html.ElementNode && n.Data == "pre" {
			for _, a := range n.Attr {
				if a.Key == "id" && a.Val == "layout" {
					return textOf(n)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if s := find(c); s != "" {
				return s
			}
		}
		return ""
	}
	s := find(doc)
	if s == "" {
		t.Fatalf("no layout in the dumped DOM:\n%s", dom)
	}
	return s
}
