// Package benchdata generates synthetic evidence bundles for the archive
// benchmarks and the bench-archive tool: a few small documents plus one big
// logs/run.log of pseudo-random, moderately compressible log lines (gzip
// shrinks them about 4.4 times), generated from a fixed seed so that every
// run reads the same bytes.
package benchdata

import (
	"io"
	"math/rand"
	"strconv"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
)

// LogPath is the path of the big file in generated bundles.
const LogPath = "logs/run.log"

// Seed is the math/rand seed of the generated log.
const Seed = 20250101

// MTime is the modification time written into generated bundles.
func MTime() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }

// Entries returns the entries of a generated bundle whose log has logSize
// bytes. The log is streamed from a generator, never held in memory.
func Entries(logSize int64) []archive.Entry {
	docs := map[string]string{
		archive.PathManifest:    `{"schemaVersion": "1.0.0", "files": []}` + "\n",
		archive.PathRecipe:      "kind: RecipeResult\nmetadata:\n    name: bench\n",
		archive.PathSnapshot:    "measurements:\n    - type: K8s\n      subtypes: []\n",
		archive.PathBOM:         `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}` + "\n",
		archive.PathCTRFDeploy:  `{"results": {"tool": {"name": "bench"}, "summary": {"tests": 1, "passed": 1}}}` + "\n",
		archive.PathCTRFPerf:    `{"results": {"tool": {"name": "bench"}, "summary": {"tests": 1, "passed": 1}}}` + "\n",
		archive.PathStatement:   `{"_type": "https://in-toto.io/Statement/v1"}` + "\n",
		archive.PathAttestation: `{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}` + "\n",
	}
	entries := make([]archive.Entry, 0, len(docs)+1)
	for p, d := range docs {
		entries = append(entries, archive.Entry{Path: p, Data: []byte(d)})
	}
	return append(entries, archive.Entry{Path: LogPath, Body: NewLog(logSize, Seed), Size: logSize})
}

// WriteBundle writes a generated bundle whose log has logSize bytes to w.
func WriteBundle(w io.Writer, logSize int64) error {
	return archive.Write(w, Entries(logSize), MTime())
}

// logReader yields exactly size bytes of log lines.
type logReader struct {
	rng     *rand.Rand
	t       time.Time
	left    int64
	line    []byte
	pending []byte
}

// NewLog returns a reader of exactly size bytes of log lines generated
// from seed.
func NewLog(size, seed int64) io.Reader {
	return &logReader{
		rng:  rand.New(rand.NewSource(seed)),
		t:    MTime(),
		left: size,
		line: make([]byte, 0, 256),
	}
}

func (l *logReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && l.left > 0 {
		if len(l.pending) == 0 {
			l.pending = l.next()
		}
		m := copy(p[n:], l.pending[:min(int64(len(l.pending)), l.left)])
		l.pending = l.pending[m:]
		n += m
		l.left -= int64(m)
	}
	if n == 0 && l.left == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// next renders one log line into l.line.
func (l *logReader) next() []byte {
	levels := [...]string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}
	components := [...]string{"scheduler", "kubelet", "nccl-test", "gpu-operator", "validator", "etcd", "apiserver", "dcgm-exporter"}
	messages := [...]string{"reconciled object", "pod started", "allreduce bandwidth measured", "health check passed",
		"retrying request", "node condition changed", "collected metrics", "container image pulled"}
	r := l.rng
	l.t = l.t.Add(time.Duration(r.Intn(5000)) * time.Microsecond)
	b := l.t.AppendFormat(l.line[:0], "2006-01-02T15:04:05.000000Z07:00")
	b = append(b, ' ')
	b = append(b, levels[r.Intn(len(levels))]...)
	b = append(b, " ["...)
	b = append(b, components[r.Intn(len(components))]...)
	b = append(b, "] "...)
	b = append(b, messages[r.Intn(len(messages))]...)
	b = append(b, " id="...)
	b = strconv.AppendUint(b, r.Uint64(), 16)
	b = append(b, " node=gpu-node-"...)
	b = strconv.AppendInt(b, int64(r.Intn(64)), 10)
	b = append(b, " value="...)
	b = strconv.AppendFloat(b, r.Float64()*1000, 'f', 3, 64)
	b = append(b, '\n')
	l.line = b
	return b
}
