package diff

import (
	"encoding/json"
	"maps"
	"testing"
)

// memoTree is a MapTree that offers a DocMemo, counting what it answers.
type memoTree struct {
	MapTree
	docs     map[string][2]string
	recalled int
}

func (m *memoTree) RecalledDoc(key string) (string, string, bool) {
	d, ok := m.docs[key]
	if ok {
		m.recalled++
	}
	return d[0], d[1], ok
}

func (m *memoTree) RememberDoc(key, kind, name string) { m.docs[key] = [2]string{kind, name} }

// A DocMemo changes nothing in a plan: the sweep plan of AICR's recipe tree
// plus resolved recipes (good, misnamed, unreadable, overlays with bundles)
// is the same without a memo, with an empty one, and with the one the first
// run filled — which then answers for every resolved recipe.
func TestDocMemoSamePlan(t *testing.T) {
	tree, ex := upstream(t)
	tree["recipes/resolved/r-eks-training.yaml"] = []byte(ex["eks-training"])
	tree["recipes/resolved/r-aks-training.yaml"] = []byte(ex["aks-training"])
	tree["recipes/resolved/other-name.yaml"] = []byte("kind: RecipeResult\nmetadata:\n  name: not-other-name\n")
	tree["recipes/resolved/dup.yaml"] = []byte("kind: RecipeResult\nkind: RecipeResult\n")
	tree["recipes/resolved/lfs.yaml"] = []byte("version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" + "\nsize 1\n")
	for _, n := range []string{"r-eks-training", "r-aks-training", "other-name", "dup", "h100-eks-ubuntu-training"} {
		tree["recipes/evidence/"+n+"/evidence-bundle.tar.gz"] = []byte(bundle)
	}
	plan := func(head Lister) string {
		p, err := NewSweepPlan(t.Context(), head, Config{RecipeGlobs: []string{"recipes/**/*.yaml"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := plan(tree)
	m := &memoTree{MapTree: maps.Clone(tree), docs: map[string][2]string{}}
	if got := plan(m); got != want {
		t.Fatalf("with an empty memo:\n%s\nwant\n%s", got, want)
	}
	if m.recalled != 0 || len(m.docs) < 2 {
		t.Fatalf("first run: %d recalled, %d remembered", m.recalled, len(m.docs))
	}
	for _, d := range m.docs {
		if d[0] == kindMetadata || d[0] == kindMixin {
			t.Errorf("an overlay or mixin was remembered: %v", d)
		}
	}
	remembered := len(m.docs)
	if got := plan(m); got != want {
		t.Fatalf("with the memo filled:\n%s\nwant\n%s", got, want)
	}
	if m.recalled != remembered {
		t.Errorf("second run recalled %d of %d", m.recalled, remembered)
	}
}
