// Package statuspage writes the sweep's status page: one HTML file with no
// external assets, the report as JSON beside it, and a shields.io endpoint
// badge per recipe.
//
// The page's Content Security Policy allows nothing but its own inline style
// and script, by hash (default-src 'none'). The report travels inside the page
// as JSON in a <script type="application/json"> element, which no browser
// runs; encoding/json escapes "<", ">" and "&" in it, so no string of the
// report can end that element. The script builds the table with
// textContent only, so every string from a recipe or a bundle is text.
package statuspage

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/verify"
)

//go:embed page.js
var pageJS string

//go:embed page.css
var pageCSS string

// Files the page writes into its folder.
const (
	PageFile   = "index.html"
	ReportFile = "report.json"
	BadgeDir   = "badges"
)

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// CSP is the page's Content Security Policy.
func CSP() string {
	return "default-src 'none'; script-src " + cspHash(pageJS) + "; style-src " + cspHash(pageCSS) +
		"; img-src 'none'; base-uri 'none'; form-action 'none'"
}

// HTML renders the page of a report.
func HTML(rep *sweep.Report) ([]byte, error) {
	data, err := json.Marshal(rep) // escapes <, > and &: nothing can close the element
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", CSP())
	b.WriteString("<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width\">\n")
	b.WriteString("<title>Evidence status</title>\n<style>" + pageCSS + "</style>\n</head>\n<body>\n")
	b.WriteString("<h1>Evidence status</h1>\n<p id=\"summary\"></p>\n")
	b.WriteString("<noscript><p>This page needs JavaScript to show the table; the report is <a href=\"" + ReportFile + "\">" + ReportFile + "</a>.</p></noscript>\n")
	b.WriteString("<div id=\"controls\"><label>Filter <input id=\"filter\" type=\"search\" placeholder=\"recipe or path\"></label>\n")
	b.WriteString("<label>Verdict <select id=\"verdict\"><option value=\"\">all</option>")
	for _, v := range []string{"passed", "failing", "invalid", "error", "no evidence"} {
		fmt.Fprintf(&b, "<option>%s</option>", v)
	}
	b.WriteString("</select></label> <span id=\"shown\"></span></div>\n")
	b.WriteString("<table id=\"recipes\"><thead><tr></tr></thead><tbody></tbody></table>\n")
	b.WriteString("<section id=\"detail\" hidden></section>\n")
	b.WriteString("<script type=\"application/json\" id=\"report\">")
	b.Write(data)
	b.WriteString("</script>\n<script>" + pageJS + "</script>\n</body></html>\n")
	return b.Bytes(), nil
}

// Badge is a shields.io endpoint badge (https://shields.io/badges/endpoint-badge).
type Badge struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
}

// BadgeOf is the badge of one recipe: its verdict, and for passed evidence
// that expires within 30 days, the days left.
func BadgeOf(r *sweep.Recipe, rep *sweep.Report) Badge {
	b := Badge{SchemaVersion: 1, Label: "evidence", Message: sweep.VerdictWord(r)}
	switch {
	case r.Missing():
		b.Color = "lightgrey"
	case r.Verdict == verify.VerdictPassed && r.Expiring(rep.GeneratedAt):
		b.Color, b.Message = "yellow", fmt.Sprintf("passed, expires in %d days", max(*r.DaysLeft, 0))
	case r.Verdict == verify.VerdictPassed:
		b.Color = "brightgreen"
	case r.Verdict == verify.VerdictFailing:
		b.Color = "red"
	case r.Verdict == verify.VerdictError:
		b.Color = "lightgrey"
	default:
		b.Color = "critical"
	}
	return b
}

// replaceable reports (as an error) whether dir may be replaced by a new
// page: it does not exist, is a link (removed, never followed), or is a
// folder holding nothing but an earlier page's files.
func replaceable(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist), err == nil && fi.Mode()&os.ModeSymlink != 0:
		return nil
	case err != nil:
		return fmt.Errorf("status page: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("status page: %s is not a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	for _, e := range entries {
		if n := e.Name(); n != PageFile && n != ReportFile && n != BadgeDir {
			return fmt.Errorf("status page: %s holds %q, which is not a status page's; give a new or empty folder", dir, n)
		}
	}
	return nil
}

// WriteDir writes index.html, report.json and badges/<recipe>.json into dir.
// Only recipes with a valid recipe name get a badge file (the name is the
// file name); an orphan bundle's folder name may be anything.
func WriteDir(dir string, rep *sweep.Report) error {
	page, err := HTML(rep)
	if err != nil {
		return err
	}
	var js bytes.Buffer
	if err := sweep.WriteJSON(&js, rep); err != nil {
		return err
	}
	files := map[string][]byte{PageFile: page, ReportFile: js.Bytes()}
	// A recipe may have two rows (its bundle, and a misplaced bundle that
	// names it): its badge is the worse.
	badged := map[string]*sweep.Recipe{}
	for i := range rep.Recipes {
		r := &rep.Recipes[i]
		if !schema.ValidRecipeName(r.Name) || strings.ContainsAny(r.Name, `/\`) {
			continue
		}
		if prev := badged[r.Name]; prev != nil && prev.Verdict.Worse(r.Verdict) == prev.Verdict {
			continue
		}
		badged[r.Name] = r
		b, err := json.Marshal(BadgeOf(r, rep))
		if err != nil {
			return err
		}
		files[BadgeDir+"/"+r.Name+".json"] = append(b, '\n')
	}
	// A fresh folder beside dir, renamed into place: nothing of an earlier
	// page survives (a removed recipe's badge), and no link that was in dir
	// is followed.
	if err := replaceable(dir); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".statuspage-")
	if err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, BadgeDir), 0o755); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	for name, b := range files {
		f, err := os.OpenFile(filepath.Join(tmp, filepath.FromSlash(name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("status page: %w", err)
		}
		_, werr := f.Write(b)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("status page: %w", werr)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	return nil
}
