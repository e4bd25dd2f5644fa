// Package diff decides what a pull request asks the verifier to check, and
// cross-checks a recipe at the PR head against the recipe inside a bundle.
//
// # Planning
//
// [NewPlan] turns the PR's changed files into a [Plan]: which recipes get
// their evidence bundle verified ([Plan.Items]), which changed recipes have no
// bundle ([Plan.Missing]), which bundles have no recipe ([Plan.Orphans]),
// what was deleted ([Plan.Removed]), which affected recipes have no evidence
// ([Plan.Uncovered]), and what was ignored. It is pure: all it knows about the
// repository comes from the changed-file list and a [Lister] over the PR head
// tree, which must also be an [Enumerator] when the PR touches recipes or
// evidence.
//
// Evidence lives at <EvidenceDir>/<recipe-name>/<BundleName>. A recipe's name
// is its metadata.name (kind RecipeMetadata, an AICR overlay, which AICR
// indexes by that name) or, for any other recipe (kind RecipeResult, a
// resolved recipe), its file name without .yaml; a resolved recipe whose
// metadata.name is not its file name is unreadable, never named by either.
// This one rule names recipes everywhere, and [Plan.CheckBundleRecipe] holds
// every verified bundle to it: the bundle names the item's recipe and lies in
// that recipe's folder.
//
// AICR's repository layout is read beside it: pointer files at
// <EvidenceDir>/<recipe-name>/<source>/sha256-<hex>.yaml (and the flat
// <EvidenceDir>/<recipe-name>.yaml of an unsigned pending pointer) are a
// recipe's evidence too, planned like bundles (Item.PointerPath): a changed
// pointer is verified against the recipe of its folder at the PR head; a
// changed recipe against the pointers the PR adds for it, or, when it adds
// none and has no bundle, against every pointer of it at the head; it is
// Missing only with neither a bundle nor a pointer. Pointers are add-only: a
// modified or moved pointer's item carries Item.AddOnly, a deleted one is in
// [Plan.RemovedPointers].
//
// When the PR changes recipe-glob files only, the planner reads only the
// directories AICR resolves them from (see indexScope); when the changed
// files alone decide the plan (resolved recipes changed
// with their own bundles, nothing removed), the planner does not list and
// read the head tree; that shortcut gives the plan the full index gives
// (tested differentially over AICR's recipe tree).
//
// The rules, after upstream AICR's PR workflow (R1-R4):
//
//   - R1: a changed recipe is verified against its bundle at the PR head; a
//     changed recipe without a bundle is Missing.
//   - R2: when an overlay that others inherit from (spec.base, or the
//     implicit root "base") or that applies to them by criteria (a wildcard
//     overlay such as monitoring-hpa) changes, every recipe at the head that
//     applies it and has a bundle is verified ("inherits from <overlay>").
//     An overlay the PR modifies or removes is also read at the base commit
//     (a [BaseReader]): every recipe it applied to by its criteria before
//     the PR is verified too, so deleting an overlay or narrowing its
//     criteria cannot silently change recipes whose evidence included it.
//     R3 works the same way for the files and mixins an overlay uses
//     (componentRefs valuesFile, manifestFiles, preManifestFiles; spec.mixins).
//     A bundle names such files by path only, so a recipe whose files the PR
//     changes without changing its bundle fails the cross-check
//     ([Plan.ChangedInputs]): its evidence predates the change.
//     Upstream's R5 (component registry entries) is not followed: a change to
//     registry.yaml is noted.
//   - R4: a bundle that changes without its recipe is still verified, against
//     the recipe at the PR head, so an evidence-only PR cannot pass vacuously
//     (upstream pitfall #6). A bundle whose directory names no recipe is an
//     orphan until [Plan.Resolve] finds the recipe the bundle itself names.
//
// # Cross-check
//
// [CheckRecipe] (or [Plan.CheckRecipe], which reuses what planning read)
// compares the recipe at the PR head with the canonical recipe inside a
// bundle: exactly (canonical digest, bundle format v1 §3) for a resolved
// recipe, or, for an overlay, by resolving its inheritance chain in the PR
// head the way AICR does and checking every value the overlays set.
// Differences are table rows: a path, what the PR says, what the bundle says.
package diff
