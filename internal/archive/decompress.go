package archive

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
)

// The decompression stage runs in its own goroutine and hands decompressed
// bytes to the caller's goroutine (which parses tar and hashes) through a
// small ring of reusable buffers, so that inflating and hashing overlap on
// two cores while memory stays bounded by ringBuffers*chunkSize.
const (
	chunkSize   = 256 * kiB
	ringBuffers = 4
	// sourceBufferSize is the read-ahead on the compressed input. The gzip
	// reader reads it byte by byte, so it must be a bufio.Reader that this
	// package owns: after the gzip member it holds the bytes that follow.
	sourceBufferSize = 128 * kiB
)

// Sentinel causes used inside the pipeline; they never leave the package
// unclassified.
var (
	errCompressedLimit = errors.New("compressed input over limit")
	errCanceled        = errors.New("canceled")
)

// source wraps the caller's reader: it counts and limits the compressed
// bytes, remembers the first error of the reader itself (so that it can be
// reported as KindIO whatever the gzip layer makes of it), and checks the
// context on every read.
type source struct {
	ctx    context.Context
	r      io.Reader
	max    int64
	n      int64
	err    error // first non-EOF error returned by r
	over   bool  // more than max bytes were offered
	ctxErr error // context error seen by Read
}

func (s *source) Read(p []byte) (int, error) {
	switch {
	case s.err != nil:
		return 0, s.err
	case s.over:
		return 0, errCompressedLimit
	case s.ctxErr != nil:
		return 0, errCanceled
	}
	if err := s.ctx.Err(); err != nil {
		s.ctxErr = err
		return 0, errCanceled
	}
	if room := s.max + 1 - s.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	if n < 0 || n > len(p) {
		s.err = fmt.Errorf("reader returned invalid count %d for a %d-byte read", n, len(p))
		return 0, s.err
	}
	s.n += int64(n)
	if s.n > s.max {
		s.over = true
		return n, errCompressedLimit
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// classify turns an error met while reading the gzip stream into an *Error,
// giving the source's own failures precedence over what the layers above
// made of them.
func (s *source) classify(err error, max int64) *Error {
	switch {
	case s.ctxErr != nil:
		return newError(KindCanceled, "", "reading canceled", s.ctxErr)
	case s.err != nil:
		return newError(KindIO, "", "reading the bundle failed", s.err)
	case s.over:
		return newError(KindCompressedTooLarge, "", fmt.Sprintf("compressed input is over the limit of %d bytes", max), nil)
	case errors.Is(err, io.ErrNoProgress):
		return newError(KindIO, "", "reading the bundle failed", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return newError(KindTruncated, "", "gzip stream is truncated", err)
	}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, gzip.ErrChecksum):
		return newError(KindCorrupt, "", "gzip stream fails its checksum", err)
	case errors.Is(err, gzip.ErrHeader):
		return newError(KindCorrupt, "", "gzip header is invalid", err)
	case errors.As(err, &corrupt):
		return newError(KindCorrupt, "", "deflate data is corrupt", err)
	}
	return newError(KindCorrupt, "", "gzip stream is unreadable", err)
}

// chunk is one filled buffer of decompressed bytes, or the end of the
// stream: err is io.EOF after a clean end, an *Error otherwise.
type chunk struct {
	buf []byte
	err error
}

// pipeline owns the decompression goroutine.
type pipeline struct {
	src    *source
	full   chan chunk
	free   chan []byte
	done   chan struct{} // closed by stop: the consumer is gone
	exited chan struct{} // closed by the goroutine when it returns
}

// startPipeline starts decompressing r; the caller must call stop.
func startPipeline(ctx context.Context, r io.Reader, lim Limits) *pipeline {
	p := &pipeline{
		src:    &source{ctx: ctx, r: r, max: lim.MaxCompressedBytes},
		full:   make(chan chunk, ringBuffers),
		free:   make(chan []byte, ringBuffers),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	for range ringBuffers {
		p.free <- make([]byte, chunkSize)
	}
	go p.run(lim)
	return p
}

// stop tells the goroutine to finish and waits until it has. It returns
// only after the goroutine returned, so no goroutine outlives Read; if the
// caller's reader blocks, stop waits for that read to return.
func (p *pipeline) stop() {
	close(p.done)
	<-p.exited
}

func (p *pipeline) run(lim Limits) {
	defer close(p.exited)
	final := p.decompress(lim)
	select {
	case p.full <- final:
	case <-p.done:
	}
}

// decompress streams the gzip member into chunks and returns the last chunk
// to send, which carries the end-of-stream status.
func (p *pipeline) decompress(lim Limits) chunk {
	br := bufio.NewReaderSize(p.src, sourceBufferSize)
	magic, err := br.Peek(2)
	if len(magic) == 0 && err == io.EOF {
		return chunk{err: newError(KindNotGzip, "", "input is empty", nil)}
	}
	if err != nil && err != io.EOF {
		return chunk{err: p.src.classify(err, lim.MaxCompressedBytes)}
	}
	if magic[0] != 0x1f || (len(magic) == 2 && magic[1] != 0x8b) {
		return chunk{err: newError(KindNotGzip, "", fmt.Sprintf("input is not gzip (starts with % x)", magic), nil)}
	}
	// compress/gzip ignores the reserved flag bits, which RFC 1952 says a
	// decompressor must reject.
	if hdr, _ := br.Peek(4); len(hdr) == 4 && hdr[3]&0xe0 != 0 {
		return chunk{err: newError(KindCorrupt, "", fmt.Sprintf("gzip header has reserved flag bits set (flags %#02x)", hdr[3]), nil)}
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return chunk{err: p.src.classify(err, lim.MaxCompressedBytes)}
	}
	zr.Multistream(false)

	var total int64
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.done:
			return chunk{}
		}
		// Read at most one byte past the limit, to tell "exactly at" from
		// "over".
		want := int64(len(buf))
		if room := lim.MaxTotalBytes + 1 - total; room < want {
			want = room
		}
		n, err := fill(zr, buf[:want])
		total += int64(n)
		switch {
		case total > lim.MaxTotalBytes:
			// Hand over the bytes up to the limit first, so that the
			// consumer can name the entry the limit falls in.
			n--
			err = newError(KindTotalTooLarge, "",
				fmt.Sprintf("decompressed archive is over the limit of %d bytes", lim.MaxTotalBytes), nil)
		case err == io.EOF:
			err = p.afterMember(br, lim)
		case err != nil:
			err = p.src.classify(err, lim.MaxCompressedBytes)
		}
		if n > 0 {
			select {
			case p.full <- chunk{buf: buf[:n]}:
			case <-p.done:
				return chunk{}
			}
		} else {
			p.free <- buf // never blocks: the ring has room for all buffers
		}
		if err != nil {
			return chunk{err: err}
		}
	}
}

// fill reads from r until buf is full or r fails; err is io.EOF only at
// the clean end of r.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// afterMember checks what follows the gzip member: nothing (io.EOF), or a
// second member or other bytes (an *Error).
func (p *pipeline) afterMember(br *bufio.Reader, lim Limits) error {
	next, err := br.Peek(2)
	switch {
	case len(next) == 0 && err == io.EOF:
		return io.EOF
	case err != nil && err != io.EOF:
		return p.src.classify(err, lim.MaxCompressedBytes)
	case len(next) == 2 && next[0] == 0x1f && next[1] == 0x8b:
		return newError(KindSecondGzipMember, "",
			fmt.Sprintf("a second gzip member starts at byte %d", p.src.n-int64(br.Buffered())), nil)
	}
	return newError(KindTrailingData, "",
		fmt.Sprintf("bytes after the gzip member at byte %d", p.src.n-int64(br.Buffered())), nil)
}

// chanReader is the consumer's io.Reader over the chunks. It also keeps
// the offset in the decompressed stream and, while tracking, where the
// first and last non-zero bytes were, so that the tar layer's padding and
// end-of-archive marker can be checked.
type chanReader struct {
	ctx context.Context
	p   *pipeline
	cur []byte // unread part of the current chunk
	buf []byte // current chunk, to give back
	err error  // sticky end-of-stream status
	off int64  // bytes handed out so far
	// Tracking state, see track.
	tracking     bool
	firstNonZero int64
	lastNonZero  int64
}

func (c *chanReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.buf != nil {
			c.p.free <- c.buf[:cap(c.buf)] // never blocks
			c.buf = nil
		}
		select {
		case ch := <-c.p.full:
			c.cur, c.buf, c.err = ch.buf, ch.buf, ch.err
		case <-c.ctx.Done():
			c.err = newError(KindCanceled, "", "reading canceled", c.ctx.Err())
		}
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	if c.tracking {
		c.scan(p[:n])
	}
	c.off += int64(n)
	return n, nil
}

// track starts (on) or stops recording the positions of non-zero bytes;
// starting forgets earlier positions, stopping keeps them for inspection.
func (c *chanReader) track(on bool) {
	c.tracking = on
	if on {
		c.firstNonZero, c.lastNonZero = -1, -1
	}
}

func (c *chanReader) scan(b []byte) {
	for i, v := range b {
		if v != 0 {
			if c.firstNonZero < 0 {
				c.firstNonZero = c.off + int64(i)
			}
			break
		}
	}
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			c.lastNonZero = c.off + int64(i)
			break
		}
	}
}
