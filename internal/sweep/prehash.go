package sweep

import (
	"context"
	"path"
	"sync"

	"github.com/aicr/verify-evidence/internal/diff"
)

// prehasher hashes the checkout's bundle files in the background, so that
// reading them overlaps with planning. It only saves time: a bundle that is
// verified is hashed again while it is read, and must have the same digest.
// A bundle the checkout's git index vouches for, whose object id the cache
// maps to a sha256, is not read at all (see gitIndex).
type prehasher struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup
	by     map[string]*hashed // read-only once built
}

type hashed struct {
	ready  chan struct{}
	digest string
	lfs    bool
	err    error
	// fromIndex: the digest is the cache's for the git index's object id;
	// the file was not read.
	fromIndex bool
}

// prehash starts n workers hashing every file named like a bundle.
func prehash(ctx context.Context, co *checkout, layout diff.Config, n int, c *cache) *prehasher {
	name := layout.BundleName
	if name == "" {
		name = diff.DefaultBundleName
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &prehasher{ctx: ctx, cancel: cancel, by: map[string]*hashed{}}
	var paths []string
	for f := range co.files {
		if path.Base(f) == name && co.files[f] <= MaxBundleBytes {
			paths = append(paths, f)
			p.by[f] = &hashed{ready: make(chan struct{})}
		}
	}
	work := make(chan string)
	for range n {
		p.done.Add(1)
		go func() {
			defer p.done.Done()
			for f := range work {
				h := p.by[f]
				h.digest, h.lfs, h.fromIndex, h.err = digestKnown(co, f, c)
				close(h.ready)
			}
		}()
	}
	go func() {
		defer close(work)
		for _, f := range paths {
			select {
			case work <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

// get returns the digest of f: the background one when f is queued
// (waiting for it), else, or once the hashing was stopped, hash(f).
func (p *prehasher) get(f string, hash func(string) (string, bool, bool, error)) (digest string, lfs, fromIndex bool, err error) {
	if p != nil {
		if h, ok := p.by[f]; ok {
			select {
			case <-h.ready:
				return h.digest, h.lfs, h.fromIndex, h.err
			case <-p.ctx.Done():
			}
		}
	}
	return hash(f)
}

// stop ends the background hashing and waits for the workers.
func (p *prehasher) stop() {
	if p == nil {
		return
	}
	p.cancel()
	p.done.Wait()
}
