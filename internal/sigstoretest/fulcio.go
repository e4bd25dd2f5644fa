package sigstoretest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"time"

	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	ctx509util "github.com/google/certificate-transparency-go/x509util"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

// leafLifetime is the validity of a Fulcio leaf certificate after its
// signing time.
const leafLifetime = 10 * time.Minute

var (
	oidCTPoison  = asn1.ObjectIdentifier(ctx509.OIDExtensionCTPoison)
	oidCTSCTList = asn1.ObjectIdentifier(ctx509.OIDExtensionCTSCT)
)

// issueLeaf issues a Fulcio-style code-signing certificate for pub and id,
// valid from at-1s to at+10min, with an SCT from the instance's CT log
// timestamped at. It returns the DER certificate.
func (i *Instance) issueLeaf(pub crypto.PublicKey, id Identity, at time.Time) ([]byte, error) {
	uris, emails, err := id.sanFields()
	if err != nil {
		return nil, err
	}
	exts, err := id.certExtensions()
	if err != nil {
		return nil, err
	}
	serial, err := i.serial()
	if err != nil {
		return nil, err
	}
	// Fulcio leaves have an empty subject; Go then marks the SAN extension
	// critical, as Fulcio does.
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		NotBefore:       at.Add(-time.Second),
		NotAfter:        at.Add(leafLifetime),
		URIs:            uris,
		EmailAddresses:  emails,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: exts,
	}

	// The SCT signs the precertificate: the same TBS with the critical CT
	// poison extension, which BuildPrecertTBS then removes again.
	preTmpl := *tmpl
	preTmpl.ExtraExtensions = append(append([]pkix.Extension(nil), exts...),
		pkix.Extension{Id: oidCTPoison, Critical: true, Value: asn1.NullBytes})
	preDER, err := i.createCertDER(&preTmpl, i.interCert, pub, i.interKey)
	if err != nil {
		return nil, fmt.Errorf("issuing precertificate: %w", err)
	}
	pre, err := x509.ParseCertificate(preDER)
	if err != nil {
		return nil, fmt.Errorf("parsing precertificate: %w", err)
	}
	sctExt, err := i.sctListExtension(pre.RawTBSCertificate, at)
	if err != nil {
		return nil, err
	}
	tmpl.ExtraExtensions = append(append([]pkix.Extension(nil), exts...), sctExt)
	der, err := i.createCertDER(tmpl, i.interCert, pub, i.interKey)
	if err != nil {
		return nil, fmt.Errorf("issuing certificate: %w", err)
	}
	return der, nil
}

// sctListExtension has the CT log sign an SCT for the precertificate TBS
// and returns it as the embedded SCT list extension.
func (i *Instance) sctListExtension(preTBS []byte, at time.Time) (pkix.Extension, error) {
	tbs, err := ctx509.BuildPrecertTBS(preTBS, nil)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("building precertificate TBS: %w", err)
	}
	sct := ct.SignedCertificateTimestamp{
		SCTVersion: ct.V1,
		LogID:      ct.LogID{KeyID: i.ctLogID},
		Timestamp:  uint64(at.UnixMilli()), //nolint:gosec // signing times are after 1970
	}
	leaf := ct.MerkleTreeLeaf{
		Version:  ct.V1,
		LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{
			Timestamp: sct.Timestamp,
			EntryType: ct.PrecertLogEntryType,
			PrecertEntry: &ct.PreCert{
				IssuerKeyHash:  sha256.Sum256(i.interCert.RawSubjectPublicKeyInfo),
				TBSCertificate: tbs,
			},
		},
	}
	input, err := ct.SerializeSCTSignatureInput(sct, ct.LogEntry{Leaf: leaf})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("serializing SCT signature input: %w", err)
	}
	digest := sha256.Sum256(input)
	sig, err := ecdsa.SignASN1(i.rand, i.ctKey, digest[:])
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("signing SCT: %w", err)
	}
	sct.Signature = ct.DigitallySigned{
		Algorithm: cttls.SignatureAndHashAlgorithm{Hash: cttls.SHA256, Signature: cttls.ECDSA},
		Signature: sig,
	}
	list, err := ctx509util.MarshalSCTsIntoSCTList([]*ct.SignedCertificateTimestamp{&sct})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("building SCT list: %w", err)
	}
	listBytes, err := cttls.Marshal(*list)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encoding SCT list: %w", err)
	}
	value, err := asn1.Marshal(listBytes)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encoding SCT list extension: %w", err)
	}
	return pkix.Extension{Id: oidCTSCTList, Value: value}, nil
}

// CertificateProvider returns the instance's Fulcio as a
// [sign.CertificateProvider] that certifies the key it is given for
// so.Identity (default [DefaultIdentity]) at so.Time (default: the
// instance clock, read now). It ignores the provider options: no token is
// needed.
func (i *Instance) CertificateProvider(so SignOptions) sign.CertificateProvider {
	so = i.resolve(so)
	return &fulcioProvider{inst: i, id: so.Identity, at: so.Time}
}

// fulcioProvider is the in-process Fulcio.
type fulcioProvider struct {
	inst *Instance
	id   Identity
	at   time.Time
}

// GetCertificate implements [sign.CertificateProvider].
func (p *fulcioProvider) GetCertificate(_ context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	der, err := p.inst.issueLeaf(kp.GetPublicKey(), p.id, p.at)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: fake Fulcio: %w", err)
	}
	return der, nil
}
