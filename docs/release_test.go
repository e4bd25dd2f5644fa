package docs_test

// Checks of the release workflow (.github/workflows/release.yml) that actionlint cannot make:
// least privilege per job, the tag trigger, and the rewrite of action.yml's image line, which
// must find the line action.yml on main really has (docs/release.md).

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const releaseWorkflow = ".github/workflows/release.yml"

func TestReleaseWorkflowPermissions(t *testing.T) {
	w := loadWorkflow(t, releaseWorkflow)
	if got := w.events(); !slices.Equal(got, []string{"push"}) {
		t.Errorf("release.yml triggers on %v, want [push] (of version tags)", got)
	}
	if top := permissions(t, w.Permissions); top == nil || len(top) != 0 {
		t.Errorf("release.yml top-level permissions %v, want {} (every job grants its own)", top)
	}
	// What each job may hold; a job not listed holds nothing but contents: read.
	allowed := map[string]map[string]string{
		"image":   {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write"},
		"publish": {"contents": "write", "id-token": "write", "attestations": "write"},
	}
	for _, name := range slices.Sorted(maps.Keys(w.Jobs)) {
		job := w.Jobs[name]
		got := permissions(t, job.Permissions)
		if got == nil {
			t.Errorf("release.yml job %s declares no permissions", name)
			continue
		}
		want, ok := allowed[name]
		if !ok {
			want = map[string]string{"contents": "read"}
		}
		if !maps.Equal(got, want) {
			t.Errorf("release.yml job %s permissions %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"image", "verifier", "emit", "publish"} {
		if w.Jobs[name] == nil {
			t.Errorf("release.yml has no job %s", name)
		}
	}
}

func TestReleaseWorkflowSignsAndAttests(t *testing.T) {
	w := loadWorkflow(t, releaseWorkflow)
	for _, job := range []string{"image", "publish"} {
		j := w.Jobs[job]
		if j == nil {
			t.Fatalf("release.yml has no job %s", job)
		}
		var attest, cosign, signs bool
		for _, s := range j.Steps {
			attest = attest || strings.HasPrefix(s.Uses, "actions/attest-build-provenance@")
			cosign = cosign || strings.HasPrefix(s.Uses, "sigstore/cosign-installer@")
			signs = signs || strings.Contains(s.Run, "cosign sign")
		}
		if !attest || !cosign || !signs {
			t.Errorf("release.yml job %s: attest-build-provenance %v, cosign installed %v, cosign sign %v; want all", job, attest, cosign, signs)
		}
	}
}

// The release job rewrites exactly the line "  image: Dockerfile" of action.yml; main must
// have that line once, and the job must look for that line.
func TestReleaseRewritesActionImage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	const line = "  image: Dockerfile"
	n := 0
	for l := range strings.SplitSeq(string(b), "\n") {
		if l == line {
			n++
		}
	}
	if n != 1 {
		t.Errorf("action.yml has the line %q %d times, want once (the release rewrites it)", line, n)
	}
	if !strings.Contains(string(b), "docker://ghcr.io/aicr/verify-evidence:vX.Y.Z@sha256:") {
		t.Errorf("action.yml does not document the image the release writes")
	}
	w := loadWorkflow(t, releaseWorkflow)
	var rewrite string
	for _, s := range w.Jobs["publish"].Steps {
		if strings.Contains(s.Run, "action.yml") && strings.Contains(s.Run, "sed -i") {
			rewrite = s.Run
		}
	}
	if !strings.Contains(rewrite, `s|^  image: Dockerfile\$|  image: $image|`) ||
		!strings.Contains(rewrite, `image="docker://$IMAGE_REPO:$VERSION@$DIGEST"`) {
		t.Errorf("release.yml publish: no rewrite of %q to docker://$IMAGE_REPO:$VERSION@$DIGEST found", line)
	}
}
