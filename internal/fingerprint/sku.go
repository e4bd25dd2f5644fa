package fingerprint

import (
	"strings"
	"unicode"
)

// KnownSKUs returns the accelerator values ParseGPUSKU can produce, which are the
// values of the recipe criteria's accelerator enum, sorted. Each call returns a
// new slice.
func KnownSKUs() []string {
	return []string{
		"a10", "a100", "a10g", "b200", "b300", "gb200", "gb300", "gh200", "h100", "h200",
		"l4", "l40", "l40s", "rtx-pro-6000", "t4", "v100",
	}
}

// singleTokenSKU returns the SKU a lowercased token names, or "".
func singleTokenSKU(tok string) string {
	switch tok {
	case "h100", "h200", "gh200", "gb200", "gb300", "b200", "b300",
		"a100", "a10", "a10g", "l4", "l40", "l40s", "t4", "v100":
		return tok
	}
	return ""
}

// ParseGPUSKU maps a GPU product string to the recipe accelerator enum. The
// product is split into tokens at white space, '-' and '_', and a token must
// equal a known SKU exactly, ignoring case; "RTX PRO 6000" (three consecutive
// tokens) is rtx-pro-6000. So "NVIDIA H100 80GB HBM3", "NVIDIA H100 NVL" and the
// GPU feature discovery label "NVIDIA-H100-80GB-HBM3" are h100, "NVIDIA GH200
// 480GB" is gh200 (not h200), "NVIDIA A100-SXM4-80GB" is a100. ok is false when
// no token names a SKU, or when tokens name two different SKUs (ambiguous).
func ParseGPUSKU(product string) (sku string, ok bool) {
	tokens := strings.FieldsFunc(product, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '_'
	})
	for i := range tokens {
		tokens[i] = asciiLower(tokens[i])
	}
	for i := 0; i < len(tokens); i++ {
		var s string
		if tokens[i] == "rtx" && i+2 < len(tokens) && tokens[i+1] == "pro" && tokens[i+2] == "6000" {
			s = "rtx-pro-6000"
			i += 2
		} else {
			s = singleTokenSKU(tokens[i])
		}
		if s == "" {
			continue
		}
		if sku != "" && sku != s {
			return "", false
		}
		sku = s
	}
	return sku, sku != ""
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
