package bom

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

// privateBOM has private data in metadata, properties, tools, services,
// nested components and purls of private registries.
const privateBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
 "metadata":{"authors":[{"name":"Alice","email":"alice.planted@corp.example"}],
   "tools":{"components":[{"type":"application","name":"syft on ip-10-0-12-34.ec2.internal"}]},
   "properties":[{"name":"cluster","value":"arn:aws:eks:us-west-2:111122223333:cluster/planted"}]},
 "components":[
  {"type":"container","name":"trainer","version":"1.2.3","bom-ref":"planted-ref",
   "purl":"pkg:oci/trainer@sha256%3A0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef?repository_url=111122223333.dkr.ecr.us-west-2.amazonaws.com%2Fteam%2Ftrainer&arch=amd64",
   "properties":[{"name":"built-by","value":"bob.planted@corp.example"}],
   "components":[{"type":"library","name":"nested-planted"}]},
  {"type":"container","name":"private-docker","version":"2.0","purl":"pkg:docker/registry.corp.example%3A5000/team/private-docker@2.0"},
  {"type":"application","name":"gpu-operator","version":"v25.10.1","purl":"pkg:helm/gpu-operator@v25.10.1?repository_url=https://helm.ngc.nvidia.com/nvidia"}],
 "dependencies":[{"ref":"planted-ref"}]}`

func TestMinimizeAllowlist(t *testing.T) {
	out, rules, err := Minimize([]byte(privateBOM))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"alice", "bob.planted", "111122223333", "ip-10-0-12-34", "arn:aws", "planted-ref", "nested-planted",
		"registry.corp.example", "dkr.ecr", "3e671687", "metadata", "dependencies", "serialNumber"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("minimised BOM holds %q:\n%s", s, out)
		}
	}
	for _, s := range []string{
		`"purl": "pkg:oci/trainer@sha256%3A0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef?arch=amd64"`,
		`"purl": "pkg:docker/private-docker@2.0"`,
		`"purl": "pkg:helm/gpu-operator@v25.10.1?repository_url=https://helm.ngc.nvidia.com/nvidia"`,
	} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("minimised BOM lacks %s:\n%s", s, out)
		}
	}
	if want := []string{RuleAllowlist, RulePrivateRegistry}; !reflect.DeepEqual(rules, want) {
		t.Errorf("rules %v, want %v", rules, want)
	}
	sum, err := Summarize(out)
	if err != nil || sum.ComponentCount != 3 || sum.Digest != schema.SHA256Prefixed(out) {
		t.Errorf("Summarize: %+v, %v", sum, err)
	}
	again, _, err := Minimize(out)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("not idempotent: %v\n%s", err, again)
	}
}

func TestMinimizePrivateNamespaces(t *testing.T) {
	in := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
 {"type":"container","name":"c","version":"1","purl":"pkg:docker/gcr.io/acme-gcp-proj2/c@1"},
 {"type":"container","name":"n","version":"1","purl":"pkg:docker/docker.io/library/n@1"},
 {"type":"library","name":"git.acme-corp.example/ml/trainer","version":"v1.2.3","purl":"pkg:golang/git.acme-corp.example/ml/trainer@v1.2.3"},
 {"type":"library","name":"github.com/spf13/cobra","version":"v1.8.0","purl":"pkg:golang/github.com/spf13/cobra@v1.8.0"},
 {"type":"library","name":"commons-lang3","version":"3.0","purl":"pkg:maven/org.apache.commons/commons-lang3@3.0"}]}`
	out, rules, err := Minimize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"acme-gcp-proj2", "gcr.io", "acme-corp", "ml/"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("minimised BOM holds %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"pkg:docker/c@1"`, `"pkg:docker/docker.io/library/n@1"`, `"name": "trainer"`, `"pkg:golang/trainer@v1.2.3"`,
		`"pkg:golang/github.com/spf13/cobra@v1.8.0"`, `"name": "github.com/spf13/cobra"`, `"pkg:maven/org.apache.commons/commons-lang3@3.0"`} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("minimised BOM lacks %s:\n%s", s, out)
		}
	}
	if want := []string{RuleAllowlist, RulePrivateHost, RulePrivateRegistry}; !reflect.DeepEqual(rules, want) {
		t.Errorf("rules %v, want %v", rules, want)
	}
}
