package sigstoretest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-openapi/runtime"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/oauthflow"
	"github.com/sigstore/sigstore/pkg/signature"
)

// maxRequestBytes bounds request bodies; evidence envelopes can be large.
const maxRequestBytes = 64 << 20

// FulcioHandler serves Fulcio's v2 API endpoint POST /api/v2/signingCert
// for sigstore-go's [sign.NewFulcio] client.
//
// The OIDC token comes from credentials.oidcIdentityToken in the request or
// from the "Authorization: Bearer" header. Its signature is NOT verified;
// the identity is taken from its claims as Fulcio would: a GitHub Actions
// token (one with job_workflow_ref; see [GitHubActionsClaims]) gets the
// workflow SAN and CI extensions, other tokens their verified email or
// their subject; the issuer is iss. The proof of possession must be a
// signature by the submitted public key over the token's email (if any) or
// subject, as the client makes it. The certificate is issued at the
// instance clock ([Options.Now]). The response is
// {"signedCertificateEmbeddedSct":{"chain":{"certificates":[leaf, intermediate, root]}}}
// with PEM certificates. Errors are {"code":N,"message":"..."}.
func (i *Instance) FulcioHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/signingCert", i.serveSigningCert)
	return mux
}

// fulcioSigningCertRequest is Fulcio's v2 CreateSigningCertificateRequest
// (public key form).
type fulcioSigningCertRequest struct {
	Credentials struct {
		OIDCIdentityToken string `json:"oidcIdentityToken"`
	} `json:"credentials"`
	PublicKeyRequest struct {
		PublicKey struct {
			Algorithm string `json:"algorithm"`
			Content   string `json:"content"`
		} `json:"publicKey"`
		ProofOfPossession string `json:"proofOfPossession"`
	} `json:"publicKeyRequest"`
	CertificateSigningRequest string `json:"certificateSigningRequest"`
}

type fulcioChain struct {
	Certificates []string `json:"certificates"`
}

type fulcioSigningCertResponse struct {
	SignedCertificateEmbeddedSct struct {
		Chain fulcioChain `json:"chain"`
	} `json:"signedCertificateEmbeddedSct"`
}

func (i *Instance) serveSigningCert(w http.ResponseWriter, r *http.Request) {
	var req fulcioSigningCertRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes)).Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("decoding request: %w", err))
		return
	}
	token := req.Credentials.OIDCIdentityToken
	if token == "" {
		token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if token == "" {
		writeJSONError(w, http.StatusUnauthorized, errors.New("no OIDC identity token in credentials or Authorization header"))
		return
	}
	if req.CertificateSigningRequest != "" {
		writeJSONError(w, http.StatusBadRequest, errors.New("certificate signing requests are not supported; send publicKeyRequest"))
		return
	}
	claimsJSON, err := jwtPayload(token)
	if err != nil {
		writeJSONError(w, http.StatusUnauthorized, err)
		return
	}
	var claims map[string]any
	if err := json.Unmarshal(claimsJSON, &claims); err != nil {
		writeJSONError(w, http.StatusUnauthorized, fmt.Errorf("decoding token claims: %w", err))
		return
	}
	id, err := identityFromClaims(claims)
	if err != nil {
		writeJSONError(w, http.StatusUnauthorized, err)
		return
	}
	if _, _, err := id.sanFields(); err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("unsupported token identity: %w", err))
		return
	}
	subject, err := oauthflow.SubjectFromUnverifiedToken(claimsJSON)
	if err != nil {
		writeJSONError(w, http.StatusUnauthorized, fmt.Errorf("token subject: %w", err))
		return
	}

	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("parsing public key: %w", err))
		return
	}
	pop, err := base64.StdEncoding.DecodeString(req.PublicKeyRequest.ProofOfPossession)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("decoding proof of possession: %w", err))
		return
	}
	verifier, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("unsupported public key: %w", err))
		return
	}
	if err := verifier.VerifySignature(bytes.NewReader(pop), strings.NewReader(subject)); err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("proof of possession does not verify over the token subject: %w", err))
		return
	}

	so := i.resolve(SignOptions{Identity: id})
	der, err := i.issueLeaf(pub, so.Identity, so.Time)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, fmt.Errorf("issuing certificate: %w", err))
		return
	}
	var resp fulcioSigningCertResponse
	resp.SignedCertificateEmbeddedSct.Chain.Certificates = []string{
		pemCert(der), pemCert(i.interCert.Raw), pemCert(i.rootCert.Raw),
	}
	writeJSON(w, http.StatusOK, nil, resp)
}

// jwtPayload returns the decoded (unverified) claims segment of a compact
// JWT.
func jwtPayload(token string) ([]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed identity token: %d segments, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("decoding identity token payload: %w", err)
	}
	return payload, nil
}

func pemCert(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// RekorHandler serves the parts of Rekor's v1 API that sigstore-go's
// [sign.NewRekor] client (Version 1) uses:
//
//   - POST /api/v1/log/entries with a dsse/0.0.1 (or hashedrekord/0.0.1)
//     proposed entry: 201 with the LogEntry
//     {"<uuid>": {"body", "integratedTime", "logID", "logIndex",
//     "verification": {"inclusionProof": {...}, "signedEntryTimestamp"}}}
//     and the ETag and Location headers; 409 with Location if the entry is
//     already in the log;
//   - GET /api/v1/log/entries/{uuid}: the same LogEntry, proved against the
//     current tree.
//
// The integrated time is the instance clock ([Options.Now]). Errors are
// Rekor's {"code":N,"message":"..."}.
func (i *Instance) RekorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/log/entries", i.serveCreateEntry)
	mux.HandleFunc("GET /api/v1/log/entries/{uuid}", i.serveGetEntry)
	return mux
}

func (i *Instance) serveCreateEntry(w http.ResponseWriter, r *http.Request) {
	pe, err := models.UnmarshalProposedEntry(http.MaxBytesReader(w, r.Body, maxRequestBytes), runtime.JSONConsumer())
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("decoding proposed entry: %w", err))
		return
	}
	uuid, entry, created, err := i.addEntry(r.Context(), pe, i.now())
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	location := entryURL(r, uuid)
	if !created {
		writeJSON(w, http.StatusConflict, map[string]string{"Location": location},
			models.Error{Code: http.StatusConflict, Message: "an equivalent entry already exists in the transparency log with UUID " + uuid})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"Location": location, "ETag": uuid}, models.LogEntry{uuid: entry})
}

func (i *Instance) serveGetEntry(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	entry, ok, err := i.lookupEntry(r.Context(), uuid)
	switch {
	case err != nil:
		writeJSONError(w, http.StatusInternalServerError, err)
	case !ok:
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no entry with UUID %q", uuid))
	default:
		writeJSON(w, http.StatusOK, nil, models.LogEntry{i.entryUUIDFromRequest(uuid): entry})
	}
}

// entryUUIDFromRequest returns the full entry ID for a UUID that may lack
// the tree ID prefix.
func (i *Instance) entryUUIDFromRequest(uuid string) string {
	uuid = strings.ToLower(uuid)
	if len(uuid) == 64 {
		return i.entryUUID(uuid)
	}
	return uuid
}

// entryURL is the absolute URL of an entry, as Rekor's Location header.
func entryURL(r *http.Request, uuid string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(r.URL.Path, "/") + "/" + uuid
}

func writeJSON(w http.ResponseWriter, status int, headers map[string]string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	for k, val := range headers {
		w.Header().Set(k, val)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSONError writes the {"code","message"} error shape Fulcio's and
// Rekor's APIs both use.
func writeJSONError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, nil, models.Error{Code: int64(status), Message: err.Error()})
}
