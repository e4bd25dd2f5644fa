package sigstoretest

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekornote "github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/rekor-tiles/v2/pkg/types/hashedrekord"
	"github.com/sigstore/sigstore/pkg/signature"
	flog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/transparency-dev/merkle/rfc6962"
)

// rekorV2Log is the instance's Rekor v2 log: an Ed25519 key (as the
// public-good shards use), its own RFC 6962 tree, and the log ID sigstore-go
// looks entries up by: for an Ed25519 key the signed-note key hash
// sha256(origin || "\n" || 0x01 || key), not the hash of the PKIX key.
type rekorV2Log struct {
	pub    ed25519.PublicKey
	signer signature.SignerVerifier
	logID  []byte
	tree   rekorTree // guarded by Instance.mu
}

// rekorV2Algorithms are the signing algorithms the fake Rekor v2 accepts,
// as the public-good log does.
var rekorV2Algorithms = []protocommon.PublicKeyDetails{
	protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512,
	protocommon.PublicKeyDetails_PKIX_ED25519_PH,
}

func (i *Instance) newRekorV2Log() (*rekorV2Log, error) {
	pub, priv, err := ed25519.GenerateKey(i.rand)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: generating Rekor v2 key: %w", err)
	}
	signer, err := signature.LoadED25519SignerVerifier(priv)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: loading Rekor v2 signer: %w", err)
	}
	_, logID, err := rekornote.KeyHash(i.rekorV2Host(), pub)
	if err != nil {
		return nil, fmt.Errorf("sigstoretest: Rekor v2 log ID: %w", err)
	}
	l := &rekorV2Log{pub: pub, signer: signer, logID: logID}
	for n := range dummyLeafCount {
		l.tree.appendDummy(fmt.Appendf(nil, "%s v2 dummy entry %d", i.name, n))
	}
	return l, nil
}

// RekorV2URL is the Rekor v2 base URL recorded in the trusted root; its host
// name is the origin of the log's checkpoints. Empty without
// [Options.RekorV2].
func (i *Instance) RekorV2URL() string {
	if i.v2 == nil {
		return ""
	}
	return "https://" + i.rekorV2Host()
}

func (i *Instance) rekorV2Host() string { return "log2025-1.rekor." + i.name + ".test" }

// RekorV2LogID returns the hex log ID of the Rekor v2 log (its key in the
// trusted root's tlogs and the logId.keyId of its entries); empty without
// [Options.RekorV2].
func (i *Instance) RekorV2LogID() string {
	if i.v2 == nil {
		return ""
	}
	return hex.EncodeToString(i.v2.logID)
}

// RekorV2Handler serves Rekor v2's write API as sigstore-go's Rekor client
// (Version 2) uses it: POST /api/v2/log/entries with a CreateEntryRequest
// holding a hashedrekord/0.0.2 request. The request is validated as Rekor v2
// does (supported algorithm, digest size, signature over the digest by the
// certificate's key); the answer is 201 with the TransparencyLogEntry
// (protobuf JSON): log index, log ID, kind hashedrekord/0.0.2, integrated
// time 0, the canonicalized body, and an RFC 6962 inclusion proof with a
// checkpoint signed by the log's Ed25519 key as a signed note whose origin
// is the host of [Instance.RekorV2URL]. Errors are 400 with a plain message.
// It panics without [Options.RekorV2].
func (i *Instance) RekorV2Handler() http.Handler {
	if i.v2 == nil {
		panic("sigstoretest: RekorV2Handler on an instance without Options.RekorV2")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/log/entries", i.serveCreateEntryV2)
	return mux
}

func (i *Instance) serveCreateEntryV2(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var req rekortilespb.CreateEntryRequest
	if err := protojson.Unmarshal(body, &req); err != nil {
		http.Error(w, "decoding request: "+err.Error(), http.StatusBadRequest)
		return
	}
	hr := req.GetHashedRekordRequestV002()
	if hr == nil {
		http.Error(w, "unsupported entry: want hashedRekordRequestV002", http.StatusBadRequest)
		return
	}
	tle, err := i.addEntryV2(r.Context(), hr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, err := protojson.Marshal(tle)
	if err != nil {
		http.Error(w, "encoding entry: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

// addEntryV2 validates a hashedrekord/0.0.2 request, appends its entry to the
// v2 log (no duplicate check: Rekor v2 answers 409 for those, which
// sigstore-go does not handle) and returns the entry with its proof.
func (i *Instance) addEntryV2(ctx context.Context, hr *rekortilespb.HashedRekordRequestV002) (*protorekor.TransparencyLogEntry, error) {
	registry, err := signature.NewAlgorithmRegistryConfig(rekorV2Algorithms)
	if err != nil {
		return nil, fmt.Errorf("algorithm registry: %w", err)
	}
	entry, err := hashedrekord.ToLogEntry(hr, registry)
	if err != nil {
		return nil, fmt.Errorf("invalid hashedrekord request: %w", err)
	}
	js, err := protojson.Marshal(entry)
	if err != nil {
		return nil, fmt.Errorf("encoding entry: %w", err)
	}
	body, err := jsoncanonicalizer.Transform(js)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing entry: %w", err)
	}

	i.mu.Lock()
	defer i.mu.Unlock()
	l := i.v2
	index := l.tree.size()
	l.tree.leafHashes = append(l.tree.leafHashes, rfc6962.DefaultHasher.HashLeaf(body))
	size := l.tree.size()
	rootHash := l.tree.root()
	checkpoint, err := i.signCheckpointV2(ctx, uint64(size), rootHash) //nolint:gosec // size > 0
	if err != nil {
		return nil, err
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:       index,
		LogId:          &protocommon.LogId{KeyId: append([]byte(nil), l.logID...)},
		KindVersion:    &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.2"},
		IntegratedTime: 0,
		InclusionProof: &protorekor.InclusionProof{
			LogIndex:   index,
			RootHash:   rootHash,
			TreeSize:   size,
			Hashes:     l.tree.inclusionProof(index),
			Checkpoint: &protorekor.Checkpoint{Envelope: checkpoint},
		},
		CanonicalizedBody: body,
	}, nil
}

// signCheckpointV2 signs a C2SP checkpoint for the v2 tree as a signed note.
func (i *Instance) signCheckpointV2(ctx context.Context, size uint64, rootHash []byte) (string, error) {
	origin := i.rekorV2Host()
	signer, err := rekornote.NewNoteSigner(ctx, origin, i.v2.signer)
	if err != nil {
		return "", fmt.Errorf("checkpoint signer: %w", err)
	}
	text := flog.Checkpoint{Origin: origin, Size: size, Hash: rootHash}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return "", fmt.Errorf("signing checkpoint: %w", err)
	}
	if len(signed) == 0 {
		return "", errors.New("signing checkpoint: empty note")
	}
	return string(signed), nil
}

// RekorV2LogSize returns the number of entries in the Rekor v2 log,
// including the dummy entries it starts with; 0 without [Options.RekorV2].
func (i *Instance) RekorV2LogSize() int64 {
	if i.v2 == nil {
		return 0
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.v2.tree.size()
}
