package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
)

// DefaultName is the instance name used when [Options.Name] is empty.
const DefaultName = "test-sigstore"

// caLifetime is how long the Fulcio root and intermediate certificates are
// valid, counted from [Options.Start].
const caLifetime = 20 * 365 * 24 * time.Hour

// dummyLeafCount is the number of entries the Rekor log holds before the
// first real one, so that inclusion proofs are never trivial.
const dummyLeafCount = 5

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Options configures [New].
type Options struct {
	// Name identifies the instance in host names, certificate subjects and
	// the Rekor checkpoint origin. It must be a lower-case DNS label
	// (letters, digits and inner hyphens). Default: [DefaultName].
	// Every instance has its own independent keys, whatever its name.
	Name string

	// Start is the start of validity of the CA and of both logs in the
	// trusted root, and the NotBefore of the CA certificates, which are
	// valid for 20 years from it. It is truncated to whole seconds.
	// Default: the current time minus one hour.
	Start time.Time

	// Rand is the source of randomness for certificate serial numbers and
	// signatures. Default: crypto/rand. Since Go 1.26 the standard library
	// ignores it for key generation and ECDSA signing, so it does not make
	// the output deterministic. It must be safe for concurrent use if the
	// instance is used concurrently.
	Rand io.Reader

	// Now is the clock used when [SignOptions.Time] is zero and by the HTTP
	// handlers, which have no SignOptions. Default: time.Now.
	Now func() time.Time

	// RekorV2 adds a Rekor v2 log (Ed25519, as the public-good shards) to
	// the instance and its trusted root; [Instance.RekorV2Handler] serves it.
	RekorV2 bool

	// TimestampAuthority adds an RFC 3161 timestamp authority (ECDSA P-256
	// root, intermediate and leaf) to the instance and its trusted root;
	// [Instance.TimestampHandler] serves it.
	TimestampAuthority bool
}

// Instance is an in-process Sigstore: a Fulcio CA (root and intermediate,
// ECDSA P-384), a CT log (ECDSA P-256) that embeds SCTs in the certificates
// it sees, and a Rekor v1 log (ECDSA P-256) that returns dsse/0.0.1 entries
// with a SET, an RFC 6962 inclusion proof and a signed checkpoint.
//
// An Instance is safe for concurrent use.
type Instance struct {
	name  string
	start time.Time
	rand  io.Reader
	now   func() time.Time

	rootCert, interCert *x509.Certificate
	rootKey, interKey   *ecdsa.PrivateKey

	ctKey   *ecdsa.PrivateKey
	ctLogID [32]byte

	rekorKey    *ecdsa.PrivateKey
	rekorSigner signature.SignerVerifier
	rekorLogID  []byte
	treeID      int64

	v2  *rekorV2Log         // nil unless Options.RekorV2
	tsa *timestampAuthority // nil unless Options.TimestampAuthority

	mu   sync.Mutex
	tree rekorTree
}

// New creates an instance with fresh keys.
func New(opts Options) (*Instance, error) {
	inst := &Instance{
		name:  opts.Name,
		start: opts.Start,
		rand:  opts.Rand,
		now:   opts.Now,
	}
	if inst.name == "" {
		inst.name = DefaultName
	}
	if !nameRE.MatchString(inst.name) {
		return nil, fmt.Errorf("sigstoretest: invalid instance name %q: want a lower-case DNS label", inst.name)
	}
	if inst.rand == nil {
		inst.rand = rand.Reader
	}
	if inst.now == nil {
		inst.now = time.Now
	}
	if inst.start.IsZero() {
		inst.start = inst.now().Add(-time.Hour)
	}
	inst.start = inst.start.Truncate(time.Second).UTC()

	var err error
	if inst.rootKey, err = ecdsa.GenerateKey(elliptic.P384(), inst.rand); err != nil {
		return nil, fmt.Errorf("sigstoretest: generating Fulcio root key: %w", err)
	}
	if inst.interKey, err = ecdsa.GenerateKey(elliptic.P384(), inst.rand); err != nil {
		return nil, fmt.Errorf("sigstoretest: generating Fulcio intermediate key: %w", err)
	}
	if inst.ctKey, err = ecdsa.GenerateKey(elliptic.P256(), inst.rand); err != nil {
		return nil, fmt.Errorf("sigstoretest: generating CT log key: %w", err)
	}
	if inst.rekorKey, err = ecdsa.GenerateKey(elliptic.P256(), inst.rand); err != nil {
		return nil, fmt.Errorf("sigstoretest: generating Rekor key: %w", err)
	}
	if err := inst.createCAs(); err != nil {
		return nil, err
	}

	ctID, err := keyID(inst.ctKey.Public())
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: CT log ID: %w", err)
	}
	copy(inst.ctLogID[:], ctID)
	if inst.rekorLogID, err = keyID(inst.rekorKey.Public()); err != nil {
		return nil, fmt.Errorf("sigstoretest: Rekor log ID: %w", err)
	}
	// The tree ID only appears in the checkpoint origin and entry UUIDs;
	// derive it from the log ID so it is stable for a given key.
	inst.treeID = int64(binary.BigEndian.Uint64(inst.rekorLogID[:8]) >> 1)
	if inst.rekorSigner, err = signature.LoadECDSASignerVerifier(inst.rekorKey, crypto.SHA256); err != nil {
		return nil, fmt.Errorf("sigstoretest: loading Rekor signer: %w", err)
	}

	for n := range dummyLeafCount {
		inst.tree.appendDummy(fmt.Appendf(nil, "%s dummy entry %d", inst.name, n))
	}
	if opts.RekorV2 {
		if inst.v2, err = inst.newRekorV2Log(); err != nil {
			return nil, err
		}
	}
	if opts.TimestampAuthority {
		if inst.tsa, err = inst.newTimestampAuthority(); err != nil {
			return nil, err
		}
	}
	return inst, nil
}

func (i *Instance) createCAs() error {
	notAfter := i.start.Add(caLifetime)
	rootTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: i.name, Organization: []string{i.name}},
		NotBefore:             i.start,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootCert, err := i.createCert(rootTmpl, nil, i.rootKey.Public(), i.rootKey)
	if err != nil {
		return fmt.Errorf("sigstoretest: creating Fulcio root: %w", err)
	}
	interTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: i.name + "-intermediate", Organization: []string{i.name}},
		NotBefore:             i.start,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	interCert, err := i.createCert(interTmpl, rootCert, i.interKey.Public(), i.rootKey)
	if err != nil {
		return fmt.Errorf("sigstoretest: creating Fulcio intermediate: %w", err)
	}
	i.rootCert, i.interCert = rootCert, interCert
	return nil
}

// createCert signs tmpl with priv on behalf of parent (self-signed when
// parent is nil), giving it a random serial number, and parses the result.
func (i *Instance) createCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) (*x509.Certificate, error) {
	der, err := i.createCertDER(tmpl, parent, pub, priv)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	return cert, nil
}

func (i *Instance) createCertDER(tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) ([]byte, error) {
	if tmpl.SerialNumber == nil {
		serial, err := i.serial()
		if err != nil {
			return nil, err
		}
		tmpl.SerialNumber = serial
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(i.rand, tmpl, parent, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("creating certificate: %w", err)
	}
	return der, nil
}

// serial returns a random positive 159-bit certificate serial number.
func (i *Instance) serial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 159)
	n, err := rand.Int(i.rand, limit)
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// keyID is the Sigstore log ID of a key: the SHA-256 of its PKIX DER form.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshaling public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}

// Name returns the instance name.
func (i *Instance) Name() string { return i.name }

// Start returns the start of validity of the CA and logs.
func (i *Instance) Start() time.Time { return i.start }

// FulcioURL is the CA URI recorded in the trusted root.
func (i *Instance) FulcioURL() string { return "https://fulcio." + i.name + ".test" }

// CTLogURL is the CT log base URL recorded in the trusted root.
func (i *Instance) CTLogURL() string { return "https://ctfe." + i.name + ".test/test" }

// RekorURL is the Rekor base URL recorded in the trusted root.
func (i *Instance) RekorURL() string { return "https://" + i.rekorHost() }

func (i *Instance) rekorHost() string { return "rekor." + i.name + ".test" }

// RekorLogID returns the hex log ID of the Rekor log (the key in the trusted
// root's tlogs and the logId.keyId of its entries).
func (i *Instance) RekorLogID() string { return hex.EncodeToString(i.rekorLogID) }

// CTLogID returns the hex log ID of the CT log.
func (i *Instance) CTLogID() string { return hex.EncodeToString(i.ctLogID[:]) }

// RootCertificate returns the Fulcio root certificate.
func (i *Instance) RootCertificate() *x509.Certificate { return i.rootCert }

// IntermediateCertificate returns the Fulcio intermediate certificate that
// issues the leaf certificates.
func (i *Instance) IntermediateCertificate() *x509.Certificate { return i.interCert }

// TrustedRoot returns the instance's trust material: the Fulcio CA, the CT
// log and the Rekor log, each valid from [Instance.Start] with no end, plus
// the Rekor v2 log and the timestamp authority when the instance has them.
func (i *Instance) TrustedRoot() (*root.TrustedRoot, error) {
	ca := &root.FulcioCertificateAuthority{
		Root:                i.rootCert,
		Intermediates:       []*x509.Certificate{i.interCert},
		ValidityPeriodStart: i.start,
		URI:                 i.FulcioURL(),
	}
	ctLogs := map[string]*root.TransparencyLog{
		i.CTLogID(): {
			BaseURL:             i.CTLogURL(),
			ID:                  append([]byte(nil), i.ctLogID[:]...),
			ValidityPeriodStart: i.start,
			HashFunc:            crypto.SHA256,
			PublicKey:           i.ctKey.Public(),
			SignatureHashFunc:   crypto.SHA256,
		},
	}
	rekorLogs := map[string]*root.TransparencyLog{
		i.RekorLogID(): {
			BaseURL:             i.RekorURL(),
			ID:                  append([]byte(nil), i.rekorLogID...),
			ValidityPeriodStart: i.start,
			HashFunc:            crypto.SHA256,
			PublicKey:           i.rekorKey.Public(),
			SignatureHashFunc:   crypto.SHA256,
		},
	}
	if i.v2 != nil {
		rekorLogs[hex.EncodeToString(i.v2.logID)] = &root.TransparencyLog{
			BaseURL:             i.RekorV2URL(),
			ID:                  append([]byte(nil), i.v2.logID...),
			ValidityPeriodStart: i.start,
			HashFunc:            crypto.SHA256,
			PublicKey:           i.v2.pub,
			SignatureHashFunc:   crypto.SHA512,
		}
	}
	var tsas []root.TimestampingAuthority
	if i.tsa != nil {
		tsas = append(tsas, &root.SigstoreTimestampingAuthority{
			Root:                i.tsa.root,
			Intermediates:       []*x509.Certificate{i.tsa.inter},
			Leaf:                i.tsa.leaf,
			ValidityPeriodStart: i.start,
			URI:                 i.TimestampURL(),
		})
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca}, ctLogs, tsas, rekorLogs)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: building trusted root: %w", err)
	}
	return tr, nil
}

// TrustedRootJSON returns the instance's trusted root as a standard
// trusted_root.json document (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1), loadable with
// [root.NewTrustedRootFromJSON].
func (i *Instance) TrustedRootJSON() ([]byte, error) {
	tr, err := i.TrustedRoot()
	if err != nil {
		return nil, err
	}
	js, err := tr.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: marshaling trusted root: %w", err)
	}
	if len(js) == 0 {
		return nil, errors.New("sigstoretest: marshaling trusted root: empty output")
	}
	return js, nil
}
