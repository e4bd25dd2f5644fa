// Package signing signs evidence Statements keyless with Sigstore: an OIDC
// identity token buys a short-lived Fulcio certificate for an ephemeral key,
// the key signs the in-toto Statement as a DSSE envelope, and the signature is
// recorded in Rekor (v1, or v2 with an RFC 3161 timestamp authority). The
// result is a Sigstore bundle (protobuf JSON, media type v0.3) that
// internal/verify checks.
//
// Identity tokens come from a [TokenSource]. [Resolve] picks the first source
// that is available, in this order:
//
//  1. an explicit token: --identity-token FILE, or a literal JWT;
//  2. the SIGSTORE_ID_TOKEN environment variable;
//  3. the ambient GitHub Actions token (ACTIONS_ID_TOKEN_REQUEST_URL and
//     ACTIONS_ID_TOKEN_REQUEST_TOKEN, audience "sigstore");
//  4. an interactive login through sigstore's own OAuth flow (browser, or
//     device flow on a headless host), only when the caller allows it.
//
// Resolve never fetches a token. The [Signer] asks its source for the token
// right before the Fulcio request, because identity tokens live minutes and
// evidence runs can take longer.
//
// Where to sign comes from a Sigstore signing config (see [Config]): by
// default the public-good one, read through TUF, which selects Rekor v2 and a
// timestamp authority as AICR does; a config that offers only Rekor v1 keeps
// Rekor v1. Explicit URLs override single services.
//
// Errors name the service that failed (OIDC token source, Fulcio, timestamp
// authority, Rekor, self-verification) and give a hint; see [ServiceError].
package signing
