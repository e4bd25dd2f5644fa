package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
)

// This file builds archives for the tests, valid and hostile, with
// archive/tar where it can express the entry and with raw header blocks
// where it cannot (non-UTF-8 names, odd type flags, dirty padding, ...).

var testMTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// ent is one tar entry for tarOf: a header and its data.
type ent struct {
	hdr  tar.Header
	data []byte
}

// reg is a regular file entry.
func reg(name, data string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: testMTime}, data: []byte(data)}
}

// typed is a data-less entry of the given type.
func typed(name string, flag byte, link string) ent {
	return ent{hdr: tar.Header{Typeflag: flag, Name: name, Linkname: link, Mode: 0o644, ModTime: testMTime}}
}

// dir is a directory entry.
func dir(name string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: testMTime}}
}

// tarOf writes entries with archive/tar, end-of-archive marker included.
func tarOf(ents ...ent) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			panic(fmt.Sprintf("tar header %q: %v", hdr.Name, err))
		}
		if _, err := tw.Write(e.data); err != nil {
			panic(fmt.Sprintf("tar data %q: %v", hdr.Name, err))
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// gz compresses b as one gzip member.
func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// tgz is gz(tarOf(ents...)).
func tgz(ents ...ent) []byte { return gz(tarOf(ents...)) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// Raw tar blocks.

const (
	magicUSTAR = "ustar\x0000"
	magicGNU   = "ustar  \x00"
)

// rawHeader builds a 512-byte tar header block by hand.
func rawHeader(name []byte, flag byte, size int64, magic string) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], fmt.Sprintf("%011o\x00", testMTime.Unix()))
	b[156] = flag
	copy(b[257:265], magic)
	setChecksum(b)
	return b
}

// setChecksum fills the checksum field of header block b.
func setChecksum(b []byte) {
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

// dataBlocks pads data with zeros to whole blocks.
func dataBlocks(data []byte) []byte {
	return cat(data, make([]byte, (512-len(data)%512)%512))
}

// endMarker is the tar end-of-archive marker: two zero blocks.
func endMarker() []byte { return make([]byte, 1024) }

// paxHeader builds a PAX extended header ('x' or 'g') with its records.
func paxHeader(flag byte, records ...[2]string) []byte {
	var data []byte
	for _, r := range records {
		rec := " " + r[0] + "=" + r[1] + "\n"
		n := len(rec)
		for len(strconv.Itoa(n))+len(rec) != n {
			n = len(strconv.Itoa(n)) + len(rec)
		}
		data = append(data, strconv.Itoa(n)+rec...)
	}
	return cat(rawHeader([]byte("PaxHeader"), flag, int64(len(data)), magicUSTAR), dataBlocks(data))
}

// rawFile is a regular file as raw blocks.
func rawFile(name string, data string) []byte {
	return cat(rawHeader([]byte(name), tar.TypeReg, int64(len(data)), magicUSTAR), dataBlocks([]byte(data)))
}

// Reading and assertions.

func read(data []byte, lim archive.Limits) (*archive.Contents, error) {
	return archive.Read(context.Background(), bytes.NewReader(data), lim)
}

// wantKind asserts that err is an *archive.Error of kind, naming entry
// (when entry is not empty) both in Entry and in the message.
func wantKind(t *testing.T, err error, kind archive.Kind, entry string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want kind %q", kind)
	}
	var e *archive.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *archive.Error", err, err)
	}
	if e.Kind != kind {
		t.Fatalf("kind = %q, want %q (error: %v)", e.Kind, kind, err)
	}
	if archive.KindOf(err) != kind {
		t.Fatalf("KindOf = %q, want %q", archive.KindOf(err), kind)
	}
	if entry != "" {
		if e.Entry != entry {
			t.Fatalf("Entry = %q, want %q (error: %v)", e.Entry, entry, err)
		}
		if !strings.Contains(err.Error(), strconv.Quote(entry)) {
			t.Fatalf("message %q does not name entry %q", err.Error(), entry)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("message is not one line: %q", err.Error())
	}
}
