package github

import (
	"context"
	"crypto/sha1" //nolint:gosec // git object names, not a security boundary on their own
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxBlobBytes is the limit [Client.Blob] applies when given none:
// GitHub's own maximum for the blob API (100 MB).
const DefaultMaxBlobBytes = 100 << 20

// rawMediaType asks the blob endpoint for the bytes themselves, as
// go-github's Git.GetBlobRaw does.
const rawMediaType = "application/vnd.github.v3.raw"

// Blob downloads blob sha of repo: GET /repos/{owner}/{repo}/git/blobs/{sha}
// with Accept: application/vnd.github.v3.raw, the request of go-github's
// Git.GetBlobRaw, sent with BareDo so the body is read with a bound (GetBlobRaw
// buffers everything). Blobs are addressed by SHA (ChangedFile.BlobSHA,
// TreeEntry.BlobSHA), never by path, so no directory listing is involved.
//
// A blob larger than maxBytes (<= 0 means DefaultMaxBlobBytes) is refused
// with a *[BlobTooLargeError], without reading past the limit. For a SHA-1
// name the bytes must hash to sha, else *[BlobMismatchError].
func (c *Client) Blob(ctx context.Context, repo Repo, sha string, maxBytes int64) ([]byte, error) {
	op := "get blob " + sha
	if err := checkRepo(op, repo); err != nil {
		return nil, err
	}
	if err := checkSHA(op, sha); err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBlobBytes
	}
	req, err := c.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/git/blobs/%s", repo.Owner, repo.Name, sha), nil)
	if err != nil {
		return nil, &APIError{Op: op, Err: err}
	}
	req.Header.Set("Accept", rawMediaType)
	resp, err := c.gh.BareDo(ctx, req)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxBytes {
		return nil, &BlobTooLargeError{SHA: sha, Limit: maxBytes, Size: resp.ContentLength}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, &APIError{Op: op, Err: err} // Status 0: the exchange broke
	}
	if int64(len(data)) > maxBytes {
		return nil, &BlobTooLargeError{SHA: sha, Limit: maxBytes, Size: -1}
	}
	if len(sha) == 40 {
		if got := BlobSHA1(data); got != sha {
			return nil, &BlobMismatchError{SHA: sha, Got: got}
		}
	}
	return data, nil
}

// IsTooLarge reports whether err is a [BlobTooLargeError].
func IsTooLarge(err error) bool {
	var e *BlobTooLargeError
	return errors.As(err, &e)
}

// BlobSHA1 returns git's SHA-1 object name of a blob with content:
// sha1("blob <len>\x00" + content).
func BlobSHA1(content []byte) string {
	h := sha1.New() //nolint:gosec // git object name
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// EntryType classifies a tree entry.
type EntryType string

// Tree entry types: git's object types, except that symlinks (blobs of
// mode 120000) get a type of their own, so that a caller accepting
// EntryBlob only reads regular files and never follows a link or a
// submodule.
const (
	EntryBlob      EntryType = "blob"      // regular file, mode 100644 or 100755
	EntrySymlink   EntryType = "symlink"   // blob of mode 120000: its content is the link target
	EntryTree      EntryType = "tree"      // directory, mode 040000
	EntrySubmodule EntryType = "submodule" // git's "commit", mode 160000: no blob in this repository
)

// TreeEntry is one entry of a recursive tree listing.
type TreeEntry struct {
	// BlobSHA is the object name: a blob for files and symlinks, a tree for
	// directories, a commit (of another repository) for submodules.
	BlobSHA string
	// Size is the blob size in bytes, -1 when GitHub gives none (trees,
	// submodules).
	Size int64
	// Mode is git's file mode: 100644, 100755, 120000, 040000, 160000.
	Mode string
	Type EntryType
}

// Tree lists the tree of treeish (a commit or tree SHA, or a branch or tag
// name) recursively: GET /repos/{owner}/{repo}/git/trees/{treeish}?recursive=1.
// It returns entries by path and whether GitHub truncated the listing
// (more than 100,000 entries or 7 MB): a truncated listing is incomplete.
func (c *Client) Tree(ctx context.Context, repo Repo, treeish string) (map[string]TreeEntry, bool, error) {
	op := "get tree " + treeish
	if err := checkRepo(op, repo); err != nil {
		return nil, false, err
	}
	if treeish == "" || strings.ContainsAny(treeish, "?#%\\ ") || strings.ContainsFunc(treeish, isControl) ||
		strings.HasPrefix(treeish, "/") || strings.Contains(treeish, "..") {
		return nil, false, &APIError{Op: op, Err: fmt.Errorf("invalid tree-ish %q", treeish)}
	}
	t, _, err := c.gh.Git.GetTree(ctx, repo.Owner, repo.Name, treeish, true)
	if err != nil {
		return nil, false, wrap(op, err)
	}
	out := make(map[string]TreeEntry, len(t.Entries))
	for _, e := range t.Entries {
		te := TreeEntry{BlobSHA: e.GetSHA(), Size: -1, Mode: e.GetMode()}
		if e.Size != nil {
			te.Size = int64(*e.Size)
		}
		switch {
		case e.GetType() == "commit" || te.Mode == "160000":
			te.Type = EntrySubmodule
		case e.GetType() == "tree":
			te.Type = EntryTree
		case te.Mode == "120000":
			te.Type = EntrySymlink
		default:
			te.Type = EntryBlob
		}
		out[e.GetPath()] = te
	}
	return out, t.GetTruncated(), nil
}
