package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/benchdata"
)

var errDisk = errors.New("disk on fire")

// failAfter serves r's first n bytes, then fails with err.
type failAfter struct {
	r   io.Reader
	n   int
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	m, err := f.r.Read(p)
	f.n -= m
	return m, err
}

// hook calls fn once after n bytes have been served.
type hook struct {
	r    io.Reader
	n    int
	once sync.Once
	fn   func()
}

func (h *hook) Read(p []byte) (int, error) {
	m, err := h.r.Read(p)
	h.n -= m
	if h.n <= 0 {
		h.once.Do(h.fn)
	}
	return m, err
}

// bigBundle is a bundle with a document and a generated log of logSize
// bytes, compressed at BestSpeed to keep the tests quick.
func bigBundle(t *testing.T, logSize int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	recipe := []byte("kind: RecipeResult\n")
	for _, f := range []struct {
		name string
		size int64
		r    io.Reader
	}{
		{"recipe.yaml", int64(len(recipe)), bytes.NewReader(recipe)},
		{benchdata.LogPath, logSize, benchdata.NewLog(logSize, 3)},
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Size: f.size, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, f.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantIO(t *testing.T, err, cause error) {
	t.Helper()
	wantKind(t, err, archive.KindIO, "")
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, %v) = false", err, cause)
	}
	if archive.KindIO.InvalidBundle() {
		t.Error("KindIO counts as a bundle fault")
	}
}

func TestReadIOError(t *testing.T) {
	data := bigBundle(t, 2<<20)
	for _, n := range []int{0, 1, 5, 100, 4096, len(data) / 2, len(data) - 1} {
		_, err := archive.Read(t.Context(), &failAfter{r: bytes.NewReader(data), n: n, err: errDisk}, archive.Limits{})
		wantIO(t, err, errDisk)
	}
	// A source error that looks like a truncation is still an I/O error.
	_, err := archive.Read(t.Context(), &failAfter{r: bytes.NewReader(data), n: len(data) / 3, err: io.ErrUnexpectedEOF}, archive.Limits{})
	wantIO(t, err, io.ErrUnexpectedEOF)
	// So is one that comes with the last bytes of data.
	_, err = archive.Read(t.Context(), iotest.TimeoutReader(bytes.NewReader(data)), archive.Limits{})
	wantIO(t, err, iotest.ErrTimeout)
}

// The entry being read when the source fails is named.
func TestReadIOErrorNamesEntry(t *testing.T) {
	data := bigBundle(t, 8<<20)
	_, err := archive.Read(t.Context(), &failAfter{r: bytes.NewReader(data), n: len(data) / 2, err: errDisk}, archive.Limits{})
	wantIO(t, err, errDisk)
	if !strings.Contains(err.Error(), `"`+benchdata.LogPath+`"`) {
		t.Errorf("message %q does not name the log", err)
	}
}

// badCount returns an impossible byte count.
type badCount struct{}

func (badCount) Read(p []byte) (int, error) { return len(p) + 10, nil }

// silent returns no data and no error, forever.
type silent struct{}

func (silent) Read([]byte) (int, error) { return 0, nil }

func TestReadMisbehavingSource(t *testing.T) {
	_, err := archive.Read(t.Context(), badCount{}, archive.Limits{})
	wantKind(t, err, archive.KindIO, "")
	_, err = archive.Read(t.Context(), silent{}, archive.Limits{})
	wantIO(t, err, io.ErrNoProgress)
	_, err = archive.Read(t.Context(), nil, archive.Limits{})
	if err == nil {
		t.Error("nil reader accepted")
	}
}

func wantCanceled(t *testing.T, err, cause error) {
	t.Helper()
	wantKind(t, err, archive.KindCanceled, "")
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, %v) = false", err, cause)
	}
	if archive.KindCanceled.InvalidBundle() {
		t.Error("KindCanceled counts as a bundle fault")
	}
}

func TestReadCanceled(t *testing.T) {
	data := bigBundle(t, 8<<20)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := archive.Read(ctx, bytes.NewReader(data), archive.Limits{})
	wantCanceled(t, err, context.Canceled)

	// Canceled in the middle of the big file.
	for _, at := range []int{1, 1000, len(data) / 2, len(data) - 100} {
		ctx, cancel := context.WithCancel(t.Context())
		_, err := archive.Read(ctx, &hook{r: bytes.NewReader(data), n: at, fn: cancel}, archive.Limits{})
		cancel()
		wantCanceled(t, err, context.Canceled)
	}

	// Deadline on a slow source.
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	slow := &hook{r: bytes.NewReader(data), n: 1, fn: func() {}}
	start := time.Now()
	_, err = archive.Read(ctx, readerFunc(func(p []byte) (int, error) {
		time.Sleep(5 * time.Millisecond)
		return slow.Read(p[:min(len(p), 512)])
	}), archive.Limits{})
	wantCanceled(t, err, context.DeadlineExceeded)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A source blocked in Read holds Read up until it returns (no goroutine is
// left behind), and then the cancellation is reported.
func TestReadCanceledWhileSourceBlocks(t *testing.T) {
	data := bigBundle(t, 1<<20)
	ctx, cancel := context.WithCancel(t.Context())
	release := make(chan struct{})
	blocked := make(chan struct{})
	served := 0
	src := readerFunc(func(p []byte) (int, error) {
		if served > 1000 {
			close(blocked)
			<-release
			return 0, errDisk
		}
		n := copy(p[:min(len(p), 1000)], data[served:])
		served += n
		return n, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := archive.Read(ctx, src, archive.Limits{})
		done <- err
	}()
	<-blocked
	cancel()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Read returned while its source was still blocked: %v", err)
	default:
	}
	close(release)
	select {
	case err := <-done:
		wantCanceled(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return")
	}
}

// No goroutine outlives Read, whatever way it ends.
func TestReadNoGoroutineLeak(t *testing.T) {
	data := bigBundle(t, 8<<20)
	symlinkFirst := cat(
		tgz(typed("a", '2', "b")), // rejected on the first header, with data still queued behind it
	)
	hugeTail := gz(cat(tarOf(typed("x", '2', "y")), make([]byte, 8<<20)))
	base := runtime.NumGoroutine()
	for range 3 {
		_, _ = archive.Read(t.Context(), bytes.NewReader(data), archive.Limits{})
		_, _ = archive.Read(t.Context(), bytes.NewReader(symlinkFirst), archive.Limits{})
		_, _ = archive.Read(t.Context(), bytes.NewReader(hugeTail), archive.Limits{})
		_, _ = archive.Read(t.Context(), &failAfter{r: bytes.NewReader(data), n: len(data) / 2, err: errDisk}, archive.Limits{})
		_, _ = archive.Read(t.Context(), bytes.NewReader(data), archive.Limits{MaxFileBytes: 1 << 20})
		_, _ = archive.Read(t.Context(), bytes.NewReader(data), archive.Limits{MaxTotalBytes: 3 << 20, MaxFileBytes: 1})
		ctx, cancel := context.WithCancel(t.Context())
		_, _ = archive.Read(ctx, &hook{r: bytes.NewReader(data), n: len(data) / 3, fn: cancel}, archive.Limits{})
		cancel()
	}
	// Read waits for its goroutine, which may still be in its last few
	// instructions; give it a moment, but a leak never goes away.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
