// Command benchread generates and reads synthetic evidence bundles for
// scripts/bench-archive.sh.
//
//	benchread gen SIZE FILE   write a bundle whose logs/run.log has SIZE bytes
//	benchread read FILE       read FILE with archive.Read and print throughput
//
// SIZE accepts the suffixes KiB, MiB and GiB. read prints one line of
// key=value pairs: decompressed=BYTES compressed=BYTES seconds=S mbps=MB/s
// (MB = 10^6 bytes, of decompressed data).
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/benchdata"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchread:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "gen":
		size, err := parseSize(args[1])
		if err != nil {
			return err
		}
		return gen(size, args[2])
	case len(args) == 2 && args[0] == "read":
		return read(args[1])
	}
	return fmt.Errorf("usage: benchread gen SIZE FILE | benchread read FILE")
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

func gen(size int64, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := benchdata.WriteBundle(bw, size); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	c, err := archive.Read(context.Background(), f, archive.Limits{})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("decompressed=%d compressed=%d files=%d seconds=%.3f mbps=%.1f\n",
		c.DecompressedBytes(), c.CompressedBytes(), len(c.Files()), secs, float64(c.DecompressedBytes())/secs/1e6)
	return nil
}
