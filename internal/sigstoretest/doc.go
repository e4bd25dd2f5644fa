// Package sigstoretest is a self-contained, in-process Sigstore instance for
// tests and fixture generation.
//
// An [Instance] bundles a fake Fulcio certificate authority (ECDSA P-384 root
// and intermediate), a certificate transparency log (ECDSA P-256) whose SCTs
// are embedded in the issued certificates, and a Rekor v1 transparency log
// (ECDSA P-256) that records dsse/0.0.1 (and hashedrekord/0.0.1) entries in a
// real RFC 6962 Merkle tree and answers with a signed entry timestamp (SET),
// an inclusion proof and a signed checkpoint. Its trusted root is a standard
// trusted_root.json, so bundles it produces verify with sigstore-go's
// production verifier and with cosign.
//
// With [Options.RekorV2] it also runs a Rekor v2 log (Ed25519, like the
// public-good shards) that validates hashedrekord/0.0.2 requests and answers
// with an inclusion proof under a signed-note checkpoint, served by
// [Instance.RekorV2Handler]; with [Options.TimestampAuthority], an RFC 3161
// timestamp authority served by [Instance.TimestampHandler]. Both are in the
// trusted root, so a bundle signed the way the public-good signing config
// asks (Rekor v2 plus a timestamp) verifies with the production options.
//
// The instance plugs into sigstore-go's real signing path: [Instance.BundleOptions]
// returns [sign.BundleOptions] for [sign.Bundle], and [Instance.FulcioHandler]
// and [Instance.RekorHandler] serve the Fulcio v2 and Rekor v1 HTTP APIs for
// [sign.NewFulcio] and [sign.NewRekor] clients pointed at an httptest server.
//
// Times are under the caller's control: the certificate validity, the SCT
// timestamp and the Rekor integrated time all derive from
// [SignOptions.Time], never from the clock, so a test can produce a bundle
// "signed" at any moment inside the instance's validity.
//
// This package is test-only. It is imported by tests and by fixture
// generators, never by product binaries: its keys live in memory, its Fulcio
// certifies whatever identity an unverified token claims, and it offers no
// security at all.
package sigstoretest
