// Package pointercheck verifies one AICR pointer file of a plan: the artifact
// it pins, pulled from its registry by digest, through source.Verify (the
// pipeline `verify-evidence verify <pointer>` runs), with the rules the PR
// check and the sweep share: a bound on the pulls of one run, the pending
// rule, and the recipe the bundle must name. The recipe cross-check is the
// caller's, as for bundles.
package pointercheck

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Bounds of the pulls one run makes for pointer files: each pull reads at
// most oci.DefaultMaxLayerBytes of layer.
const (
	MaxPulls    = 50
	PullTimeout = 5 * time.Minute
)

// PendingDetail is the detail of an unsigned, pending pointer.
const PendingDetail = "an unsigned, pending pointer: it names no pushed bundle, so there is nothing to verify yet; push and sign the bundle (aicr evidence publish) and add its pointer"

// Registry configures the pulls.
type Registry struct {
	// PlainHTTP reports whether a registry (host:port) is spoken to over
	// plain HTTP (loopback test registries); nil: none is.
	PlainHTTP func(registry string) bool
	// Credential resolves registry credentials; nil: oci.DefaultCredential.
	Credential auth.CredentialFunc
	// Timeout bounds one pull; zero: PullTimeout.
	Timeout time.Duration
}

// Budget bounds the pulls of one run. It is safe for concurrent use.
type Budget struct {
	mu       sync.Mutex
	left     int
	exceeded string
}

// NewBudget allows n pulls; exceeded is the detail of a pointer refused
// beyond them.
func NewBudget(n int, exceeded string) *Budget { return &Budget{left: n, exceeded: exceeded} }

func (b *Budget) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left <= 0 {
		return false
	}
	b.left--
	return true
}

// Outcome is a pointer's verification, before the recipe cross-check.
type Outcome struct {
	Outcome comment.Outcome
	Verdict verify.Verdict
	Detail  string
	// Result is the verification (nil when nothing was verified).
	Result *verify.Result
	// Pointer is what the pointer file claims (nil when it did not parse).
	Pointer *comment.PointerInfo
}

// Check verifies the pointer file b of the plan's item it. budget may be nil
// (no bound).
func Check(ctx context.Context, plan *diff.Plan, v *verify.Verifier, it diff.Item, b []byte, budget *Budget, reg Registry) Outcome {
	out := Outcome{Outcome: comment.OutcomeVerified}
	host := RegistryOf(b)
	if host != "" && budget != nil && !budget.take() {
		out.Outcome, out.Verdict = comment.OutcomeUnreadable, verify.VerdictError
		out.Detail = (&diff.TooLargeError{Detail: budget.exceeded}).Error()
		return out
	}
	timeout := reg.Timeout
	if timeout == 0 {
		timeout = PullTimeout
	}
	plain := reg.PlainHTTP != nil && host != "" && reg.PlainHTTP(host)
	opts := source.RemoteOptions{PointerPath: plan.AICRPointerPath(it.PointerPath),
		OCI: oci.Options{PlainHTTP: plain, Credential: reg.Credential, Timeout: timeout}}
	src := source.PointerSource(it.PointerPath, b, opts)
	defer src.Close()
	out.Pointer = Info(src.Pointer())
	if p := src.Pointer(); p != nil && p.Pending() {
		// The rule of `verify` (pointer.File.Pending: nothing pushed, so
		// nothing to decide on; exit 3) read for a recipe: no evidence
		// yet, like a recipe without a bundle. Its verdict stays "error";
		// the outcome counts it as missing.
		out.Outcome, out.Verdict, out.Detail = comment.OutcomePending, verify.VerdictError, PendingDetail
		return out
	}
	res := source.Verify(ctx, v, src, verify.Options{})
	out.Result, out.Verdict = res, res.Verdict
	if res.Verdict == verify.VerdictError {
		out.Detail = "could not decide (retrying may help): " + res.Summary
	}
	out.Verdict, out.Detail = CheckRecipeName(plan, it, res, out.Verdict, out.Detail)
	return out
}

// CheckRecipeName applies the rule that a pointer's bundle names the item's
// recipe and lies in its folder to a result (fresh or cached).
func CheckRecipeName(plan *diff.Plan, it diff.Item, res *verify.Result, verdict verify.Verdict, detail string) (verify.Verdict, string) {
	if res.Recipe != nil && res.Recipe.Name != "" {
		if err := plan.CheckBundleRecipe(it, res.Recipe.Name); err != nil {
			return verdict.Worse(verify.VerdictInvalid), err.Error()
		}
	} else if res.Verdict == verify.VerdictPassed {
		return verify.VerdictInvalid, "the pointer's bundle names no recipe"
	}
	return verdict, detail
}

// LoopbackRegistry reports whether h is host:port of a registry on the
// loopback interface (a test registry), the only kind spoken to over plain
// HTTP: anywhere else plain HTTP would carry registry credentials in the
// clear. The port is required here (a listed registry is one server); which
// hosts are loopback is oci.LoopbackRegistry's rule, the one the pull's
// redirect guard applies too.
func LoopbackRegistry(h string) bool {
	_, port, err := net.SplitHostPort(h)
	if err != nil || port == "" || strings.Trim(port, "0123456789") != "" {
		return false
	}
	return oci.LoopbackRegistry(h)
}

// PlainHTTPList is a Registry.PlainHTTP that allows the registries listed.
func PlainHTTPList(hosts []string) func(string) bool {
	return func(reg string) bool { return slices.Contains(hosts, reg) }
}

// RegistryOf is the registry a pointer names ("" when it names none or does
// not parse; PointerSource reports why).
func RegistryOf(b []byte) string {
	p, err := pointer.Parse(b)
	if err != nil || p.Pending() {
		return ""
	}
	n, err := schema.ParseOCIName(p.Attestation().Bundle.OCI)
	if err != nil {
		return ""
	}
	return n.Registry
}

// Parse returns what a pointer file claims (nil when it does not parse).
func Parse(b []byte) *comment.PointerInfo {
	p, err := pointer.Parse(b)
	if err != nil {
		return nil
	}
	return Info(p)
}

// Info is what a report shows of a pointer's claims (nil for nil).
func Info(p *pointer.File) *comment.PointerInfo {
	if p == nil {
		return nil
	}
	a := p.Attestation()
	info := &comment.PointerInfo{OCI: a.Bundle.OCI, Digest: a.Bundle.Digest, Pending: p.Pending()}
	if s := a.Signer; s != nil {
		info.Identity, info.Issuer, info.RekorLogIndex = s.Identity, s.Issuer, s.RekorLogIndex
		info.Source = policy.SourceSlug(s.Issuer, s.Identity)
	}
	return info
}
