package archive

import (
	"errors"
	"strconv"
)

// Kind classifies an [*Error]. Each rejection class has its own Kind so that
// callers and tests can tell them apart without parsing messages.
type Kind string

// The kinds of [*Error]. All of them except [KindIO], [KindCanceled] and
// [KindInvalidLimits] mean that the bundle itself is invalid; see
// [Kind.InvalidBundle].
const (
	// KindSymlink: the archive holds a symbolic link.
	KindSymlink Kind = "symlink"
	// KindHardLink: the archive holds a hard link.
	KindHardLink Kind = "hard-link"
	// KindDevice: the archive holds a character or block device.
	KindDevice Kind = "device"
	// KindFIFO: the archive holds a named pipe.
	KindFIFO Kind = "fifo"
	// KindUnsupportedType: any other entry type that is not a regular file
	// or a directory (sparse files, GNU specials, PAX global headers that
	// carry more than a comment, vendor types, ...), or a directory entry
	// that carries data.
	KindUnsupportedType Kind = "unsupported-type"
	// KindAbsolutePath: a path starts with "/".
	KindAbsolutePath Kind = "absolute-path"
	// KindParentSegment: a path has a ".." segment.
	KindParentSegment Kind = "parent-segment"
	// KindUncleanPath: a path is empty, has an empty or "." segment, a
	// backslash, a control character, or a regular file's path ends in "/".
	KindUncleanPath Kind = "unclean-path"
	// KindPathTooLong: a path has too many bytes or too many segments.
	KindPathTooLong Kind = "path-too-long"
	// KindNonUTF8: a path is not valid UTF-8.
	KindNonUTF8 Kind = "non-utf8-path"
	// KindDuplicate: the same path occurs twice.
	KindDuplicate Kind = "duplicate-path"
	// KindCaseFoldDuplicate: two paths differ only by Unicode case.
	KindCaseFoldDuplicate Kind = "case-fold-duplicate-path"
	// KindPathConflict: a path is used both as a regular file and as a
	// directory (for example "logs" and "logs/run.log"), also after case
	// folding, so the bundle cannot be unpacked.
	KindPathConflict Kind = "path-conflict"
	// KindTooManyEntries: the archive has more entries than allowed.
	KindTooManyEntries Kind = "too-many-entries"
	// KindFileTooLarge: a regular file is larger than [Limits.MaxFileBytes].
	KindFileTooLarge Kind = "file-too-large"
	// KindDocumentTooLarge: a document is larger than its cap in
	// [Limits.Documents].
	KindDocumentTooLarge Kind = "document-too-large"
	// KindTotalTooLarge: the decompressed archive is larger than
	// [Limits.MaxTotalBytes].
	KindTotalTooLarge Kind = "total-too-large"
	// KindCompressedTooLarge: the input is larger than
	// [Limits.MaxCompressedBytes].
	KindCompressedTooLarge Kind = "compressed-too-large"
	// KindNotGzip: the input does not start with a gzip header.
	KindNotGzip Kind = "not-gzip"
	// KindCorrupt: the gzip or tar data is malformed (bad checksum, bad
	// header, bad deflate data, non-zero block padding, ...).
	KindCorrupt Kind = "corrupt"
	// KindTruncated: the gzip stream or the tar archive ends early, or the
	// tar end-of-archive marker is missing.
	KindTruncated Kind = "truncated"
	// KindSecondGzipMember: another gzip member follows the first one.
	KindSecondGzipMember Kind = "second-gzip-member"
	// KindTrailingData: non-zero bytes after the tar end-of-archive marker,
	// or any bytes after the gzip member that are not a gzip member.
	KindTrailingData Kind = "trailing-data"
	// KindIO: reading the input failed. This is an infrastructure failure,
	// not a property of the bundle. The error chain holds the cause.
	KindIO Kind = "io"
	// KindCanceled: the context was canceled or its deadline passed. The
	// error chain holds the context's error.
	KindCanceled Kind = "canceled"
	// KindInvalidLimits: the [Limits] given to [Read] are invalid
	// (negative values). A usage error, not a property of the bundle.
	KindInvalidLimits Kind = "invalid-limits"
)

// InvalidBundle reports whether k says that the bundle itself is invalid, as
// opposed to an I/O failure, a cancellation or a usage error, after which
// nothing is known about the bundle. The empty Kind is not a bundle fault.
func (k Kind) InvalidBundle() bool {
	switch k {
	case "", KindIO, KindCanceled, KindInvalidLimits:
		return false
	}
	return true
}

// Error is the error type of this package. Entry names the archive entry the
// problem concerns, when there is one (as found in the archive, possibly not
// valid UTF-8); Detail says what is wrong in words; Err, when set, is the
// underlying cause and is returned by Unwrap (always set for [KindIO] and
// [KindCanceled]).
type Error struct {
	Kind   Kind
	Entry  string
	Detail string
	Err    error
}

// maxShownEntry bounds how much of a (possibly huge, hostile) entry name an
// error message shows.
const maxShownEntry = 300

// Error returns one line: `archive entry "NAME": DETAIL[: CAUSE]`, or
// `archive: DETAIL[: CAUSE]` when no entry is concerned. The name is quoted
// with Go escapes, so control characters and invalid UTF-8 are visible.
func (e *Error) Error() string {
	var b []byte
	if e.Entry != "" {
		name := e.Entry
		suffix := ""
		if len(name) > maxShownEntry {
			name, suffix = name[:maxShownEntry], "..."
		}
		b = append(b, "archive entry "...)
		b = strconv.AppendQuote(b, name)
		b = append(b, suffix...)
		b = append(b, ": "...)
	} else {
		b = append(b, "archive: "...)
	}
	if e.Detail != "" {
		b = append(b, e.Detail...)
	} else {
		b = append(b, string(e.Kind)...)
	}
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first [*Error] in err's chain, or "" when
// there is none (including when err is nil).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// newError builds an *Error; entry may be empty.
func newError(kind Kind, entry, detail string, cause error) *Error {
	return &Error{Kind: kind, Entry: entry, Detail: detail, Err: cause}
}
