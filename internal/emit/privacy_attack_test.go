package emit_test

// Privacy attack tests: each plants a realistic private value where a
// contributor with a real cluster (or a careless user) would put it, emits an
// unsigned minimal bundle the way TestPrivacyCorpus does, decompresses the
// whole archive and asserts the value is absent (from every file, the raw tar,
// and where noted the emitter's stderr, which lands in a public CI log).
// A test that passes is marked "blocked": the value is removed today.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// attackCTRF is a valid deployment report with all tests passed and the given
// names; toolVersion and specVersion are planted as given.
func attackCTRF(t *testing.T, specVersion, toolVersion string, names ...string) []byte {
	t.Helper()
	type test struct {
		Name     string `json:"name"`
		Status   string `json:"status"`
		Duration int    `json:"duration"`
	}
	tests := []test{{"operator-health", "passed", 1}, {"gpu-operator-ready", "passed", 1}}
	for _, n := range names {
		tests = append(tests, test{n, "passed", 1})
	}
	doc := map[string]any{
		"reportFormat": "CTRF", "specVersion": specVersion,
		"results": map[string]any{
			"tool": map[string]any{"name": "aicr-validator", "version": toolVersion},
			"summary": map[string]any{"tests": len(tests), "passed": len(tests), "failed": 0, "skipped": 0,
				"pending": 0, "other": 0, "start": 1795168800000, "stop": 1795168808350},
			"tests": tests,
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attackOut is what one attack emission published.
type attackOut struct {
	tar    []byte
	files  map[string][]byte
	stderr string
}

// emitAttack copies the h100 example, lets plant change the inputs (and
// return the command line), emits, and returns the published bytes.
func emitAttack(t *testing.T, plant func(in inputs) []string) attackOut {
	t.Helper()
	in := copyInputs(t, h100Example)
	args := in.args(outPath(t))
	if plant != nil {
		if a := plant(in); a != nil {
			args = a
		}
	}
	data, stderr := mustEmit(t, args, emit.Env{})
	return attackOut{tar: rawTar(t, data), files: bundleFiles(t, data), stderr: stderr}
}

// assertAbsent fails for each needle present in the raw tar, any bundle
// file or (withLog) the emitter's stderr, naming where it showed up.
func assertAbsent(t *testing.T, o attackOut, withLog bool, needles ...string) {
	t.Helper()
	for _, s := range needles {
		var where []string
		for path, b := range o.files {
			if bytes.Contains(b, []byte(s)) {
				where = append(where, path)
			}
		}
		if len(where) == 0 && bytes.Contains(o.tar, []byte(s)) {
			where = append(where, "raw tar (headers/names)")
		}
		if withLog && strings.Contains(o.stderr, s) {
			where = append(where, "stderr log")
		}
		if len(where) > 0 {
			t.Errorf("LEAK %q published in %v", s, where)
		}
	}
}

// ctrfCase plants name as a CTRF test name and expects needles removed.
type ctrfCase struct {
	name    string // subtest
	planted string // the test name as a tool would write it
	needles []string
}

// TestPrivacyLeakCTRFTestName plants private values in CTRF test names (kept
// by ctrf.allowlist, then scrubbed). Subtests marked blocked pass today.
func TestPrivacyLeakCTRFTestName(t *testing.T) {
	cases := []ctrfCase{
		// LEAK candidates (scrubber gaps).
		{"gcp-project-id", "node-ready projects/acme-ml-prod-4711/zones/us-central1-a/instances/trainer-0", []string{"acme-ml-prod-4711"}},
		{"azure-resource-group", "vm-ready /subscriptions/9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e/resourceGroups/acme-prod-rg/providers/Microsoft.Compute/virtualMachines/gpu0", []string{"acme-prod-rg"}},
		{"aks-availability-set-node", "gpu-ready on aks-nodepool1-31415926-0", []string{"31415926"}},
		{"oke-node-pool-name", "gpu-ready on oke-cywiqripuyg-nsgagklgnst-st2qczvnmba-0", []string{"cywiqripuyg", "st2qczvnmba"}},
		{"ec2-instance-id", "gpu-ready on i-0fedcba9876543210", []string{"0fedcba9876543210"}},
		{"bare-aws-account-id", "eks-access for account 444455556666", []string{"444455556666"}},
		{"ipv6-after-colon", "ping InternalIP:fd00:ec2::23", []string{"fd00:ec2::23"}},
		{"ipv6-before-period", "reachable fd00:ec2::24.", []string{"fd00:ec2::24"}},
		{"ipv4-after-underscore", "test_ping_10.0.12.34", []string{"10.0.12.34"}},
		{"ec2-node-after-underscore", "test_drain_ip-10-0-12-36", []string{"ip-10-0-12-36"}},
		{"uuid-after-underscore", "run_3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", []string{"3f2b1c4d-5e6f"}},
		{"kubeadm-bootstrap-token", "join --token abcdef.0123456789abcdef", []string{"0123456789abcdef"}},
		{"huggingface-token", "download model HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", []string{"AbCdEfGhIjKlMnOpQrStUvWxYz"}},
		{"windows-home-path", `kubeconfig C:\Users\alicewin\.kube\config`, []string{"alicewin"}},
		{"non-http-url-credentials", "mlflow postgres://mlflow:S3cr3tPw@10.0.5.6:5432/mlflow", []string{"S3cr3tPw"}},
		{"s3-bucket", "upload results to s3://acme-private-results/run-42", []string{"acme-private-results"}},
		{"corp-private-dns", "pull from registry.acme-corp.example:5000", []string{"acme-corp"}},
		// blocked (removed today).
		{"blocked-gke-node", "gpu-ready on gke-acme-prod-gpu-pool-5e6f7a8b-k2lm", []string{"acme-prod-gpu-pool", "5e6f7a8b"}},
		{"blocked-aks-vmss-node", "gpu-ready on aks-nodepool1-12345678-vmss000000", []string{"12345678-vmss"}},
		{"blocked-ec2-internal", "dns ip-10-0-1-2.ec2.internal", []string{"ip-10-0-1-2"}},
		{"blocked-cluster-local", "svc trainer.acme-ml.svc.cluster.local", []string{"acme-ml"}},
		{"blocked-arn-aws-cn", "assume arn:aws-cn:iam::555566667777:role/acme-cn-role", []string{"555566667777", "acme-cn-role"}},
		{"blocked-arn-aws-us-gov", "assume arn:aws-us-gov:eks:us-gov-west-1:888899990000:cluster/acme-gov", []string{"888899990000", "acme-gov"}},
		{"blocked-oci-ocid", "node ocid1.instance.oc1.iad.anuwcljplantedinstanceocid", []string{"plantedinstanceocid"}},
		{"blocked-ecr-host", "pull 123456789012.dkr.ecr.us-west-2.amazonaws.com/team/trainer:1", []string{"123456789012"}},
		{"blocked-ipv4-port", "dial 10.0.12.34:6443", []string{"10.0.12.34"}},
		{"blocked-ipv6-bracket-port", "dial [2600:1f14:abcd::17]:443", []string{"2600:1f14:abcd::17"}},
		{"blocked-ipv6-zone", "link fe80::1ff:fe23:4567:890a%eth0", []string{"fe80::1ff:fe23:4567:890a"}},
		{"blocked-email-plus-subdomain", "owner alice+ci@mail.corp.example.co.uk", []string{"alice+ci", "mail.corp"}},
		{"blocked-jwt", "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl", []string{"eyJhbGciOiJSUzI1NiJ9"}},
		{"blocked-home-kubeconfig", "kubeconfig /home/alicelinux/.kube/config", []string{"alicelinux"}},
		{"blocked-users-path", "kubeconfig /Users/alicemac/.kube/config", []string{"alicemac"}},
		{"blocked-url-userinfo", "fetch https://bob:hunter2pass@charts.acme-corp.example/index.yaml", []string{"hunter2pass", "acme-corp"}},
		{"blocked-openshift-token", "login sha256~K8sTok3nAbCdEf0123456789XyZaBcDeFgHiJk", []string{"K8sTok3nAbCdEf0123456789"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := emitAttack(t, func(in inputs) []string {
				writeFile(t, filepath.Join(in.results, "deployment.json"), attackCTRF(t, "0.0.0", "v0.18.0", c.planted))
				return nil
			})
			assertAbsent(t, o, true, c.needles...)
		})
	}
}

// TestPrivacyLeakCTRFSpecVersion: specVersion is kept with no scrubber
// (emit/ctrf.go pick(…, nil, "CTRF")); a generator stamping the host there.
func TestPrivacyLeakCTRFSpecVersion(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		writeFile(t, filepath.Join(in.results, "deployment.json"),
			attackCTRF(t, "0.0.0+ip-10-0-12-34.us-west-2.compute.internal", "v0.18.0"))
		return nil
	})
	assertAbsent(t, o, true, "ip-10-0-12-34", "compute.internal")
}

// TestPrivacyLeakCTRFToolVersion: blocked — the tool version is scrubbed.
func TestPrivacyLeakCTRFToolVersion(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		writeFile(t, filepath.Join(in.results, "deployment.json"),
			attackCTRF(t, "0.0.0", "v0.18.0 built by carol.planted@corp.example on /home/carolp"))
		return nil
	})
	assertAbsent(t, o, true, "carol.planted", "carolp")
}

// TestPrivacyLeakSnapshotKeptValues plants scrubber gaps in allow-listed,
// non-fingerprint snapshot readings.
func TestPrivacyLeakSnapshotKeptValues(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		s := string(readFile(t, in.snapshot))
		s = strings.Replace(s, "os-image: Ubuntu 24.04.3 LTS", `os-image: "Ubuntu 24.04.3 LTS (InternalIP:fd00:ec2::99)"`, 1)
		s = strings.Replace(s, "container-runtime-version: 2.0.5", `container-runtime-version: "2.0.5 acct 444455556666"`, 1)
		s = strings.Replace(s, "instance-types: p5.48xlarge,m6i.2xlarge", `instance-types: "p5.48xlarge,m6i.2xlarge,oke-cywiqripuyg-nsgagklgnst-st2qczvnmba-0"`, 1)
		writeFile(t, in.snapshot, []byte(s))
		return nil
	})
	assertAbsent(t, o, true, "fd00:ec2::99", "444455556666", "cywiqripuyg")
}

// TestPrivacyLeakSnapshotBlocked: blocked — known forms in kept readings.
func TestPrivacyLeakSnapshotBlocked(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		s := string(readFile(t, in.snapshot))
		s = strings.Replace(s, "os-image: Ubuntu 24.04.3 LTS", `os-image: "Ubuntu 24.04.3 LTS on ip-10-0-12-34.us-west-2.compute.internal 10.0.12.34"`, 1)
		s = strings.Replace(s, "      - subtype: summary\n        data:\n", "      - subtype: summary\n        data:\n          zones: \"us-west-2a,arn:aws-us-gov:eks:us-gov-west-1:888899990000:cluster/x\"\n", 1)
		writeFile(t, in.snapshot, []byte(s))
		return nil
	})
	assertAbsent(t, o, true, "ip-10-0-12-34", "10.0.12.34", "888899990000")
}

// TestPrivacyLeakFingerprintRefusalMessage: a fingerprint reading holding a
// private value makes emit refuse; the refusal (printed to the public CI
// log) must not echo the raw value.
func TestPrivacyLeakFingerprintRefusalMessage(t *testing.T) {
	in := copyInputs(t, h100Example)
	s := strings.Replace(string(readFile(t, in.snapshot)), "version: v1.33.4\n", "version: v1.33.4-ip-10-0-12-34\n", 1)
	writeFile(t, in.snapshot, []byte(s))
	res := runEmit(t, in.args(outPath(t)), emit.Env{})
	if res.err == nil {
		t.Fatal("emit did not refuse a scrubbed fingerprint reading")
	}
	if log := res.err.Error() + "\n" + res.stderr; strings.Contains(log, "ip-10-0-12-34") {
		t.Errorf("LEAK refusal message echoes the raw reading: %s", res.err)
	}
}

// TestPrivacyLeakBOMPrivateModuleHost: a syft BOM of an internal image names
// components by private host (Go module path, image ref) outside purl
// namespaces of pkg:docker/pkg:oci.
func TestPrivacyLeakBOMPrivateModuleHost(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		writeFile(t, in.bom, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
 {"type":"library","name":"git.acme-corp.example/ml/trainer","version":"v1.2.3","purl":"pkg:golang/git.acme-corp.example/ml/trainer@v1.2.3"},
 {"type":"container","name":"registry.acme-corp.example/team/sidecar","version":"2.0","purl":"pkg:docker/team/sidecar@2.0"}]}`))
		return nil
	})
	assertAbsent(t, o, true, "acme-corp")
}

// TestPrivacyLeakBOMRegistries: blocked — private registries in purl
// qualifiers and pkg:docker/pkg:oci namespaces.
func TestPrivacyLeakBOMRegistries(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		writeFile(t, in.bom, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
 {"type":"container","name":"a","version":"1","purl":"pkg:docker/a@1?repository_url=123456789012.dkr.ecr.us-west-2.amazonaws.com%2Fteam"},
 {"type":"container","name":"b","version":"1","purl":"pkg:oci/b@sha256%3A0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef?repository_url=us-docker.pkg.dev%2Facme-gcp-proj%2Frepo%2Fb"},
 {"type":"container","name":"c","version":"1","purl":"pkg:docker/gcr.io/acme-gcp-proj2/c@1"},
 {"type":"container","name":"d","version":"1","purl":"pkg:docker/d@1?REPOSITORY_URL=harbor.acme-corp.example%2Fd"},
 {"type":"application","name":"e","version":"1","purl":"pkg:helm/e@1?repository_url=https%3A%2F%2Fbob%3Atok3n@helm.ngc.nvidia.com%2Fnvidia"},
 {"type":"container","name":"f","version":"1","purl":"pkg:oci/harbor.acme-corp2.example%3A8443/ml/f@1"}]}`))
		return nil
	})
	assertAbsent(t, o, true, "123456789012", "acme-gcp-proj", "acme-corp", "tok3n", "bob%3A")
}

// TestPrivacyLeakPredicateAICRVersion: --aicr-version goes into the predicate
// unscrubbed (careless: --aicr-version "$(aicr version)" with a build stamp).
func TestPrivacyLeakPredicateAICRVersion(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		return append(in.args(outPath(t)), "--aicr-version", "v0.18.0-dev+built.by.dana.planted@corp.example.on.ip-10-0-12-34")
	})
	assertAbsent(t, o, true, "dana.planted", "ip-10-0-12-34")
}

// TestPrivacyLeakPredicateRecipeName: the recipe name (flag, metadata.name or
// the file name) is the subject name, published as is; one the scrubber would
// change is refused, and the refusal (a public CI log) does not echo it.
func TestPrivacyLeakPredicateRecipeName(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	res := runEmit(t, append(in.args(out), "--recipe-name", "eks-prod-444455556666-ip-10-0-12-34"), emit.Env{})
	if res.err == nil {
		t.Fatal("emit accepted a recipe name holding an account id and a node name")
	}
	log := res.err.Error() + "\n" + res.stderr
	for _, s := range []string{"444455556666", "ip-10-0-12-34"} {
		if strings.Contains(log, s) {
			t.Errorf("LEAK refusal echoes %q: %s", s, log)
		}
	}
	if !strings.Contains(res.err.Error(), "--recipe-name") || !strings.Contains(res.err.Error(), "scrub:host") {
		t.Errorf("refusal %q does not say which rule and how to fix it", res.err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a bundle was written")
	}
}

// TestPrivacyLeakRecipeContent: the canonical recipe is published as is
// (spec §2/§3: recipe.yaml is the canonical bytes and the subject digest), so
// private data in it is published; no redaction applies (documented in §5).
// emit warns, also with --quiet, naming the scrubber's rules but not the
// values.
func TestPrivacyLeakRecipeContent(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		r := strings.Replace(string(readFile(t, in.recipe)), "    source: https://charts.jetstack.io\n",
			"    source: https://erin.planted:gh0stTok3n@charts.acme-corp.example/stable\n", 1)
		writeFile(t, in.recipe, []byte(r))
		return append(in.args(outPath(t)), "--quiet")
	})
	if !bytes.Contains(o.files["recipe.yaml"], []byte("gh0stTok3n")) {
		t.Error("recipe.yaml was changed: it must be published verbatim (it is the signed subject)")
	}
	warned := false
	for _, l := range strings.Split(o.stderr, "\n") {
		if strings.Contains(l, "warning") && strings.Contains(l, "recipe.yaml") && strings.Contains(l, "scrub:url") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning that recipe.yaml holds what the scrubber removes; stderr:\n%s", o.stderr)
	}
	for _, s := range []string{"gh0stTok3n", "erin.planted", "acme-corp"} {
		if strings.Contains(o.stderr, s) {
			t.Errorf("LEAK the warning echoes %q", s)
		}
	}
}

// TestPrivacyLeakRecipeComment: blocked — comments are dropped by canonicalisation.
func TestPrivacyLeakRecipeComment(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		r := "# owner frank.planted@corp.example, cluster arn:aws:eks:us-west-2:444455556666:cluster/x\n" + string(readFile(t, in.recipe))
		writeFile(t, in.recipe, []byte(r))
		return nil
	})
	assertAbsent(t, o, true, "frank.planted", "444455556666")
}

// TestPrivacyLeakProgressPaths: progress lines echo input and output paths
// ("using snapshot <path>", "writing <path>") to stderr, a public CI log.
func TestPrivacyLeakProgressPaths(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		home := filepath.Join(t.TempDir(), "home", "gracelocal")
		snap := filepath.Join(home, ".aicr", "snapshot.yaml")
		writeFile(t, snap, readFile(t, in.snapshot))
		out := filepath.Join(home, "out", "evidence-bundle.tar.gz")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		a := in.args(out)
		for i := range a {
			if a[i] == "--snapshot" {
				a[i+1] = snap
			}
		}
		return a
	})
	assertAbsent(t, o, true, "gracelocal")
}

// TestPrivacyLeakRedactFullNoWarning: --redact full publishes the raw
// snapshot, CTRF and BOM forever; emit should warn on stderr (also with
// --quiet). Fails when no warning line mentions it.
func TestPrivacyLeakRedactFullNoWarning(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		return append(in.args(outPath(t)), "--redact", "full", "--quiet")
	})
	found := false
	for _, l := range strings.Split(o.stderr, "\n") {
		if strings.Contains(l, "warning") && (strings.Contains(l, "full") || strings.Contains(l, "redact") || strings.Contains(l, "raw")) {
			found = true
		}
	}
	if !found {
		t.Errorf("LEAK-RISK --redact full printed no warning that raw data is published; stderr:\n%s", o.stderr)
	}
}

// TestPrivacyLeakTarHeaders: blocked — no user/group names or host ids in
// tar headers, file names are the fixed bundle names.
func TestPrivacyLeakTarHeaders(t *testing.T) {
	o := emitAttack(t, nil)
	tr := tar.NewReader(bytes.NewReader(o.tar))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uname != "" || h.Gname != "" || h.Uid != 0 || h.Gid != 0 || len(h.PAXRecords) > 0 { // extended attributes are PAX records (SCHILY.xattr.*)
			t.Errorf("LEAK tar header of %s: uname %q gname %q uid %d gid %d pax %v", h.Name, h.Uname, h.Gname, h.Uid, h.Gid, h.PAXRecords)
		}
		if strings.Contains(h.Name, "/") && !strings.HasPrefix(h.Name, "ctrf/") {
			t.Errorf("unexpected archive path %s", h.Name)
		}
	}
}

// TestPrivacyLeakCorpHostPublicTLD: a private corporate host under a public
// top-level domain in a CTRF test name (registry.acme-corp.com) is scrubbed
// when acme-corp.com is the cluster's own domain (its nodes are named in
// it) or given with --private-domain; public hosts in the same text stay.
func TestPrivacyLeakCorpHostPublicTLD(t *testing.T) {
	const planted = "pull from registry.acme-corp.com:5000 and charts.jetstack.io"
	t.Run("cluster domain from the node names", func(t *testing.T) {
		in := copyInputs(t, h100Example)
		writeFile(t, filepath.Join(in.results, "deployment.json"), attackCTRF(t, "0.0.0", "v0.18.0", planted))
		snap, err := fingerprint.ParseSnapshot(readFile(t, in.snapshot))
		if err != nil {
			t.Fatal(err)
		}
		nodes := fingerprint.Subtype{Subtype: "nodes", Data: map[string]any{"gpu-7.lab.acme-corp.com.gpu-count": "8", "gpu-7.lab.acme-corp.com.region": "us-west-2"}}
		found := false
		for i := range snap.Measurements {
			if snap.Measurements[i].Type == "NodeTopology" {
				snap.Measurements[i].Subtypes = append(snap.Measurements[i].Subtypes, nodes)
				found = true
			}
		}
		if !found {
			t.Fatal("the example snapshot has no NodeTopology")
		}
		all := in.args(outPath(t))
		var args []string
		for i := 0; i < len(all); i++ {
			if all[i] == "--snapshot" {
				i++ // and its value: the cluster is read instead
				continue
			}
			args = append(args, all[i])
		}
		cluster := func(context.Context, *emit.Options, *emit.Progress) (*fingerprint.Snapshot, error) { return snap, nil }
		data, stderr := mustEmit(t, args, emit.Env{Cluster: cluster})
		o := attackOut{tar: rawTar(t, data), files: bundleFiles(t, data), stderr: stderr}
		assertAbsent(t, o, true, "acme-corp")
		if !bytes.Contains(o.files["ctrf/deployment.json"], []byte("charts.jetstack.io")) {
			t.Errorf("a public host was scrubbed too:\n%s", o.files["ctrf/deployment.json"])
		}
	})
	t.Run("--private-domain", func(t *testing.T) {
		o := emitAttack(t, func(in inputs) []string {
			writeFile(t, filepath.Join(in.results, "deployment.json"), attackCTRF(t, "0.0.0", "v0.18.0", planted))
			return in.args(outPath(t), "--private-domain", "acme-corp.com")
		})
		assertAbsent(t, o, true, "acme-corp")
		if !bytes.Contains(o.files["ctrf/deployment.json"], []byte("charts.jetstack.io")) {
			t.Errorf("a public host was scrubbed too:\n%s", o.files["ctrf/deployment.json"])
		}
	})
}

// TestPrivacyLeakTopologyLabelsAndTaints: blocked — a snapshot in AICR's
// shape lists node names under every label and taint, and labels and taints
// can name hosts, teams and accounts. Minimal keeps only the topology labels
// and the GPU taint, node names as ordinals, label values scrubbed.
func TestPrivacyLeakTopologyLabelsAndTaints(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		s := string(readFile(t, in.snapshot))
		nodes := "gpu-7f3a.corp-cluster.acme-corp.com,gpu-7f3b.corp-cluster.acme-corp.com"
		s = strings.Replace(s, "          instance-types: p5.48xlarge,m6i.2xlarge\n", "          instance-types: p5.48xlarge,m6i.2xlarge\n"+
			"      - subtype: taint\n        data:\n"+
			"          nvidia.com/gpu: NoSchedule|present|"+nodes+"\n"+
			"          dedicated: NoSchedule|team-falcon-444455556666|"+nodes+"\n"+
			"      - subtype: label\n        data:\n"+
			"          nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3|"+nodes+"\n"+
			"          topology.kubernetes.io/zone: us-west-2a.acme-corp.com|"+nodes+"\n"+
			"          kubernetes.io/hostname.gpu-7f3a: gpu-7f3a|gpu-7f3a.corp-cluster.acme-corp.com\n"+
			"          eks.amazonaws.com/nodegroup: ng-falcon|"+nodes+"\n", 1)
		writeFile(t, in.snapshot, []byte(s))
		return nil
	})
	assertAbsent(t, o, true, "gpu-7f3a", "gpu-7f3b", "acme-corp", "team-falcon", "444455556666", "ng-falcon", "hostname")
	s, err := fingerprint.ParseSnapshot(o.files["snapshot.yaml"])
	if err != nil {
		t.Fatal(err)
	}
	if got := subtype(s, "NodeTopology", "label")["nvidia.com/gpu.product"]; got != "NVIDIA-H100-80GB-HBM3|#1,#2" {
		t.Errorf("label nvidia.com/gpu.product = %v, want the product with two ordinals", got)
	}
	if got := subtype(s, "NodeTopology", "taint")["nvidia.com/gpu"]; got != "NoSchedule|present|#1,#2" {
		t.Errorf("taint nvidia.com/gpu = %v, want the GPU taint with two ordinals", got)
	}
}
