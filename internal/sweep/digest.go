package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/aicr/verify-evidence/internal/schema"
)

// TrustRootDigest is the sha256 of the trusted root's JSON as sigstore-go
// writes it, re-encoded with sorted keys and no spaces: protojson varies its
// whitespace from build to build on purpose, and the digest must not. The
// same root fetched through TUF or read from a file digests the same.
func TrustRootDigest(tr *root.TrustedRoot) (string, error) {
	if tr == nil {
		return "", nil
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("trusted root: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("trusted root: %w", err)
	}
	if b, err = json.Marshal(v); err != nil {
		return "", fmt.Errorf("trusted root: %w", err)
	}
	return schema.SHA256Prefixed(b), nil
}

// PolicyDigest is the sha256 of what the verifier's judgement depends on
// besides the trust root: the policy file's bytes and the options given
// beside it (command-line pins, allow-any-signer, require-full-coverage),
// as JSON.
func PolicyDigest(policyFile []byte, options any) string {
	h := sha256.New()
	opt, _ := json.Marshal(options)
	fmt.Fprintf(h, "%d:", len(policyFile))
	h.Write(policyFile)
	h.Write(opt)
	return fmt.Sprintf("sha256:%x", h.Sum(nil))
}

// WithIgnoreSCT adds the SCT opt-out (insecure-ignore-sct) to the options a
// PolicyDigest covers; without the opt-out the options are unchanged, so the
// digest of a sweep that does not use it is what it was.
func WithIgnoreSCT(options any, ignoreSCT bool) any {
	if !ignoreSCT {
		return options
	}
	return struct {
		Options   any
		IgnoreSCT bool
	}{options, true}
}

// VerifierVersion is the verifier version that keys the cache: release (""
// for the main module's version as built) and the commit the binary was
// built from, when the build recorded it. It is "" when neither is known (a
// "(devel)" build without VCS data): the sweep then caches nothing, since
// two different builds would share entries.
func VerifierVersion(release string) string {
	bi, ok := debug.ReadBuildInfo()
	if release == "" && ok && bi.Main.Version != "(devel)" {
		release = bi.Main.Version
	}
	if ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				if release == "" {
					release = "(devel)"
				}
				release += "+" + s.Value
			}
		}
	}
	return release
}
