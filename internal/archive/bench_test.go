package archive_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/benchdata"
)

// BenchmarkRead reads generated bundles (a few documents and one big
// logs/run.log of pseudo-random log lines) from a file. Throughput is in
// decompressed bytes. Each bundle is generated once, with Write, under the
// benchmark's temporary directory; the 1GiB case takes a minute to generate
// and is skipped with -short.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	for _, size := range []struct {
		name string
		log  int64
	}{
		{"1MiB", 1 << 20},
		{"100MiB", 100 << 20},
		{"1GiB", 1 << 30},
	} {
		path := filepath.Join(dir, size.name+".tar.gz")
		b.Run(size.name, func(b *testing.B) {
			if size.log >= 1<<30 && testing.Short() {
				b.Skip("1GiB bundle skipped in -short mode")
			}
			if _, err := os.Stat(path); err != nil {
				writeBenchBundle(b, path, size.log)
			}
			decompressed := readBenchBundle(b, path).DecompressedBytes()
			b.SetBytes(decompressed)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				readBenchBundle(b, path)
			}
		})
	}
}

func writeBenchBundle(b *testing.B, path string, logSize int64) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := benchdata.WriteBundle(w, logSize); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func readBenchBundle(b *testing.B, path string) *archive.Contents {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c, err := archive.Read(context.Background(), f, archive.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}
