package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"net/http"

	"github.com/digitorus/timestamp"
)

// timestampAuthority is the instance's RFC 3161 timestamp authority: a
// root, an intermediate and a leaf whose only (critical) extended key usage
// is time stamping, as RFC 3161 §2.3 requires.
type timestampAuthority struct {
	root, inter, leaf *x509.Certificate
	leafKey           *ecdsa.PrivateKey
}

// maxTimestampRequestBytes bounds a timestamp query (a hash and a nonce).
const maxTimestampRequestBytes = 64 << 10

// oidTimeStamping is the id-kp-timeStamping extended key usage.
var oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

// tsaPolicy is the policy OID the fake TSA puts in its tokens (Sigstore's
// arc; the value is not checked by verifiers).
var tsaPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}

func (i *Instance) newTimestampAuthority() (*timestampAuthority, error) {
	notAfter := i.start.Add(caLifetime)
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), i.rand)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: generating TSA root key: %w", err)
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), i.rand)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: generating TSA intermediate key: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), i.rand)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: generating TSA leaf key: %w", err)
	}
	rootCert, err := i.createCert(&x509.Certificate{
		Subject:   pkix.Name{CommonName: i.name + "-tsa-root", Organization: []string{i.name}},
		NotBefore: i.start, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, MaxPathLen: 1,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, rootKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: creating TSA root: %w", err)
	}
	interCert, err := i.createCert(&x509.Certificate{
		Subject:   pkix.Name{CommonName: i.name + "-tsa-intermediate", Organization: []string{i.name}},
		NotBefore: i.start, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}, rootCert, interKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: creating TSA intermediate: %w", err)
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: TSA key usage: %w", err)
	}
	leafCert, err := i.createCert(&x509.Certificate{
		Subject:   pkix.Name{CommonName: i.name + "-tsa", Organization: []string{i.name}},
		NotBefore: i.start, NotAfter: notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}, interCert, leafKey.Public(), interKey)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: creating TSA leaf: %w", err)
	}
	return &timestampAuthority{root: rootCert, inter: interCert, leaf: leafCert, leafKey: leafKey}, nil
}

// TimestampURL is the timestamp authority's URI recorded in the trusted
// root; empty without [Options.TimestampAuthority]. Clients post to the
// server running [Instance.TimestampHandler] at /api/v1/timestamp.
func (i *Instance) TimestampURL() string {
	if i.tsa == nil {
		return ""
	}
	return "https://tsa." + i.name + ".test/api/v1/timestamp"
}

// TimestampHandler serves an RFC 3161 timestamp authority at
// POST /api/v1/timestamp (Content-Type application/timestamp-query), the
// endpoint of Sigstore's timestamp-authority that sigstore-go's client
// calls. The token's time is the instance clock ([Options.Now]); it echoes
// the request's hash and nonce and is signed by the TSA leaf (certificate
// not embedded; the trusted root carries the chain). A malformed query is
// 400. It panics without [Options.TimestampAuthority].
func (i *Instance) TimestampHandler() http.Handler {
	if i.tsa == nil {
		panic("sigstoretest: TimestampHandler on an instance without Options.TimestampAuthority")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/timestamp", i.serveTimestamp)
	return mux
}

func (i *Instance) serveTimestamp(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/timestamp-query" {
		http.Error(w, "want Content-Type application/timestamp-query, got "+ct, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTimestampRequestBytes))
	if err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, "parsing timestamp query: "+err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:   req.HashAlgorithm,
		HashedMessage:   req.HashedMessage,
		Nonce:           req.Nonce,
		Time:            i.now().UTC(),
		Policy:          tsaPolicy,
		Qualified:       false,
		ExtraExtensions: req.Extensions,
	}
	resp, err := ts.CreateResponseWithOpts(i.tsa.leaf, i.tsa.leafKey, crypto.SHA256)
	if err != nil {
		http.Error(w, "creating timestamp: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}
