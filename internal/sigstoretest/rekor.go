package sigstoretest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/pki"
	"github.com/sigstore/rekor/pkg/tle"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/rekor/pkg/types/dsse"
	"github.com/sigstore/rekor/pkg/types/hashedrekord"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/transparency-dev/merkle/rfc6962"

	// Register the entry types the fake Rekor accepts.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
)

// Transparency returns the instance's Rekor v1 log as a [sign.Transparency]
// that appends the bundle's DSSE envelope (dsse/0.0.1) or message
// signature (hashedrekord/0.0.1) to the log with integrated time
// so.Time+so.IntegratedOffset (so.Time defaults to the instance clock, read
// now), and adds the resulting entry, with SET, inclusion proof and signed
// checkpoint, to the bundle.
func (i *Instance) Transparency(so SignOptions) sign.Transparency {
	so = i.resolve(so)
	return &rekorClient{inst: i, integrated: so.Time.Add(so.IntegratedOffset)}
}

// rekorClient is the in-process Rekor v1 client.
type rekorClient struct {
	inst       *Instance
	integrated time.Time
}

// GetTransparencyLogEntry implements [sign.Transparency].
func (r *rekorClient) GetTransparencyLogEntry(ctx context.Context, keyOrCertPEM []byte, b *protobundle.Bundle) error {
	pe, err := proposedEntry(ctx, keyOrCertPEM, b)
	if err != nil {
		return fmt.Errorf("sigstoretest: fake Rekor: %w", err)
	}
	_, anon, _, err := r.inst.addEntry(ctx, pe, r.integrated)
	if err != nil {
		return fmt.Errorf("sigstoretest: fake Rekor: %w", err)
	}
	entry, err := tle.GenerateTransparencyLogEntry(anon)
	if err != nil {
		return fmt.Errorf("sigstoretest: fake Rekor: converting log entry: %w", err)
	}
	if b.VerificationMaterial == nil {
		return errors.New("sigstoretest: fake Rekor: bundle has no verification material")
	}
	b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, entry)
	return nil
}

// proposedEntry builds the Rekor v1 entry sigstore-go's Rekor client would
// upload for the bundle.
func proposedEntry(ctx context.Context, keyOrCertPEM []byte, b *protobundle.Bundle) (models.ProposedEntry, error) {
	props := types.ArtifactProperties{PublicKeyBytes: [][]byte{keyOrCertPEM}}
	switch {
	case b.GetDsseEnvelope() != nil:
		env, err := json.Marshal(b.GetDsseEnvelope())
		if err != nil {
			return nil, fmt.Errorf("encoding DSSE envelope: %w", err)
		}
		props.ArtifactBytes = env
		pe, err := dsse.New().CreateProposedEntry(ctx, "", props)
		if err != nil {
			return nil, fmt.Errorf("creating dsse entry: %w", err)
		}
		return pe, nil
	case b.GetMessageSignature() != nil:
		ms := b.GetMessageSignature()
		props.PKIFormat = string(pki.X509)
		props.SignatureBytes = ms.GetSignature()
		props.ArtifactHash = rekorutil.PrefixSHA(hex.EncodeToString(ms.GetMessageDigest().GetDigest()))
		pe, err := hashedrekord.New().CreateProposedEntry(ctx, "", props)
		if err != nil {
			return nil, fmt.Errorf("creating hashedrekord entry: %w", err)
		}
		return pe, nil
	default:
		return nil, errors.New("bundle has neither a DSSE envelope nor a message signature")
	}
}

// addEntry validates and canonicalizes a proposed entry as Rekor does and
// appends it to the log with the given integrated time. An entry already in
// the log is not appended again: it is returned with created false and its
// original index and integrated time. The returned log entry carries a SET,
// and an inclusion proof and checkpoint for the current tree.
func (i *Instance) addEntry(ctx context.Context, pe models.ProposedEntry, integrated time.Time) (uuid string, entry models.LogEntryAnon, created bool, err error) {
	if kind := pe.Kind(); kind != "dsse" && kind != "hashedrekord" {
		return "", models.LogEntryAnon{}, false, fmt.Errorf("unsupported entry kind %q (want dsse or hashedrekord)", kind)
	}
	impl, err := types.CreateVersionedEntry(pe)
	if err != nil {
		return "", models.LogEntryAnon{}, false, fmt.Errorf("validating entry: %w", err)
	}
	body, err := types.CanonicalizeEntry(ctx, impl)
	if err != nil {
		return "", models.LogEntryAnon{}, false, fmt.Errorf("canonicalizing entry: %w", err)
	}
	leafHash := rfc6962.DefaultHasher.HashLeaf(body)
	key := hex.EncodeToString(leafHash)

	i.mu.Lock()
	defer i.mu.Unlock()
	rec, exists := i.tree.entries[key]
	if !exists {
		rec = &record{index: i.tree.size(), body: body, integrated: integrated.Unix()}
		i.tree.leafHashes = append(i.tree.leafHashes, leafHash)
		if i.tree.entries == nil {
			i.tree.entries = make(map[string]*record)
		}
		i.tree.entries[key] = rec
	}
	entry, err = i.logEntryLocked(ctx, rec)
	if err != nil {
		return "", models.LogEntryAnon{}, false, err
	}
	return i.entryUUID(key), entry, !exists, nil
}

// lookupEntry returns the entry with the given UUID (64 hex digits of leaf
// hash, optionally prefixed by the 16-digit tree ID), proved against the
// current tree.
func (i *Instance) lookupEntry(ctx context.Context, uuid string) (models.LogEntryAnon, bool, error) {
	uuid = strings.ToLower(uuid)
	switch len(uuid) {
	case 64:
	case 80:
		if uuid[:16] != fmt.Sprintf("%016x", i.treeID) {
			return models.LogEntryAnon{}, false, nil
		}
		uuid = uuid[16:]
	default:
		return models.LogEntryAnon{}, false, nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	rec, ok := i.tree.entries[uuid]
	if !ok {
		return models.LogEntryAnon{}, false, nil
	}
	entry, err := i.logEntryLocked(ctx, rec)
	if err != nil {
		return models.LogEntryAnon{}, false, err
	}
	return entry, true, nil
}

// entryUUID is Rekor's entry ID: the 16-hex-digit tree ID followed by the
// hex leaf hash.
func (i *Instance) entryUUID(leafHashHex string) string {
	return fmt.Sprintf("%016x%s", i.treeID, leafHashHex)
}

// logEntryLocked renders rec as Rekor's LogEntryAnon: the SET over body,
// integrated time, log ID and index, and an inclusion proof with a signed
// checkpoint for the current tree. i.mu must be held.
func (i *Instance) logEntryLocked(ctx context.Context, rec *record) (models.LogEntryAnon, error) {
	logID := i.RekorLogID()
	index, integrated := rec.index, rec.integrated
	entry := models.LogEntryAnon{
		Body:           append([]byte(nil), rec.body...),
		IntegratedTime: &integrated,
		LogID:          &logID,
		LogIndex:       &index,
	}
	set, err := i.signEntry(ctx, entry)
	if err != nil {
		return models.LogEntryAnon{}, err
	}

	size := i.tree.size()
	rootHash := i.tree.root()
	checkpoint, err := rekorutil.CreateAndSignCheckpoint(ctx, i.rekorHost(), i.treeID, uint64(size), rootHash, i.rekorSigner) //nolint:gosec // size > 0
	if err != nil {
		return models.LogEntryAnon{}, fmt.Errorf("signing checkpoint: %w", err)
	}
	hashes := []string{}
	for _, h := range i.tree.inclusionProof(rec.index) {
		hashes = append(hashes, hex.EncodeToString(h))
	}
	rootHex, checkpointStr, proofIndex := hex.EncodeToString(rootHash), string(checkpoint), rec.index
	entry.Verification = &models.LogEntryAnonVerification{
		InclusionProof: &models.InclusionProof{
			Checkpoint: &checkpointStr,
			Hashes:     hashes,
			LogIndex:   &proofIndex,
			RootHash:   &rootHex,
			TreeSize:   &size,
		},
		SignedEntryTimestamp: set,
	}
	return entry, nil
}

// signEntry computes the SET as Rekor does: a signature over the JSON
// canonicalization of {body, integratedTime, logID, logIndex}.
func (i *Instance) signEntry(ctx context.Context, entry models.LogEntryAnon) ([]byte, error) {
	payload, err := entry.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding SET payload: %w", err)
	}
	canonical, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing SET payload: %w", err)
	}
	set, err := i.rekorSigner.SignMessage(bytes.NewReader(canonical), options.WithContext(ctx), options.WithRand(i.rand))
	if err != nil {
		return nil, fmt.Errorf("signing SET: %w", err)
	}
	return set, nil
}

// LogSize returns the number of entries in the Rekor log, including the
// dummy entries it starts with.
func (i *Instance) LogSize() int64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.tree.size()
}
