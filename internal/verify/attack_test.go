package verify_test

// Attacks on Verifier.Verify by a dishonest emitter that signs whatever it
// likes with the trusted identity (a community contributor's workflow), and
// by careless inputs. Each test asserts the CORRECT behaviour: a test that
// fails shows an attack that works.

import (
	"archive/tar"
	"bytes"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// attackHonest builds and signs a bundle from the h100 example after editing
// its raw inputs: the emitter computes fingerprint and criteria match honestly
// from what it ships, so every integrity check holds.
func attackHonest(t *testing.T, fx *tamperFixture, editRaw func(r *tamperRaw), editIn func(in *assemble.Inputs)) map[string][]byte {
	t.Helper()
	in := fx.inputs(t, func(_ *tamperFixture, r *tamperRaw) {
		if editRaw != nil {
			editRaw(r)
		}
	}, editIn)
	return fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
}

func attackVerify(t *testing.T, fx *tamperFixture, cfg func(c *verify.Config), bundle []byte) *verify.Result {
	t.Helper()
	v := fx.verifier
	if cfg != nil {
		c := fx.config()
		cfg(&c)
		var err error
		if v, err = verify.New(c); err != nil {
			t.Fatal(err)
		}
	}
	return v.Verify(t.Context(), bytes.NewReader(bundle), verify.Options{Name: t.Name()})
}

func attackReplace(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%q not found", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// Attack: the snapshot's GPU.hardware.model says "NVIDIA H100 80GB HBM3" while
// the GPU feature discovery labels of the same snapshot (NodeTopology.summary.
// gpu-products, which a reviewer or AICR's own node selection reads) say the
// cluster's GPUs are H800s. The fingerprint reads the model only and ignores
// the contradicting labels, so an h100 recipe "passes" on an H800 cluster.
// Correct: a snapshot whose two GPU readings name different SKUs does not show
// the recipe's accelerator (not passed: failing, like a multi-gpu cluster).
// (Spec §6 says the labels are read only when the model is absent, so this is
// a design gap rather than a code bug.)
func TestAttackGPUModelContradictsLabels(t *testing.T) {
	fx := tamperSetup(t)
	files := attackHonest(t, fx, func(r *tamperRaw) {
		r.snapshot = attackReplace(t, r.snapshot, "gpu-products: NVIDIA-H100-80GB-HBM3", "gpu-products: NVIDIA-H800")
	}, nil)
	res := attackVerify(t, fx, nil, tamperPack(t, files))
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("verdict passed for an h100 recipe whose snapshot labels say H800:\n%s", tamperDescribe(res))
	}
}

// Attack: an h100 recipe "passes" on a cluster whose snapshot reports no GPU
// node at all (gpu-node-count: 0): the GPU model string alone satisfies the
// accelerator criterion, so the evidence shows no test ran on an H100.
// Correct: a fingerprint with gpuNodeCount 0 does not show the accelerator
// (not passed).
func TestAttackZeroGPUNodes(t *testing.T) {
	fx := tamperSetup(t)
	files := attackHonest(t, fx, func(r *tamperRaw) {
		r.snapshot = attackReplace(t, r.snapshot, "gpu-node-count: 2", "gpu-node-count: 0")
	}, nil)
	res := attackVerify(t, fx, nil, tamperPack(t, files))
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("verdict passed for an h100 recipe on a cluster with 0 GPU nodes:\n%s", tamperDescribe(res))
	}
}

// Attack (blocked): a CTRF test carries "status":"passed" and
// "st\u0061tus":"failed". jq and JavaScript keep the last ("failed"); a reader
// that decodes escapes after matching keys might keep "passed". Correct:
// invalid (ambiguous JSON), from the ctrf check.
func TestAttackCTRFEscapedDuplicateStatus(t *testing.T) {
	fx := tamperSetup(t)
	files := tamperClone(fx.base)
	files[schema.CTRFPath("deployment")] = attackReplace(t, files[schema.CTRFPath("deployment")],
		`"status": "passed"`, `"status": "passed", "st\u0061tus": "failed"`)
	fx.reseal(t, files, nil)
	res := attackVerify(t, fx, nil, tamperPack(t, files))
	tamperAssert(t, res, verify.VerdictInvalid, verify.CheckCTRF, "")
}

// Attack (blocked): the U+017F (long s) fold of "status" as a second key.
func TestAttackCTRFFoldedDuplicateStatus(t *testing.T) {
	fx := tamperSetup(t)
	files := tamperClone(fx.base)
	files[schema.CTRFPath("deployment")] = attackReplace(t, files[schema.CTRFPath("deployment")],
		`"status": "passed"`, `"status": "passed", "ſtatus": "failed"`)
	fx.reseal(t, files, nil)
	res := attackVerify(t, fx, nil, tamperPack(t, files))
	tamperAssert(t, res, verify.VerdictInvalid, verify.CheckCTRF, "")
}

// Attack (blocked): with full coverage required, a declared check
// "gpu-operator-ready" is "covered" by a test whose name equals it only after
// normalisation (trailing space, zero-width space, Cyrillic "о"). Correct:
// failing (the declared check has no test of its exact name).
func TestAttackCoverageByLookalikeTestName(t *testing.T) {
	fx := tamperSetup(t)
	for _, name := range []string{"gpu-operator-ready ", "gpu-operator-\u200bready", "gpu-\u043eperator-ready", "GPU-Operator-Ready"} {
		files := attackHonest(t, fx, nil, func(in *assemble.Inputs) {
			in.CTRF["deployment"] = attackReplace(t, in.CTRF["deployment"], `"name": "gpu-operator-ready"`, `"name": "`+name+`"`)
		})
		res := attackVerify(t, fx, func(c *verify.Config) { c.RequireFullCoverage = true }, tamperPack(t, files))
		if res.Verdict != verify.VerdictFailing {
			t.Errorf("test name %q: verdict %s, want failing (declared check not covered)\n%s", name, res.Verdict, tamperDescribe(res))
		}
	}
}

// Attack (blocked): a tar entry "./ctrf/deployment.json" next to
// "ctrf/deployment.json" with a failing report: tar and a case-insensitive
// unpack would overwrite one with the other. Correct: invalid at the archive.
func TestAttackTarDotSlashDuplicate(t *testing.T) {
	fx := tamperSetup(t)
	failing := tamperSetCTRF(t, fx.base[schema.CTRFPath("deployment")], 0, schema.CTRFFailed, true)
	b := tamperTarWith(t, fx.base, &tar.Header{Typeflag: tar.TypeReg, Name: "./" + schema.CTRFPath("deployment"), Size: int64(len(failing)), Mode: 0o644, ModTime: tamperAttestedAt}, failing)
	res := attackVerify(t, fx, nil, b)
	tamperAssert(t, res, verify.VerdictInvalid, verify.CheckArchive, "")
}

// Attack (blocked): a PAX header whose path record renames an entry to a
// case variant of a reserved name ("Ctrf/deployment.json") holding a failing
// report beside the real one. Correct: invalid at the archive or manifest.
func TestAttackPAXCaseVariantReservedDir(t *testing.T) {
	fx := tamperSetup(t)
	failing := tamperSetCTRF(t, fx.base[schema.CTRFPath("deployment")], 0, schema.CTRFFailed, true)
	h := &tar.Header{Typeflag: tar.TypeReg, Name: "x", Size: int64(len(failing)), Mode: 0o644, ModTime: tamperAttestedAt,
		Format: tar.FormatPAX, PAXRecords: map[string]string{"path": "Ctrf/deployment.json"}}
	res := attackVerify(t, fx, nil, tamperTarWith(t, fx.base, h, failing))
	if res.Verdict != verify.VerdictInvalid {
		t.Errorf("verdict %s, want invalid\n%s", res.Verdict, tamperDescribe(res))
	}
}

// Attack (blocked): stale evidence re-signed today: attestedAt two years
// before the signing time (the emitter back-dates nothing, it just reuses an
// old run). Correct: failing under the one-year maximum age.
func TestAttackStaleEvidenceSignedFresh(t *testing.T) {
	fx := tamperSetup(t)
	in := fx.inputs(t, nil, func(in *assemble.Inputs) { in.AttestedAt = tamperSignedAt.Add(-2 * 365 * 24 * time.Hour) })
	files := fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
	res := attackVerify(t, fx, nil, tamperPack(t, files))
	tamperAssert(t, res, verify.VerdictFailing, verify.CheckFreshness, "older than the maximum age")
}

// Attack (blocked): recipe declares a phase that the bundle has no report for,
// while every shipped phase passes. Correct: failing.
func TestAttackDeclaredPhaseWithoutReport(t *testing.T) {
	fx := tamperSetup(t)
	files := attackHonest(t, fx, nil, func(in *assemble.Inputs) { delete(in.CTRF, "conformance") })
	res := attackVerify(t, fx, nil, tamperPack(t, files))
	tamperAssert(t, res, verify.VerdictFailing, verify.CheckCTRF, "conformance")
}
