package archive

import "fmt"

const (
	kiB = 1 << 10
	miB = 1 << 20
	giB = 1 << 30
)

// Defaults of [Limits]; see [DefaultLimits].
const (
	DefaultMaxCompressedBytes = 2 * giB
	DefaultMaxTotalBytes      = 4 * giB
	DefaultMaxFileBytes       = 4 * giB
	DefaultMaxEntries         = 10000
	// DefaultMaxPathBytes and DefaultMaxPathSegments are the format's own
	// path limits; [CheckPath] always applies them.
	DefaultMaxPathBytes    = 256
	DefaultMaxPathSegments = 8
)

// Paths of the known documents of a bundle, the ones [Read] keeps in memory
// by default.
const (
	PathManifest    = "manifest.json"
	PathRecipe      = "recipe.yaml"
	PathSnapshot    = "snapshot.yaml"
	PathBOM         = "bom.cdx.json"
	PathCTRFDeploy  = "ctrf/deployment.json"
	PathCTRFPerf    = "ctrf/performance.json"
	PathCTRFConform = "ctrf/conformance.json"
	PathStatement   = "statement.intoto.json"
	PathAttestation = "attestation.intoto.jsonl"
)

// Limits bound what [Read] accepts. A zero field means "use the default"
// (see [DefaultLimits]); a nil Documents map means the default documents,
// while an empty non-nil map keeps no document in memory. Negative values
// are invalid and make [Read] fail with [KindInvalidLimits].
type Limits struct {
	// MaxCompressedBytes bounds the bytes read from the input (default
	// 2 GiB).
	MaxCompressedBytes int64
	// MaxTotalBytes bounds the decompressed tar stream: headers, file data,
	// padding and the end-of-archive marker, so it also bounds the sum of
	// the file sizes (default 4 GiB).
	MaxTotalBytes int64
	// MaxFileBytes bounds the size of each regular file (default 4 GiB).
	MaxFileBytes int64
	// MaxEntries bounds the number of tar entries, directories included
	// (default 10,000).
	MaxEntries int
	// MaxPathBytes bounds the length of a path in bytes (default 256, the
	// format's limit).
	MaxPathBytes int
	// MaxPathSegments bounds the number of slash-separated segments of a
	// path (default 8, the format's limit).
	MaxPathSegments int
	// Documents maps the exact path of each file to keep in memory to the
	// largest size accepted for it. Any other file is only hashed. Default:
	// manifest.json and recipe.yaml 1 MiB; snapshot.yaml, bom.cdx.json and
	// each ctrf/<phase>.json 16 MiB; statement.intoto.json 4 MiB;
	// attestation.intoto.jsonl 10 MiB.
	Documents map[string]int64
}

// DefaultLimits returns the default limits, with a fresh Documents map that
// the caller may modify.
func DefaultLimits() Limits {
	return Limits{
		MaxCompressedBytes: DefaultMaxCompressedBytes,
		MaxTotalBytes:      DefaultMaxTotalBytes,
		MaxFileBytes:       DefaultMaxFileBytes,
		MaxEntries:         DefaultMaxEntries,
		MaxPathBytes:       DefaultMaxPathBytes,
		MaxPathSegments:    DefaultMaxPathSegments,
		Documents:          defaultDocuments(),
	}
}

func defaultDocuments() map[string]int64 {
	return map[string]int64{
		PathManifest:    1 * miB,
		PathRecipe:      1 * miB,
		PathSnapshot:    16 * miB,
		PathBOM:         16 * miB,
		PathCTRFDeploy:  16 * miB,
		PathCTRFPerf:    16 * miB,
		PathCTRFConform: 16 * miB,
		PathStatement:   4 * miB,
		PathAttestation: 10 * miB,
	}
}

// resolve fills zero fields with defaults and rejects negative ones.
func (l Limits) resolve() (Limits, error) {
	def := DefaultLimits()
	bad := func(field string) (Limits, error) {
		return Limits{}, newError(KindInvalidLimits, "", fmt.Sprintf("invalid limits: %s is negative", field), nil)
	}
	type i64 struct {
		name string
		v    *int64
		def  int64
	}
	for _, f := range []i64{
		{"MaxCompressedBytes", &l.MaxCompressedBytes, def.MaxCompressedBytes},
		{"MaxTotalBytes", &l.MaxTotalBytes, def.MaxTotalBytes},
		{"MaxFileBytes", &l.MaxFileBytes, def.MaxFileBytes},
	} {
		switch {
		case *f.v < 0:
			return bad(f.name)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	type ints struct {
		name string
		v    *int
		def  int
	}
	for _, f := range []ints{
		{"MaxEntries", &l.MaxEntries, def.MaxEntries},
		{"MaxPathBytes", &l.MaxPathBytes, def.MaxPathBytes},
		{"MaxPathSegments", &l.MaxPathSegments, def.MaxPathSegments},
	} {
		switch {
		case *f.v < 0:
			return bad(f.name)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	if l.Documents == nil {
		l.Documents = def.Documents
	}
	for p, max := range l.Documents {
		if max < 0 {
			return bad(fmt.Sprintf("Documents[%q]", p))
		}
	}
	return l, nil
}
