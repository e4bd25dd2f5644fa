package comment_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"
)

// A renderer turns GitHub-flavoured Markdown into HTML the way GitHub's
// pipeline does before sanitising: raw HTML passes through.
type renderer struct {
	name   string
	render func(md string) (string, error)
}

var gm = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))

func goldmarkHTML(md string) (string, error) {
	var out bytes.Buffer
	if err := gm.Convert([]byte(md), &out); err != nil {
		return "", fmt.Errorf("goldmark: %w", err)
	}
	return out.String(), nil
}

// cmarkFlags are GitHub's: raw HTML kept (GitHub sanitises afterwards) and the
// GFM extensions of github.com comments.
var cmarkFlags = []string{"--unsafe", "-e", "table", "-e", "autolink", "-e", "strikethrough", "-e", "tagfilter"}

func cmarkHTML(md string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cmark-gfm", cmarkFlags...)
	cmd.Stdin = strings.NewReader(md)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cmark-gfm: %w: %s", err, stderr.String())
	}
	return string(out), nil
}

// needTool skips the test when the program is not installed, except under
// CI=true, where its absence is a failure (scripts/test.sh installs it).
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true requires it; scripts/test.sh installs it with apt-get)", name)
		}
		t.Skipf("%s is not installed (apt-get install -y %s); skipping", name, name)
	}
}

// renderers returns goldmark and, when installed, cmark-gfm (GitHub's own
// implementation). Without cmark-gfm the test still runs with goldmark and says so.
func renderers(t testing.TB) []renderer {
	t.Helper()
	rs := []renderer{{"goldmark", goldmarkHTML}}
	if _, err := exec.LookPath("cmark-gfm"); err == nil {
		return append(rs, renderer{"cmark-gfm", cmarkHTML})
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("cmark-gfm is not installed (CI=true requires it; scripts/test.sh installs it with apt-get)")
	}
	t.Log("cmark-gfm is not installed (apt-get install -y cmark-gfm): checked with goldmark only")
	return rs
}

// page is what a reader sees of rendered HTML: the element skeleton, the links
// and the text of every block and cell.
type page struct {
	// Tags is every element in document order, with its attributes normalised
	// ("td align=right"); renderers agree on it exactly.
	Tags []string
	// Links is the href of every <a>.
	Links []string
	// Texts is the whitespace-normalised text of every heading, paragraph,
	// summary and table cell, in order.
	Texts []string
	// Mentions are "@name" runs in text GitHub would turn into a mention
	// (outside code and links).
	Mentions []string
}

// allowedTags are the elements the comment's template writes; nothing a PR
// or bundle controls may add another.
var allowedTags = map[string]bool{
	"h2": true, "h3": true, "p": true, "strong": true, "sub": true, "hr": true, "br": true,
	"blockquote": true, "code": true, "a": true, "details": true, "summary": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
}

var mention = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_` + "`" + `])@[A-Za-z0-9]`)

// parsePage parses rendered HTML and refuses any element or attribute the
// template does not write.
func parsePage(src string) (*page, error) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("parse html: %w", err)
	}
	p := &page{}
	var walk func(n *html.Node, inCode bool) error
	walk = func(n *html.Node, inCode bool) error {
		switch n.Type {
		case html.ElementNode:
			if n.Data == "html" || n.Data == "head" || n.Data == "body" {
				break
			}
			if !allowedTags[n.Data] {
				return fmt.Errorf("element <%s> is not one the template writes", n.Data)
			}
			tag := n.Data
			for _, a := range n.Attr {
				switch {
				case n.Data == "a" && a.Key == "href":
					p.Links = append(p.Links, a.Val)
					tag += " href=" + a.Val
				case (n.Data == "td" || n.Data == "th") && a.Key == "align":
					tag += " align=" + a.Val
				case (n.Data == "td" || n.Data == "th") && a.Key == "style" && strings.HasPrefix(a.Val, "text-align:"):
					tag += " align=" + strings.TrimSuffix(strings.TrimPrefix(a.Val, "text-align:"), ";")
				default:
					return fmt.Errorf("attribute %s=%q on <%s> is not one the template writes", a.Key, a.Val, n.Data)
				}
			}
			p.Tags = append(p.Tags, tag)
			switch n.Data {
			case "h2", "h3", "p", "summary", "td", "th":
				p.Texts = append(p.Texts, strings.Join(strings.Fields(textOf(n)), " "))
			case "code", "a":
				inCode = true
			}
		case html.TextNode:
			if !inCode {
				for _, m := range mention.FindAllString(n.Data, -1) {
					p.Mentions = append(p.Mentions, strings.TrimSpace(m))
				}
			}
		case html.CommentNode, html.DocumentNode:
		default:
			return fmt.Errorf("unexpected node %q", n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if err := walk(c, inCode); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc, false); err != nil {
		return nil, err
	}
	return p, nil
}

func textOf(n *html.Node) string {
	switch {
	case n.Type == html.TextNode:
		return n.Data
	case n.Type == html.ElementNode && n.Data == "br":
		return " "
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func (p *page) count(tag string) int {
	n := 0
	for _, t := range p.Tags {
		if t == tag || strings.HasPrefix(t, tag+" ") {
			n++
		}
	}
	return n
}

// shape is what the template alone decides about a rendered comment.
type shape struct {
	// Links are the only hrefs allowed, in order.
	Links []string
	// Details is the number of <details> sections.
	Details int
	// Headings is the number of h2/h3 headings.
	Headings int
	// Tables and Rows count the tables and their rows (header rows included).
	Tables, Rows int
}

// checkRendered renders md with every renderer, checks each result against
// want, and checks that the renderers agree on the skeleton, the links and the
// texts. It returns goldmark's page.
func checkRendered(t testing.TB, md string, want shape) *page {
	t.Helper()
	return checkRenderedBy(t, renderers(t), md, want)
}

// checkRenderedBy is checkRendered with the given renderers.
func checkRenderedBy(t testing.TB, rs []renderer, md string, want shape) *page {
	t.Helper()
	var first *page
	var firstName string
	for _, r := range rs {
		out, err := r.render(md)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePage(out)
		if err != nil {
			t.Fatalf("%s: %v\n--- markdown:\n%s\n--- html:\n%s", r.name, err, md, out)
		}
		got := shape{Links: p.Links, Details: p.count("details"), Headings: p.count("h2") + p.count("h3"), Tables: p.count("table"), Rows: p.count("tr")}
		if !slices.Equal(got.Links, want.Links) || got.Details != want.Details || got.Headings != want.Headings || got.Tables != want.Tables || got.Rows != want.Rows {
			t.Fatalf("%s: rendered shape %+v, the template writes %+v\n--- markdown:\n%s\n--- html:\n%s", r.name, got, want, md, out)
		}
		if len(p.Mentions) > 0 {
			t.Fatalf("%s: text would mention %q\n--- markdown:\n%s", r.name, p.Mentions, md)
		}
		if first == nil {
			first, firstName = p, r.name
			continue
		}
		if d := firstDiff(first.Tags, p.Tags); d != "" {
			t.Fatalf("%s and %s disagree on the elements: %s\n--- markdown:\n%s", firstName, r.name, d, md)
		}
		if d := firstDiff(first.Texts, p.Texts); d != "" {
			t.Fatalf("%s and %s disagree on the text: %s\n--- markdown:\n%s", firstName, r.name, d, md)
		}
	}
	return first
}

func firstDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return fmt.Sprintf("#%d: missing vs %q", i, b[i])
		case i >= len(b):
			return fmt.Sprintf("#%d: %q vs missing", i, a[i])
		case a[i] != b[i]:
			return fmt.Sprintf("#%d: %q vs %q", i, a[i], b[i])
		}
	}
	return ""
}

// tableCells returns the text of every cell of every table in rendered HTML:
// tables, then rows (the header row first), then cells.
func tableCells(t testing.TB, src string) [][][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	var tables [][][]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "table":
				tables = append(tables, nil)
			case "tr":
				tables[len(tables)-1] = append(tables[len(tables)-1], nil)
			case "td", "th":
				rows := tables[len(tables)-1]
				rows[len(rows)-1] = append(rows[len(rows)-1], strings.Join(strings.Fields(textOf(n)), " "))
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return tables
}
