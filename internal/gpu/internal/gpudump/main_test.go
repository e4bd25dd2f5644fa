package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/gpu"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// TestReplayAndCompare runs the helper the way scripts/gpu-check.sh --dry-run
// does, on the real readings.
func TestReplayAndCompare(t *testing.T) {
	for _, m := range []string{"h100-ubuntu2404", "h200-ubuntu2404"} {
		t.Run(m, func(t *testing.T) {
			dir := testutil.SharedTestdata(t, filepath.Join("hardware", m))
			out := t.TempDir()
			raw, cmp := filepath.Join(out, "nvml.json"), filepath.Join(out, "comparison.json")
			var stdout, stderr bytes.Buffer
			code := run([]string{
				"-nvml-json", filepath.Join(dir, "nvml.json"), "-raw-out", raw,
				"-compare", filepath.Join(dir, "nvidia-smi-q.xml"), "-compare-csv", filepath.Join(dir, "nvidia-smi.csv"),
				"-compare-out", cmp,
			}, &stdout, &stderr)
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
			}
			var f gpu.Facts
			if err := json.Unmarshal(stdout.Bytes(), &f); err != nil || f.DeviceCount != 1 {
				t.Fatalf("stdout facts: %v, %+v", err, f)
			}
			want, err := os.ReadFile(filepath.Join(dir, "nvml.json"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("-raw-out differs from the fixture:\n%s", got)
			}
			var rep comparisonReport
			b, err := os.ReadFile(cmp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rep); err != nil || !rep.Equal || len(rep.Comparisons) != 19 {
				t.Errorf("comparison: %v, %+v", err, rep)
			}
			if !strings.Contains(stderr.String(), "agree on all 19 compared fields") {
				t.Errorf("stderr:\n%s", stderr.String())
			}

			// A tampered nvidia-smi XML is a mismatch: exit 1.
			x, err := os.ReadFile(filepath.Join(dir, "nvidia-smi-q.xml"))
			if err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(out, "bad.xml")
			if err := os.WriteFile(bad, bytes.Replace(x, []byte("<current_mig>Disabled"), []byte("<current_mig>Enabled"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			stderr.Reset()
			if code := run([]string{"-nvml-json", filepath.Join(dir, "nvml.json"), "-compare", bad}, &stdout, &stderr); code != exitMismatch {
				t.Errorf("tampered: exit %d, stderr:\n%s", code, stderr.String())
			}
		})
	}
}

// TestLiveWithoutNVML: on a machine without the driver (CI) the live read is
// exit 3; on a GPU machine it succeeds.
func TestLiveWithoutNVML(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(nil, &stdout, &stderr)
	switch code {
	case exitUnavailable:
		if !strings.Contains(stderr.String(), "NVML unavailable") {
			t.Errorf("stderr: %s", stderr.String())
		}
	case exitOK:
		t.Logf("live NVML:\n%s", stdout.String())
	default:
		t.Errorf("exit %d, stderr: %s", code, stderr.String())
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{"extra"}, {"-compare-out", "x"}, {"-bogus"}, {"-nvml-json", filepath.Join(t.TempDir(), "missing")}} {
		if code := run(args, &stdout, &stderr); code != exitError {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
