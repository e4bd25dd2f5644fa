package fingerprint

import (
	"sort"
	"strings"
	"unicode"
)

// skuEntry is one row of the SKU table: the lowercased tokens a product string
// must hold, in order, and the accelerator value they name.
type skuEntry struct {
	sku    string
	tokens []string
	// first is true for the entries the first rules knew (see Rules).
	first bool
}

// skuTable is the one table of GPU SKUs. Entries of several tokens come first,
// so "RTX PRO 6000" and "RTX 6000 Ada" are read before any single token.
var skuTable = []skuEntry{
	{sku: "rtx-pro-6000", tokens: []string{"rtx", "pro", "6000"}, first: true},
	{sku: "rtx-6000-ada", tokens: []string{"rtx", "6000", "ada"}},
	{sku: "h100", tokens: []string{"h100"}, first: true},
	{sku: "h200", tokens: []string{"h200"}, first: true},
	{sku: "gh200", tokens: []string{"gh200"}, first: true},
	{sku: "gb200", tokens: []string{"gb200"}, first: true},
	{sku: "gb300", tokens: []string{"gb300"}, first: true},
	{sku: "b200", tokens: []string{"b200"}, first: true},
	{sku: "b300", tokens: []string{"b300"}, first: true},
	{sku: "a100", tokens: []string{"a100"}, first: true},
	{sku: "a10", tokens: []string{"a10"}, first: true},
	{sku: "a10g", tokens: []string{"a10g"}, first: true},
	{sku: "l4", tokens: []string{"l4"}, first: true},
	{sku: "l40", tokens: []string{"l40"}, first: true},
	{sku: "l40s", tokens: []string{"l40s"}, first: true},
	{sku: "t4", tokens: []string{"t4"}, first: true},
	{sku: "v100", tokens: []string{"v100"}, first: true},
	{sku: "h800", tokens: []string{"h800"}},
	{sku: "h20", tokens: []string{"h20"}},
	{sku: "b100", tokens: []string{"b100"}},
	{sku: "a800", tokens: []string{"a800"}},
	{sku: "a30", tokens: []string{"a30"}},
	{sku: "a40", tokens: []string{"a40"}},
	{sku: "a16", tokens: []string{"a16"}},
	{sku: "a2", tokens: []string{"a2"}},
	{sku: "l20", tokens: []string{"l20"}},
}

// KnownSKUs returns the accelerator values ParseGPUSKU can produce, sorted.
// They include SKUs outside AICR's accelerator enum (h800, a30, …), so that such
// a GPU is recognised, and mismatches a recipe's h100, rather than being
// unknown. Each call returns a new slice.
func KnownSKUs() []string { return Current.KnownSKUs() }

// KnownSKUs returns the accelerator values the rules recognise, sorted.
func (r Rules) KnownSKUs() []string {
	var out []string
	for _, e := range skuTable {
		if r.knows(e) {
			out = append(out, e.sku)
		}
	}
	sort.Strings(out)
	return out
}

func (r Rules) knows(e skuEntry) bool { return r == Current || e.first }

// ParseGPUSKU maps a GPU product string to an accelerator value with the
// current rules (see Rules.ParseGPUSKU).
func ParseGPUSKU(product string) (sku string, ok bool) { return Current.ParseGPUSKU(product) }

// ParseGPUSKU maps a GPU product string to an accelerator value. The product is
// split into tokens at white space, '-' and '_', and a SKU's tokens must equal
// consecutive tokens exactly, ignoring case; the SKUs of several tokens are
// tried first. So "NVIDIA H100 80GB HBM3", "NVIDIA H100 NVL" and the GPU feature
// discovery label "NVIDIA-H100-80GB-HBM3" are h100, "NVIDIA GH200 480GB" is gh200
// (not h200), "NVIDIA A100-SXM4-80GB" is a100, "NVIDIA RTX 6000 Ada Generation"
// is rtx-6000-ada and "NVIDIA RTX PRO 6000 Blackwell Server Edition" is
// rtx-pro-6000. ok is false when no token names a SKU the rules know, or when
// tokens name two different SKUs (ambiguous).
func (r Rules) ParseGPUSKU(product string) (sku string, ok bool) {
	tokens := strings.FieldsFunc(product, func(c rune) bool {
		return unicode.IsSpace(c) || c == '-' || c == '_'
	})
	for i := range tokens {
		tokens[i] = asciiLower(tokens[i])
	}
	for i := 0; i < len(tokens); i++ {
		e, n := r.skuAt(tokens[i:])
		if n == 0 {
			continue
		}
		i += n - 1
		if sku != "" && sku != e {
			return "", false
		}
		sku = e
	}
	return sku, sku != ""
}

// skuAt returns the SKU whose tokens start tokens, and how many tokens it took.
func (r Rules) skuAt(tokens []string) (string, int) {
	for _, e := range skuTable {
		if !r.knows(e) || len(e.tokens) > len(tokens) {
			continue
		}
		match := true
		for j, t := range e.tokens {
			if tokens[j] != t {
				match = false
				break
			}
		}
		if match {
			return e.sku, len(e.tokens)
		}
	}
	return "", 0
}

// asciiLower lowercases ASCII letters only, so no non-ASCII rune can fold into
// a SKU name.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
