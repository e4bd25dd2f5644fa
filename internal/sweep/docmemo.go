package sweep

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
)

// MaxDocMemoBytes bounds the recipe memo read back from the cache.
const MaxDocMemoBytes = 32 << 20

// docMemoFile is the cache file of the planner's memo (diff.DocMemo).
const docMemoFile = "recipes.json"

// docMemo is the planner's memo of the recipe files it parsed well (their
// kind and name, by diff.MemoKey: path and bytes), kept in the cache folder
// for the verifier version that wrote it: a warm sweep does not parse and
// canonicalize every unchanged recipe again. It is safe for concurrent use.
type docMemo struct {
	mu       sync.Mutex
	version  string
	old      map[string]memoDoc // as read back
	docs     map[string]memoDoc // recalled or remembered in this run
	recalled int
}

type memoDoc struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type docMemoJSON struct {
	VerifierVersion string             `json:"verifierVersion"`
	Docs            map[string]memoDoc `json:"docs"`
}

var memoKeyPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// readDocMemo reads the memo of the cache folder (an empty one when there is
// none, it is unreadable, or another verifier version wrote it).
func readDocMemo(c *cache, version string) *docMemo {
	m := &docMemo{version: version, old: map[string]memoDoc{}, docs: map[string]memoDoc{}}
	if c == nil || c.dir == "" {
		return m
	}
	f, err := os.OpenFile(filepath.Join(c.dir, docMemoFile), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return m
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return m
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxDocMemoBytes+1))
	if err != nil || len(b) > MaxDocMemoBytes {
		return m
	}
	var j docMemoJSON
	if err := decodeStrict(b, &j); err != nil || j.VerifierVersion != version {
		return m
	}
	for k, d := range j.Docs {
		if memoKeyPattern.MatchString(k) {
			m.old[k] = d
		}
	}
	return m
}

// RecalledDoc implements diff.DocMemo.
func (m *docMemo) RecalledDoc(key string) (string, string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.old[key]
	if ok {
		m.docs[key] = d
		m.recalled++
	}
	return d.Kind, d.Name, ok
}

// RememberDoc implements diff.DocMemo.
func (m *docMemo) RememberDoc(key, kind, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[key] = memoDoc{Kind: kind, Name: name}
}

// save writes the memo back when this run used other files than it held:
// it keeps the files of this run only, so it never grows past the checkout.
func (m *docMemo) save(c *cache) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c == nil || c.dir == "" || (m.recalled == len(m.old) && len(m.docs) == len(m.old)) {
		return
	}
	b, err := json.Marshal(docMemoJSON{VerifierVersion: m.version, Docs: m.docs})
	if err != nil || len(b) > MaxDocMemoBytes {
		return
	}
	_ = c.write(c.dir, docMemoFile, b) // a cache that cannot be written costs time, never a verdict
}

// memoCheckout is the checkout with the memo the planner asks for.
type memoCheckout struct {
	*checkout
	*docMemo
}
