package schema

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Versions this reader writes.
const (
	PredicateSchemaVersion = "1.0.0"
	ManifestSchemaVersion  = "1.0.0"
)

// ErrUnsupportedVersion marks a schemaVersion this reader does not understand.
var ErrUnsupportedVersion = errors.New("unsupported schemaVersion")

// Version is a parsed MAJOR.MINOR.PATCH schema version.
type Version struct{ Major, Minor, Patch int }

// String returns the version as MAJOR.MINOR.PATCH.
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// ParseVersion parses MAJOR.MINOR.PATCH (or MAJOR.MINOR) with no leading zeros.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("schemaVersion %q is not MAJOR.MINOR.PATCH", s)
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || len(p) > 9 || strings.Trim(p, "0123456789") != "" {
			return Version{}, fmt.Errorf("schemaVersion %q is not MAJOR.MINOR.PATCH", s)
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("schemaVersion %q is not MAJOR.MINOR.PATCH", s)
		}
		n[i] = v
	}
	return Version{Major: n[0], Minor: n[1], Patch: n[2]}, nil
}

// CheckPredicateVersion negotiates the predicate schemaVersion: any 1.x.y is
// accepted (a newer minor may add fields, which this reader ignores); 2 and later
// are rejected by name, so that an old verifier never half-reads a new format.
func CheckPredicateVersion(s string) (Version, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return Version{}, fmt.Errorf("predicate: %w", err)
	}
	if v.Major != 1 {
		return v, fmt.Errorf("predicate schemaVersion %s: %w (this verifier reads 1.x; a newer verify-evidence may read it)", s, ErrUnsupportedVersion)
	}
	if len(strings.Split(s, ".")) != 3 {
		return v, fmt.Errorf("predicate schemaVersion %q must be MAJOR.MINOR.PATCH", s)
	}
	return v, nil
}

// CheckManifestVersion accepts manifest schemaVersion "1.0" and "1.0.x" only.
func CheckManifestVersion(s string) error {
	v, err := ParseVersion(s)
	if err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	if v.Major != 1 || v.Minor != 0 {
		return fmt.Errorf("manifest.json schemaVersion %s: %w (this verifier reads 1.0 and 1.0.x)", s, ErrUnsupportedVersion)
	}
	return nil
}
