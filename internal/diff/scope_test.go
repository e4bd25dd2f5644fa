package diff

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// readRecorder is a MapTree that records which files were read.
type readRecorder struct {
	MapTree
	reads map[string]int
}

func (c *readRecorder) Read(ctx context.Context, p string) ([]byte, error) {
	c.reads[p]++
	return c.MapTree.Read(ctx, p)
}

func (c *readRecorder) Files(ctx context.Context) ([]string, error) { return c.MapTree.Files(ctx) }
func (c *readRecorder) Size(p string) (int64, bool)                 { return c.MapTree.Size(p) }

// scopeTree: two overlay directories with their own mixins and values
// files, plus 200 resolved recipes elsewhere; bundles for a few recipes.
func scopeTree() MapTree {
	t := MapTree{}
	ov := func(dir, name, base, extra string) {
		t[dir+"/"+name+".yaml"] = []byte(fmt.Sprintf("kind: RecipeMetadata\nmetadata:\n  name: %s\nspec:\n  base: %s\n%s", name, base, extra))
	}
	for _, root := range []string{"recipes", "other"} {
		dir := root + "/overlays"
		t[dir+"/base.yaml"] = []byte("kind: RecipeMetadata\nmetadata:\n  name: base\nspec:\n  componentRefs:\n    - name: gpu-operator\n      valuesFile: components/gpu-operator/values.yaml\n")
		ov(dir, "eks", "base", "")
		ov(dir, "eks-training", "eks", "  mixins: [os-ubuntu]\n")
		ov(dir, "h100-eks-training", "eks-training", "")
		t[root+"/mixins/os-ubuntu.yaml"] = []byte("kind: RecipeMixin\nmetadata:\n  name: os-ubuntu\nspec:\n  constraints:\n    - name: OS.release.ID\n      value: ubuntu\n")
		t[root+"/components/gpu-operator/values.yaml"] = []byte("driver:\n  version: 580\n")
	}
	for i := range 200 {
		n := fmt.Sprintf("resolved-%03d", i)
		t["recipes/resolved/"+n+".yaml"] = []byte("kind: RecipeResult\nmetadata:\n  name: " + n + "\nspec: {}\n")
	}
	for _, n := range []string{"h100-eks-training", "eks-training", "resolved-007"} {
		t[bundleOf(n)] = []byte(bundle)
	}
	return t
}

// A PR that changes recipe-glob files only reads what can select them: the
// changed overlay's directory, the overlay directories beside a changed
// mixin's mixins/, the directories a changed values file can be used from.
// Each plan equals the full index's (which reads every recipe file).
func TestPlanReadsOnlyWhatCanMatter(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		content  string
		wantRead []string // prefixes of every recipe-glob file read
		noRead   []string // prefixes never read
	}{
		{"one overlay changed", "recipes/overlays/eks.yaml", "kind: RecipeMetadata\nmetadata:\n  name: eks\nspec:\n  base: base\n  criteria:\n    service: eks\n",
			[]string{"recipes/overlays/", "recipes/mixins/"}, []string{"recipes/resolved/", "other/"}},
		{"mixin changed", "recipes/mixins/os-ubuntu.yaml", "kind: RecipeMixin\nmetadata:\n  name: os-ubuntu\nspec:\n  constraints:\n    - name: OS.release.ID\n      value: rhel\n",
			[]string{"recipes/overlays/", "recipes/mixins/"}, []string{"other/", "recipes/components/"}},
		{"values file changed", "recipes/components/gpu-operator/values.yaml", "driver:\n  version: 590\n",
			[]string{"recipes/overlays/"}, []string{"other/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head := scopeTree()
			head[tc.path] = []byte(tc.content)
			changes := []Change{mod(tc.path)}
			ct := &readRecorder{MapTree: head, reads: map[string]int{}}
			scoped, err := newPlan(context.Background(), changes, ct, Config{RecipeGlobs: []string{"recipes/**/*.yaml", "other/**/*.yaml"}}, false)
			if err != nil {
				t.Fatal(err)
			}
			full, err := newPlan(context.Background(), changes, head, Config{RecipeGlobs: []string{"recipes/**/*.yaml", "other/**/*.yaml"}}, true)
			if err != nil {
				t.Fatal(err)
			}
			a, b := exported(scoped), exported(full)
			a.Notes, b.Notes = nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("scoped plan:\n%s\nfull plan:\n%s", showPlan(a), showPlan(b))
			}
			if len(full.Items) == 0 {
				t.Fatal("the change affects nothing: the test proves nothing")
			}
			var read []string
			for p := range ct.reads {
				read = append(read, p)
			}
			sort.Strings(read)
			for _, p := range read {
				for _, bad := range tc.noRead {
					if strings.HasPrefix(p, bad) {
						t.Errorf("read %s, which cannot select the change (read: %v)", p, read)
					}
				}
			}
			for _, want := range tc.wantRead {
				found := false
				for _, p := range read {
					found = found || strings.HasPrefix(p, want)
				}
				if !found {
					t.Errorf("read nothing under %s (read: %v)", want, read)
				}
			}
			t.Logf("%s: %d of %d files read", tc.name, len(read), len(head))
		})
	}
}
