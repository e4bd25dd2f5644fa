package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/aicr/verify-evidence/internal/strictjson"
)

// Manifest is manifest.json: the inventory of every bundle file except
// manifest.json, statement.intoto.json and attestation.intoto.jsonl (format v1 §2).
type Manifest struct {
	SchemaVersion string         `json:"schemaVersion"`
	Files         []ManifestFile `json:"files"`
}

// ManifestFile is one inventoried file.
type ManifestFile struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	MediaType string `json:"mediaType,omitempty"`
}

// MaxManifestFiles bounds the number of manifest entries (the archive's entry cap).
const MaxManifestFiles = 10000

// IsUninventoried reports whether path is one of the three files that
// manifest.json never lists.
func IsUninventoried(path string) bool {
	return path == FileManifest || path == FileStatement || path == FileAttestation
}

// MediaTypeFor returns the media-type hint of a bundle path, or "" when none applies.
func MediaTypeFor(path string) string {
	switch {
	case strings.HasSuffix(path, ".cdx.json"):
		return "application/vnd.cyclonedx+json"
	case strings.HasSuffix(path, ".intoto.jsonl"):
		return "application/vnd.in-toto+jsonl"
	case strings.HasSuffix(path, ".json"):
		return "application/json"
	case strings.HasSuffix(path, ".yaml"), strings.HasSuffix(path, ".yml"):
		return "application/yaml"
	case strings.HasSuffix(path, ".log"):
		return "text/plain"
	}
	return ""
}

// SHA256Prefixed returns "sha256:" + lowercase hex of the digest of b.
func SHA256Prefixed(b []byte) string {
	sum := sha256.Sum256(b)
	return FormatSHA256(sum)
}

// FormatSHA256 returns "sha256:" + lowercase hex of sum.
func FormatSHA256(sum [32]byte) string { return "sha256:" + hex.EncodeToString(sum[:]) }

// NewManifest builds the manifest of the given files from their exact bytes,
// sorted by path in byte order. Uninventoried paths are skipped.
func NewManifest(files map[string][]byte) *Manifest {
	m := &Manifest{SchemaVersion: ManifestSchemaVersion, Files: []ManifestFile{}}
	for p, b := range files {
		if IsUninventoried(p) {
			continue
		}
		m.Files = append(m.Files, ManifestFile{Path: p, Size: int64(len(b)), SHA256: SHA256Prefixed(b), MediaType: MediaTypeFor(p)})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

// Add inserts a file entry, keeping the files sorted by path.
func (m *Manifest) Add(f ManifestFile) {
	i := sort.Search(len(m.Files), func(i int) bool { return m.Files[i].Path >= f.Path })
	m.Files = append(m.Files, ManifestFile{})
	copy(m.Files[i+1:], m.Files[i:])
	m.Files[i] = f
}

// Marshal serialises the manifest exactly as format v1 §2 requires:
// json.MarshalIndent with two spaces, plus a trailing newline (the v1-compatible
// encoder, whose output is encoding/json's).
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := jsonv1.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseManifest decodes manifest.json with the strict JSON reader and checks its own rules: supported
// schemaVersion, entries sorted by path with no duplicates, well-formed digests,
// non-negative sizes, and no uninventoried path listed. Paths are checked against
// the archive path rules by the caller, which owns them.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if err := CheckManifestVersion(m.SchemaVersion); err != nil {
		return nil, err
	}
	if len(m.Files) > MaxManifestFiles {
		return nil, fmt.Errorf("manifest.json: %d files, at most %d allowed", len(m.Files), MaxManifestFiles)
	}
	for i, f := range m.Files {
		if f.Path == "" {
			return nil, fmt.Errorf("manifest.json: files[%d] has an empty path", i)
		}
		if IsUninventoried(f.Path) {
			return nil, fmt.Errorf("manifest.json: lists %q, which must not be inventoried", f.Path)
		}
		if !IsSHA256Prefixed(f.SHA256) {
			return nil, fmt.Errorf("manifest.json: %q has sha256 %q, want sha256:<64 lowercase hex>", f.Path, f.SHA256)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("manifest.json: %q has negative size %d", f.Path, f.Size)
		}
		if i > 0 {
			prev := m.Files[i-1].Path
			if prev == f.Path {
				return nil, fmt.Errorf("manifest.json: %q listed twice", f.Path)
			}
			if prev > f.Path {
				return nil, fmt.Errorf("manifest.json: files not sorted by path (%q before %q)", prev, f.Path)
			}
		}
	}
	return &m, nil
}

// IsSHA256Prefixed reports whether s is "sha256:" followed by 64 lowercase hex digits.
func IsSHA256Prefixed(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	return ok && IsHex64(h)
}

// IsHex64 reports whether s is 64 lowercase hex digits.
func IsHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
