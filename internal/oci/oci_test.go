package oci_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/oci"
)

func TestParseReference(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for in, want := range map[string]oci.Reference{
		"oci://ghcr.io/org/aicr-evidence@sha256:" + h:        {Registry: "ghcr.io", Repository: "org/aicr-evidence", Digest: "sha256:" + h},
		"oci://127.0.0.1:5000/aicr-evidence:t-1@sha256:" + h: {Registry: "127.0.0.1:5000", Repository: "aicr-evidence", Tag: "t-1", Digest: "sha256:" + h},
		"localhost:5000/e:tag":                               {Registry: "localhost:5000", Repository: "e", Tag: "tag"},
	} {
		got, err := oci.ParseReference(in)
		if err != nil || got != want {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{
		"oci://ghcr.io/org/e",                  // neither tag nor digest
		"oci://ghcr.io/org/e@sha256:" + h[:60], // short digest
		"oci://ghcr.io/org/e@sha512:" + h + h,  // not sha256
		"oci://ghcr.io/Org/e@sha256:" + h,      // upper-case repository
		"oci://org/e@sha256:" + h,              // no registry host
		"oci://ghcr.io/org/e:../x@sha256:" + h, // bad tag
		"oci://ghcr.io/@sha256:" + h,           // no repository
	} {
		if _, err := oci.ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) accepted", bad)
		}
	}
}
