// Package archive reads and writes evidence-bundle.tar.gz, the container of
// an evidence bundle (docs/bundle-format.md §1; design/bundle-format-v1.md §1).
//
// The archive is attacker-controlled input. [Read] makes one streaming pass
// over the gzip stream and the tar inside it, hashes every regular file with
// SHA-256 while it streams, keeps only the small documents at fixed paths
// (see [Limits.Documents]) in memory, and rejects anything the format does
// not allow: non-regular entries, unsafe or unclean paths, duplicates (also
// after Unicode case folding), oversized input, corrupt or truncated data,
// and bytes after the end of the archive. Every rejection is an [*Error]
// whose [Kind] tells what was wrong and which entry it concerns.
//
// Errors from the caller's io.Reader are reported as [KindIO] and context
// cancellation as [KindCanceled]: those mean "could not decide", never
// "invalid bundle" (see [Kind.InvalidBundle]).
//
// [Write] is the deterministic counterpart used by the emitter: the same
// entries and mtime give byte-identical output with the same Go toolchain.
//
// [CheckPath] is the single path rule that both sides (and the manifest
// checks) share.
package archive
