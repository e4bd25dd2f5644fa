package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

// §9: a v1.x reader accepts predicate schemaVersion 1.x.y for any x and y.
func TestCheckPredicateVersionAccepts(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want schema.Version
	}{
		{"1.0.0", schema.Version{Major: 1}},
		{"1.3.2", schema.Version{Major: 1, Minor: 3, Patch: 2}},
		{"1.10.0", schema.Version{Major: 1, Minor: 10}},
		{"1.0.123", schema.Version{Major: 1, Patch: 123}},
	} {
		got, err := schema.CheckPredicateVersion(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("%q: String() = %q", tt.in, got.String())
		}
	}
}

// §9: 2.0.0 and later are rejected with a message naming the version.
func TestCheckPredicateVersionRejectsNewMajorByName(t *testing.T) {
	for _, v := range []string{"2.0.0", "3.1.4", "10.0.0", "0.9.0"} {
		_, err := schema.CheckPredicateVersion(v)
		if err == nil {
			t.Errorf("%q accepted", v)
			continue
		}
		if !errors.Is(err, schema.ErrUnsupportedVersion) {
			t.Errorf("%q: error %q is not ErrUnsupportedVersion", v, err)
		}
		if !strings.Contains(err.Error(), v) {
			t.Errorf("%q: error %q does not name the version", v, err)
		}
	}
	// The spec quotes the message: "predicate schemaVersion 2.0.0: unsupported
	// schemaVersion (this verifier reads 1.x …)".
	_, err := schema.CheckPredicateVersion("2.0.0")
	if want := "predicate schemaVersion 2.0.0: unsupported schemaVersion (this verifier reads 1.x"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want prefix %q", err, want)
	}
}

func TestCheckPredicateVersionRejectsMalformed(t *testing.T) {
	for _, v := range []string{
		"", "1", "1.0", "1.0.0.0", "01.0.0", "1.00.0", "1.0.00", "v1.0.0", "1.0.0-rc1", "1.0.0+build",
		"1..0", ".1.0", "1.0.", "1.-1.0", " 1.0.0", "1.0.0 ", "1.0.x", "one.two.three",
		"１.0.0",
	} {
		if got, err := schema.CheckPredicateVersion(v); err == nil {
			t.Errorf("%q accepted as %+v", v, got)
		}
	}
}

// MAJOR.MINOR.PATCH components are digits only (semantic versioning; the
// published JSON Schema's pattern agrees). strconv.Atoi alone accepts a sign.
func TestCheckPredicateVersionRejectsSignedNumbers(t *testing.T) {
	for _, v := range []string{"+1.0.0", "1.+1.0", "1.0.+1"} {
		if got, err := schema.CheckPredicateVersion(v); err == nil {
			t.Errorf("%q accepted as %+v", v, got)
		}
	}
}

func TestParseVersion(t *testing.T) {
	if v, err := schema.ParseVersion("1.2"); err != nil || v != (schema.Version{Major: 1, Minor: 2}) {
		t.Errorf("1.2: %+v %v", v, err)
	}
	if v, err := schema.ParseVersion("0.0.0"); err != nil || v != (schema.Version{}) {
		t.Errorf("0.0.0: %+v %v", v, err)
	}
	if _, err := schema.ParseVersion("1234567890.0.0"); err == nil {
		t.Error("an absurdly long component is accepted")
	}
}

// §2: manifest schemaVersion 1.0 and 1.0.x only.
func TestCheckManifestVersion(t *testing.T) {
	for _, v := range []string{"1.0", "1.0.0", "1.0.7"} {
		if err := schema.CheckManifestVersion(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	for _, v := range []string{"1.1", "1.1.0", "2.0", "2.0.0", "0.1"} {
		err := schema.CheckManifestVersion(v)
		if !errors.Is(err, schema.ErrUnsupportedVersion) || !strings.Contains(err.Error(), v) {
			t.Errorf("%q: %v, want ErrUnsupportedVersion naming it", v, err)
		}
	}
	for _, v := range []string{"", "1", "garbage", "1.0.0.0", "01.0"} {
		if err := schema.CheckManifestVersion(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
