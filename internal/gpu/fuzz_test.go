package gpu

import "testing"

// FuzzFromNvidiaSMIXML: no input panics, and parsed facts always compare.
func FuzzFromNvidiaSMIXML(f *testing.F) {
	f.Add(minimalXML(`<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">`, "<serial>1</serial>"))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><nvidia_smi_log/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := FromNvidiaSMIXML(b)
		if err != nil {
			return
		}
		_ = Compare(s, s)
		_ = AddNvidiaSMICSV(s, []byte("compute_cap\n9.0\n"))
	})
}

// FuzzNVMLJSON: no input panics; an accepted reading converts, re-encodes
// and replays to the same facts.
func FuzzNVMLJSON(f *testing.F) {
	b, err := validReading().JSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"driverVersion":"1","deviceCount":0,"gpus":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseNVMLJSON(b)
		if err != nil {
			return
		}
		facts, err := r.Facts()
		if err != nil {
			return
		}
		out, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := FromNVMLJSON(out)
		if err != nil {
			t.Fatalf("re-encoded reading refused: %v\n%s", err, out)
		}
		if len(again.Devices) != len(facts.Devices) {
			t.Fatal("replay differs")
		}
		_ = Measurement(facts)
		_ = DevicesMeasurement(facts)
	})
}
