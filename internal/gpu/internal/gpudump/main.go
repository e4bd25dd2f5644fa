// Command gpudump prints the GPU facts of the machine it runs on, read through
// NVML (package internal/gpu), as JSON, and checks them against nvidia-smi.
// It is scripts/gpu-check.sh's helper until cmd/emit exists.
//
//	gpudump [-nvml-json FILE] [-raw-out FILE] [-compare FILE.xml [-compare-csv FILE.csv] [-compare-out FILE]]
//
//	-nvml-json FILE    replay a recorded reading (nvml.json format) instead of live NVML
//	-raw-out FILE      write the reading in the nvml.json format (gpu.FromNVMLJSON reads it)
//	-compare FILE      compare with `nvidia-smi -q -x` output (gpu.Compare)
//	-compare-csv FILE  add `nvidia-smi --query-gpu=…,compute_cap --format=csv` output
//	-compare-out FILE  write every comparison and the mismatches as JSON
//	-timeout D         give up reading NVML after D (default 30s)
//
// Standard output is the Facts as JSON; the comparison table goes to standard
// error. Exit status: 0 all well, 1 a mismatch, 2 an error, 3 NVML is
// unavailable here (gpu.ErrUnavailable: no driver, or built without cgo).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aicr/verify-evidence/internal/gpu"
)

// Exit statuses.
const (
	exitOK          = 0
	exitMismatch    = 1
	exitError       = 2
	exitUnavailable = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line's.
type options struct {
	nvmlJSON, rawOut, compare, compareCSV, compareOut string
	timeout                                           time.Duration
}

// comparisonReport is what -compare-out writes.
type comparisonReport struct {
	Equal       bool             `json:"equal"`
	Mismatches  []gpu.Mismatch   `json:"mismatches"`
	Comparisons []gpu.Comparison `json:"comparisons"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gpudump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.nvmlJSON, "nvml-json", "", "replay this recorded reading (nvml.json format) instead of live NVML")
	fs.StringVar(&o.rawOut, "raw-out", "", "write the reading in the nvml.json format to this file")
	fs.StringVar(&o.compare, "compare", "", "compare with this `nvidia-smi -q -x` output")
	fs.StringVar(&o.compareCSV, "compare-csv", "", "add this `nvidia-smi --query-gpu=...,compute_cap --format=csv` output")
	fs.StringVar(&o.compareOut, "compare-out", "", "write the comparison as JSON to this file")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up reading NVML after this long")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() != 0 || (o.compare == "" && (o.compareCSV != "" || o.compareOut != "")) {
		fmt.Fprintln(stderr, "gpudump: unexpected arguments (-compare-csv and -compare-out need -compare)")
		return exitError
	}
	code, err := dump(o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "gpudump:", err)
	}
	return code
}

// dump reads (or replays) the reading, writes it, and compares it.
func dump(o options, stdout, stderr io.Writer) (int, error) {
	reading, err := readReading(o)
	if err != nil {
		if errors.Is(err, gpu.ErrUnavailable) {
			return exitUnavailable, err
		}
		return exitError, err
	}
	facts, err := reading.Facts()
	if err != nil {
		return exitError, err
	}
	if o.rawOut != "" {
		b, err := reading.JSON()
		if err != nil {
			return exitError, err
		}
		if err := os.WriteFile(o.rawOut, b, 0o644); err != nil {
			return exitError, err
		}
	}
	out, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		return exitError, err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		return exitError, err
	}
	if o.compare == "" {
		return exitOK, nil
	}
	return compare(o, facts, stderr)
}

// readReading replays -nvml-json or reads live NVML.
func readReading(o options) (*gpu.Reading, error) {
	if o.nvmlJSON != "" {
		b, err := readBounded(o.nvmlJSON, gpu.MaxNVMLJSONBytes)
		if err != nil {
			return nil, err
		}
		return gpu.ParseNVMLJSON(b)
	}
	r, closeFn, err := gpu.Open()
	defer closeFn()
	if err != nil {
		return nil, err
	}
	rr, ok := r.(gpu.RawReader)
	if !ok {
		return nil, errors.New("the NVML reader cannot return raw readings")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	return rr.ReadRaw(ctx)
}

// compare checks facts against nvidia-smi's output and reports.
func compare(o options, facts *gpu.Facts, stderr io.Writer) (int, error) {
	b, err := readBounded(o.compare, gpu.MaxSMIXMLBytes)
	if err != nil {
		return exitError, err
	}
	smi, err := gpu.FromNvidiaSMIXML(b)
	if err != nil {
		return exitError, err
	}
	if o.compareCSV != "" {
		c, err := readBounded(o.compareCSV, gpu.MaxSMICSVBytes)
		if err != nil {
			return exitError, err
		}
		if err := gpu.AddNvidiaSMICSV(smi, c); err != nil {
			return exitError, err
		}
	}
	rep := comparisonReport{Comparisons: gpu.Comparisons(facts, smi), Mismatches: gpu.Compare(facts, smi)}
	rep.Equal = len(rep.Mismatches) == 0
	if rep.Mismatches == nil {
		rep.Mismatches = []gpu.Mismatch{}
	}
	fmt.Fprintf(stderr, "%-32s %-44s %-44s %s\n", "FIELD", "NVML", "NVIDIA-SMI", "EQUAL")
	for _, c := range rep.Comparisons {
		eq := fmt.Sprint(c.Equal)
		if c.Skipped {
			eq = "skipped (" + c.Note + ")"
		}
		fmt.Fprintf(stderr, "%-32s %-44s %-44s %s\n", c.Field, c.NVML, c.SMI, eq)
	}
	if o.compareOut != "" {
		j, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return exitError, err
		}
		if err := os.WriteFile(o.compareOut, append(j, '\n'), 0o644); err != nil {
			return exitError, err
		}
	}
	if !rep.Equal {
		fmt.Fprintf(stderr, "gpudump: %d field(s) differ between NVML and nvidia-smi\n", len(rep.Mismatches))
		return exitMismatch, nil
	}
	fmt.Fprintf(stderr, "gpudump: NVML and nvidia-smi agree on all %d compared fields\n", countCompared(rep.Comparisons))
	return exitOK, nil
}

// countCompared counts the comparisons that were not skipped.
func countCompared(cs []gpu.Comparison) int {
	n := 0
	for _, c := range cs {
		if !c.Skipped {
			n++
		}
	}
	return n
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}
