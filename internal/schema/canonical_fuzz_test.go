package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzCanonicalizeRecipe checks, for any input, that the canonicalizer
// neither panics nor hangs, that every failure is a one-line *RecipeError with
// a known sentinel, and that every success is idempotent and hashed right.
// Seeds live in testdata/fuzz/FuzzCanonicalizeRecipe.
func FuzzCanonicalizeRecipe(f *testing.F) {
	f.Add([]byte("kind: RecipeResult\napiVersion: v1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		start := time.Now()
		c, err := Canonical(in)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Canonical took %v on a %d-byte input", d, len(in))
		}
		if err != nil {
			checkRecipeError(t, err)
			return
		}
		if len(c.Bytes) > MaxRecipeBytes {
			t.Fatalf("canonical form is %d bytes, over MaxRecipeBytes", len(c.Bytes))
		}
		sum := sha256.Sum256(c.Bytes)
		if want := hex.EncodeToString(sum[:]); c.Digest != want {
			t.Fatalf("Digest %s, want sha256 of Bytes %s", c.Digest, want)
		}
		again, err := CanonicalizeRecipe(c.Bytes)
		if err != nil {
			t.Fatalf("canonical bytes do not canonicalize: %v\ncanonical:\n%s", err, c.Bytes)
		}
		if !bytes.Equal(again, c.Bytes) {
			t.Fatalf("not idempotent:\nfirst:\n%q\nsecond:\n%q", c.Bytes, again)
		}
		if d, err := RecipeDigest(in); err != nil || d != c.Digest {
			t.Fatalf("RecipeDigest = %q, %v; want %q", d, err, c.Digest)
		}
	})
}

// checkRecipeError fails t unless err is a one-line *RecipeError that wraps
// exactly one of the canonicalizer's sentinels.
func checkRecipeError(t *testing.T, err error) {
	t.Helper()
	var re *RecipeError
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v is not a *RecipeError", err, err)
	}
	if !strings.HasPrefix(err.Error(), "recipe: ") || strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error is not one line starting with \"recipe: \": %q", err.Error())
	}
	n := 0
	for _, s := range recipeSentinels() {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q matches %d sentinels, want 1", err, n)
	}
}

// recipeSentinels lists every sentinel the canonicalizer may wrap.
func recipeSentinels() []error {
	return []error{
		ErrRecipeTooLarge, ErrRecipeTooDeep, ErrRecipeSyntax, ErrEmptyRecipe,
		ErrMultipleDocuments, ErrRecipeNotMapping, ErrDuplicateKey, ErrComplexKey,
		ErrMergeKey, ErrRecursiveAlias, ErrRecipeUnstable,
	}
}
