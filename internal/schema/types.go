package schema

// Bundle file paths (format v1 §1). Every path is relative to the archive root.
const (
	FileRecipe      = "recipe.yaml"
	FileSnapshot    = "snapshot.yaml"
	FileBOM         = "bom.cdx.json"
	FileManifest    = "manifest.json"
	FileStatement   = "statement.intoto.json"
	FileAttestation = "attestation.intoto.jsonl"
	// CTRFDir is the folder that holds one CTRF report per phase: ctrf/<phase>.json.
	CTRFDir = "ctrf"
)

// Validation phases, in the order they run (format v1 §1).
const (
	PhaseDeployment  = "deployment"
	PhasePerformance = "performance"
	PhaseConformance = "conformance"
)

// Phases lists every phase a bundle may carry, in run order.
func Phases() []string {
	return []string{PhaseDeployment, PhasePerformance, PhaseConformance}
}

// IsPhase reports whether name is one of the phases of format v1.
func IsPhase(name string) bool {
	for _, p := range Phases() {
		if p == name {
			return true
		}
	}
	return false
}

// CTRFPath returns the bundle path of the CTRF report of a phase.
func CTRFPath(phase string) string { return CTRFDir + "/" + phase + ".json" }

// Predicate is the recipe-evidence v1 predicate carried in the signed Statement (format v1 §5).
// Fields unknown to this reader are ignored, as in-toto consumers do.
type Predicate struct {
	SchemaVersion           string                 `json:"schemaVersion"`
	AttestedAt              string                 `json:"attestedAt"`
	AICRVersion             string                 `json:"aicrVersion"`
	ValidatorCatalogVersion string                 `json:"validatorCatalogVersion"`
	ValidatorImages         []ValidatorImage       `json:"validatorImages"`
	Recipe                  RecipeRef              `json:"recipe"`
	Fingerprint             Fingerprint            `json:"fingerprint"`
	CriteriaMatch           CriteriaMatch          `json:"criteriaMatch"`
	Phases                  map[string]PhaseResult `json:"phases"`
	BOM                     BOMSummary             `json:"bom"`
	Manifest                ManifestRef            `json:"manifest"`
	Redaction               *Redaction             `json:"redaction,omitempty"`
	// AICRCommit and Profile are written by AICR's tool only (§11): the
	// commit of the emitting binary, and the profile of a profiled recipe
	// (required by predicate type v2).
	AICRCommit string   `json:"aicrCommit,omitempty"`
	Profile    *Profile `json:"profile,omitempty"`
}

// Profile is AICR's profile block: the selected profile ("name=value") and
// the identity of the policy descriptor it resolved to (§11).
type Profile struct {
	Selection                string `json:"selection"`
	Advertiser               string `json:"advertiser,omitempty"`
	PolicyDescriptorIdentity string `json:"policyDescriptorIdentity"`
}

// ValidatorImage is one validator container image that produced test results.
type ValidatorImage struct {
	Image  string `json:"image"`
	Digest string `json:"digest"`
}

// RecipeRef names the recipe the evidence is for: its name and canonical digest (bare hex, §3).
type RecipeRef struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// Dimension is one fingerprint dimension with a string value and where it came from.
type Dimension struct {
	Value  string `json:"value"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// OSDimension is the operating-system dimension: a normalised OS id plus its version.
type OSDimension struct {
	Value   string `json:"value"`
	Version string `json:"version,omitempty"`
	Source  string `json:"source,omitempty"`
	Note    string `json:"note,omitempty"`
}

// CountDimension is a fingerprint dimension whose value is a count.
type CountDimension struct {
	Value  int    `json:"value"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Fingerprint describes the cluster the evidence was captured on. A dimension the
// snapshot does not reveal is absent.
type Fingerprint struct {
	Service      *Dimension      `json:"service,omitempty"`
	Accelerator  *Dimension      `json:"accelerator,omitempty"`
	GPUModel     *Dimension      `json:"gpuModel,omitempty"`
	OS           *OSDimension    `json:"os,omitempty"`
	K8sVersion   *Dimension      `json:"k8sVersion,omitempty"`
	Region       *Dimension      `json:"region,omitempty"`
	NodeCount    *CountDimension `json:"nodeCount,omitempty"`
	GPUNodeCount *CountDimension `json:"gpuNodeCount,omitempty"`
}

// Match outcomes of one criteria dimension.
const (
	MatchMatched      = "matched"
	MatchMismatched   = "mismatched"
	MatchUnknown      = "unknown"
	MatchNotInferable = "not-inferable"
)

// CriteriaMatch is the comparison of the recipe's criteria with the fingerprint.
type CriteriaMatch struct {
	Matched      bool             `json:"matched"`
	PerDimension DimensionMatches `json:"perDimension"`
}

// DimensionMatch is the outcome for one criteria dimension.
type DimensionMatch struct {
	Dimension           string `json:"dimension"`
	RecipeRequires      string `json:"recipeRequires,omitempty"`
	FingerprintProvides string `json:"fingerprintProvides,omitempty"`
	Match               string `json:"match"`
}

// PhaseResult holds the test counts of one phase as in its CTRF summary, and the
// digest of the CTRF file they came from.
type PhaseResult struct {
	Passed     int    `json:"passed"`
	Failed     int    `json:"failed"`
	Skipped    int    `json:"skipped"`
	Pending    int    `json:"pending"`
	Other      int    `json:"other"`
	CTRFDigest string `json:"ctrfDigest"`
}

// BOMSummary binds the CycloneDX bill of materials.
type BOMSummary struct {
	Format         string `json:"format"`
	Version        string `json:"version"`
	Digest         string `json:"digest"`
	ComponentCount int    `json:"componentCount"`
	// ImageCount is AICR's name for the number of BOM components (§11); a
	// format-v1 predicate has ComponentCount instead.
	ImageCount *int `json:"imageCount,omitempty"`
}

// ManifestRef binds manifest.json: the digest of its exact bytes and its number of entries.
type ManifestRef struct {
	Digest    string `json:"digest"`
	FileCount int    `json:"fileCount"`
}

// Redaction records how the emitter minimised the snapshot and CTRF reports.
type Redaction struct {
	Policy  string   `json:"policy"`
	Version string   `json:"version"`
	Applied []string `json:"applied"`
}

// BOM format values written in the predicate.
const (
	BOMFormat      = "CycloneDX"
	BOMSpecVersion = "1.6"
)
