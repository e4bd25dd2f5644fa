package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// MaxCacheEntryBytes bounds one cache entry read back.
const MaxCacheEntryBytes = 4 << 20

// CacheKey is what a cached verification depends on: the bundle's bytes, the
// trust root, the signer policy (and the verifier options it sets) and the
// verifier's version. Time is not in it: only freshness depends on time, and
// it is recomputed from the cached result (verify.Refresh).
type CacheKey struct {
	BundleDigest string `json:"bundleDigest"`
	// PointerPath is set for a pointer file's verification: BundleDigest is
	// then the sha256 of the pointer file, which pins the artifact by digest,
	// and the path is checked against AICR's layout, as AICRPath (the path
	// in AICR's layout the evidence folder maps it to).
	PointerPath     string `json:"pointerPath,omitempty"`
	AICRPath        string `json:"aicrPath,omitempty"`
	TrustRootDigest string `json:"trustRootDigest"`
	PolicyDigest    string `json:"policyDigest"`
	VerifierVersion string `json:"verifierVersion"`
}

// name is the entry's file name: the hex sha256 of the key's JSON.
func (k CacheKey) name() string {
	b, _ := json.Marshal(k)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) + ".json"
}

// cacheEntry is one cached verification.
type cacheEntry struct {
	Key    CacheKey       `json:"key"`
	Result *verify.Result `json:"result"`
	// CanonicalRecipe is the bundle's canonical recipe.yaml, for the recipe
	// cross-check (verify.Result does not carry it in JSON).
	CanonicalRecipe []byte `json:"canonicalRecipe,omitempty"`
	// CrossChecks are outcomes of the cross-check with a resolved recipe
	// (diff.KindResolved), by the sha256 of the recipe file: a pure function
	// of the bundle's recipe and that file.
	CrossChecks map[string]*comment.RecipeMatch `json:"crossChecks,omitempty"`
}

// maxCachedCrossChecks bounds the cross-checks kept per entry.
const maxCachedCrossChecks = 8

// cache is a folder of verifications by content. It must only be written by
// trusted runs (the workflow's cache is scoped to the default branch); what
// is read back is still parsed strictly and bounded, and an entry whose key
// is not the one asked for is a miss.
type cache struct{ dir string }

func (c *cache) get(k CacheKey) (*cacheEntry, bool) {
	if c == nil || c.dir == "" {
		return nil, false
	}
	f, err := os.OpenFile(filepath.Join(c.dir, k.name()), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxCacheEntryBytes+1))
	if err != nil || len(b) > MaxCacheEntryBytes {
		return nil, false
	}
	var e cacheEntry
	if err := decodeStrict(b, &e); err != nil || e.Key != k || e.Result == nil {
		return nil, false
	}
	return &e, true
}

// blobsDir holds the sha256 of bundles by git object id (see gitIndex).
const blobsDir = "blobs"

// blobDigest returns the sha256 recorded for the git object id oid
// ("sha1:<hex>" or "sha256:<hex>").
func (c *cache) blobDigest(oid string) (string, bool) {
	if c == nil || c.dir == "" {
		return "", false
	}
	name, ok := blobName(oid)
	if !ok {
		return "", false
	}
	f, err := os.OpenFile(filepath.Join(c.dir, blobsDir, name), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 128))
	if err != nil {
		return "", false
	}
	d := strings.TrimSuffix(string(b), "\n")
	if !digestPattern.MatchString(d) {
		return "", false
	}
	return d, true
}

// putBlobDigest records the sha256 of a bundle whose git object id the
// sweep computed itself while hashing it.
func (c *cache) putBlobDigest(oid, digest string) error {
	name, ok := blobName(oid)
	if c == nil || c.dir == "" || !ok || !digestPattern.MatchString(digest) {
		return nil
	}
	return c.write(filepath.Join(c.dir, blobsDir), name, []byte(digest+"\n"))
}

var (
	digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	oidPattern    = regexp.MustCompile(`^(sha1:[0-9a-f]{40}|sha256:[0-9a-f]{64})$`)
)

func blobName(oid string) (string, bool) {
	if !oidPattern.MatchString(oid) {
		return "", false
	}
	return strings.Replace(oid, ":", "-", 1), true
}

// put stores an entry (written to a temporary file, then renamed, so a
// concurrent or interrupted sweep never leaves half an entry).
func (c *cache) put(e *cacheEntry) error {
	if c == nil || c.dir == "" {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if len(b) > MaxCacheEntryBytes {
		return nil // not worth keeping; verified again next time
	}
	return c.write(c.dir, e.Key.name(), b)
}

// write writes name in dir through a temporary file renamed into place.
func (c *cache) write(dir, name string, b []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".entry-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("cache: %w", werr)
	}
	return nil
}
