package sigstoretest

import (
	"context"
	"fmt"
	"time"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = "application/vnd.in-toto+json"

// SignOptions controls one signature.
type SignOptions struct {
	// Identity is the signer the certificate names. Zero value:
	// [DefaultIdentity].
	Identity Identity

	// Time is the signing time, truncated to whole seconds: the
	// certificate is valid from Time-1s to Time+10min, the SCT is
	// timestamped Time, and the Rekor integrated time is
	// Time+IntegratedOffset. Zero value: the instance clock
	// ([Options.Now]) at the time the options are used.
	Time time.Time

	// IntegratedOffset shifts the Rekor integrated time from Time. An
	// offset before -1s or after 10min puts it outside the certificate's
	// validity, which verifiers reject; such bundles need NoSelfVerify.
	IntegratedOffset time.Duration

	// NoSelfVerify leaves TrustedRoot unset in [Instance.BundleOptions], so
	// sign.Bundle does not verify what it produced. Use it to produce
	// deliberately invalid bundles.
	NoSelfVerify bool
}

// resolve fills in the defaults of so.
func (i *Instance) resolve(so SignOptions) SignOptions {
	if so.Identity == (Identity{}) {
		so.Identity = DefaultIdentity()
	}
	if so.Time.IsZero() {
		so.Time = i.now()
	}
	so.Time = so.Time.Truncate(time.Second).UTC()
	return so
}

// BundleOptions returns [sign.BundleOptions] wired to this instance: its
// Fulcio as CertificateProvider, its Rekor as the only transparency log,
// and (unless so.NoSelfVerify) its trusted root as TrustedRoot, so that
// [sign.Bundle] verifies the bundle it builds. Context is left unset. A
// zero so.Time is resolved once, here, so the certificate and the log entry
// share it.
func (i *Instance) BundleOptions(so SignOptions) (sign.BundleOptions, error) {
	so = i.resolve(so)
	if _, _, err := so.Identity.sanFields(); err != nil {
		return sign.BundleOptions{}, fmt.Errorf("sigstoretest: %w", err)
	}
	if _, err := so.Identity.issuer(); err != nil {
		return sign.BundleOptions{}, fmt.Errorf("sigstoretest: %w", err)
	}
	opts := sign.BundleOptions{
		CertificateProvider: i.CertificateProvider(so),
		TransparencyLogs:    []sign.Transparency{i.Transparency(so)},
	}
	if !so.NoSelfVerify {
		tr, err := i.TrustedRoot()
		if err != nil {
			return sign.BundleOptions{}, err
		}
		opts.TrustedRoot = tr
	}
	return opts, nil
}

// SignStatement signs an in-toto Statement (DSSE payload type
// application/vnd.in-toto+json) with [sign.Bundle], using a fresh ephemeral
// ECDSA P-256 key, and returns the Sigstore bundle (v0.3) as protojson.
// Self-verification parses the statement; signing a deliberately malformed
// one needs so.NoSelfVerify.
func (i *Instance) SignStatement(ctx context.Context, statementJSON []byte, so SignOptions) ([]byte, error) {
	return i.SignDSSE(ctx, InTotoPayloadType, statementJSON, so)
}

// SignDSSE signs payload as a DSSE envelope of the given payload type with
// [sign.Bundle] and returns the Sigstore bundle (v0.3) as protojson. The
// self-verification of sign.Bundle only accepts valid in-toto statements
// with payload type [InTotoPayloadType]; set so.NoSelfVerify for anything
// else.
func (i *Instance) SignDSSE(ctx context.Context, payloadType string, payload []byte, so SignOptions) ([]byte, error) {
	opts, err := i.BundleOptions(so)
	if err != nil {
		return nil, err
	}
	opts.Context = ctx
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: generating signing key: %w", err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: payloadType}, kp, opts)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: signing: %w", err)
	}
	js, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: encoding bundle: %w", err)
	}
	return js, nil
}
