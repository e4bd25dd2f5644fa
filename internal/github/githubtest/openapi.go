package githubtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Description is GitHub's REST API description (api.github.com, from the
// pinned @octokit/openapi npm package) pruned to the endpoints the fake
// serves, ready to validate exchanges with kin-openapi.
type Description struct {
	// Version is the @octokit/openapi version it was pruned from.
	Version string
	// File names the pruned description and what it was pruned from.
	File string

	doc    *openapi3.T
	router routers.Router
}

// PrunedDescriptionFile is the pruned description, committed: the operations of [Endpoints]
// and the components they use, from the pinned @octokit/openapi (385 MB installed). It is
// stamped with its provenance ([Provenance]); `bash scripts/regen-openapi.sh` regenerates it
// (after an endpoint is added to the fake, or the pin is bumped), and
// TestPrunedDescriptionIsCurrent checks it against the package when the package is installed.
const PrunedDescriptionFile = "internal/github/githubtest/npm/api.github.com.pruned.json"

//go:embed npm/api.github.com.pruned.json
var prunedDescription []byte

// provenanceKey is the root extension of the pruned description that holds its [Provenance].
const provenanceKey = "x-verify-evidence-pruned-from"

// Provenance says what a pruned description was made from and by what.
type Provenance struct {
	Package   string   `json:"package"`   // the npm package, @octokit/openapi
	Version   string   `json:"version"`   // its version (pinned in npm/package.json)
	File      string   `json:"file"`      // the description inside the package
	SHA256    string   `json:"sha256"`    // of that file
	Endpoints []string `json:"endpoints"` // the operations kept, sorted
	Generator string   `json:"generator"` // the command that regenerates it
}

// The description is loaded once per process.
var (
	descOnce sync.Once
	descVal  *Description
	descErr  error
)

// LoadDescription returns the pruned description (embedded; no npm package needed), loading it
// on first use. It fails when the description was pruned for other endpoints than the fake
// serves, or from another version than the pinned one: regenerate it then.
func LoadDescription() (*Description, error) {
	descOnce.Do(func() { descVal, descErr = loadDescription(prunedDescription) })
	return descVal, descErr
}

// EmbeddedProvenance returns the provenance stamp of the committed pruned description.
func EmbeddedProvenance() (Provenance, error) {
	return readProvenance(prunedDescription)
}

func readProvenance(pruned []byte) (Provenance, error) {
	var top map[string]json.RawMessage
	var p Provenance
	if err := json.Unmarshal(pruned, &top); err != nil {
		return p, fmt.Errorf("githubtest: %s: %w", PrunedDescriptionFile, err)
	}
	raw, ok := top[provenanceKey]
	if !ok {
		return p, fmt.Errorf("githubtest: %s has no %s stamp", PrunedDescriptionFile, provenanceKey)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return p, fmt.Errorf("githubtest: %s: %s: %w", PrunedDescriptionFile, provenanceKey, err)
	}
	return p, nil
}

func loadDescription(pruned []byte) (*Description, error) {
	prov, err := readProvenance(pruned)
	if err != nil {
		return nil, err
	}
	want := slices.Sorted(slices.Values(Endpoints()))
	if !slices.Equal(prov.Endpoints, want) {
		return nil, fmt.Errorf("githubtest: %s was pruned for the endpoints %q, but the fake serves %q: regenerate it with `bash scripts/regen-openapi.sh`",
			PrunedDescriptionFile, prov.Endpoints, want)
	}
	if pin := PinnedVersion(openAPIPackage); prov.Package != openAPIPackage || prov.Version != pin {
		return nil, fmt.Errorf("githubtest: %s was pruned from %s@%s, but %s@%s is pinned: regenerate it with `bash scripts/regen-openapi.sh`",
			PrunedDescriptionFile, prov.Package, prov.Version, openAPIPackage, pin)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(pruned)
	if err != nil {
		return nil, fmt.Errorf("githubtest: loading %s: %w", PrunedDescriptionFile, err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("githubtest: %s is not a valid OpenAPI document: %w", PrunedDescriptionFile, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("githubtest: routing %s: %w", PrunedDescriptionFile, err)
	}
	file := fmt.Sprintf("%s (pruned from %s@%s %s)", PrunedDescriptionFile, prov.Package, prov.Version, prov.File)
	return &Description{Version: prov.Version, File: file, doc: doc, router: router}, nil
}

// PruneInstalledDescription prunes the installed, pinned @octokit/openapi description to
// [Endpoints] and stamps it: the bytes of [PrunedDescriptionFile]. The error wraps
// [ErrFixturesMissing] when the package is not installed at the pinned version.
func PruneInstalledDescription() ([]byte, error) {
	file, version, err := packageFile(openAPIPackage, openAPIFile)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("githubtest: reading %s: %w", file, err)
	}
	sum := sha256.Sum256(raw)
	prov := Provenance{
		Package: openAPIPackage, Version: version, File: openAPIFile, SHA256: hex.EncodeToString(sum[:]),
		Endpoints: slices.Sorted(slices.Values(Endpoints())), Generator: "bash scripts/regen-openapi.sh",
	}
	out, err := pruneDescription(raw, prov.Endpoints, prov)
	if err != nil {
		return nil, fmt.Errorf("githubtest: pruning %s: %w", file, err)
	}
	return out, nil
}

// pruneDescription keeps, of the OpenAPI document raw, the operations named
// by endpoints and the components they reference (transitively), without
// the examples. The result is a much smaller, self-contained document.
func pruneDescription(raw []byte, endpoints []string, prov Provenance) ([]byte, error) {
	// One pass over the 13 MB: the operations and components stay raw until
	// needed.
	var top struct {
		OpenAPI    json.RawMessage                       `json:"openapi"`
		Info       json.RawMessage                       `json:"info"`
		Servers    json.RawMessage                       `json:"servers"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	paths, components := top.Paths, top.Components

	keptPaths := map[string]map[string]any{}
	need := map[string]bool{} // "#/components/kind/name"
	var queue []string
	collect := func(v any) {
		walkRefs(v, func(ref string) {
			if !need[ref] {
				need[ref] = true
				queue = append(queue, ref)
			}
		})
	}
	for _, e := range endpoints {
		method, path := splitEndpoint(e)
		item, ok := paths[path]
		if !ok {
			return nil, fmt.Errorf("no path %s", path)
		}
		opRaw, ok := item[strings.ToLower(method)]
		if !ok {
			return nil, fmt.Errorf("no operation %s", e)
		}
		op, err := decodeJSON(opRaw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
		dropExamples(op)
		collect(op)
		if keptPaths[path] == nil {
			keptPaths[path] = map[string]any{}
			if p, ok := item["parameters"]; ok {
				params, err := decodeJSON(p)
				if err != nil {
					return nil, fmt.Errorf("%s parameters: %w", path, err)
				}
				collect(params)
				keptPaths[path]["parameters"] = params
			}
		}
		keptPaths[path][strings.ToLower(method)] = op
	}

	keptComponents := map[string]map[string]any{}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		kind, name, ok := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
		if !ok || !strings.HasPrefix(ref, "#/components/") || strings.Contains(name, "/") {
			return nil, fmt.Errorf("unsupported reference %q", ref)
		}
		name = unescapePointer(name)
		c, ok := components[kind][name]
		if !ok {
			return nil, fmt.Errorf("dangling reference %q", ref)
		}
		v, err := decodeJSON(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		dropExamples(v)
		collect(v)
		if keptComponents[kind] == nil {
			keptComponents[kind] = map[string]any{}
		}
		keptComponents[kind][name] = v
	}

	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{
		"openapi":     top.OpenAPI,
		"info":        top.Info,
		"servers":     top.Servers,
		"paths":       keptPaths,
		"components":  keptComponents,
		provenanceKey: prov,
	}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// decodeJSON decodes raw keeping numbers exact.
func decodeJSON(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// walkRefs calls f with every "$ref" string in v.
func walkRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["$ref"].(string); ok {
			f(r)
		}
		for _, c := range v {
			walkRefs(c, f)
		}
	case []any:
		for _, c := range v {
			walkRefs(c, f)
		}
	}
}

// dropExamples removes the "examples" of media types and parameters (they
// reference large example components and do not take part in validation).
// Schema properties that happen to be named "examples" are left alone.
func dropExamples(v any) {
	switch v := v.(type) {
	case map[string]any:
		if content, ok := v["content"].(map[string]any); ok {
			for _, mt := range content {
				if m, ok := mt.(map[string]any); ok {
					delete(m, "examples")
				}
			}
		}
		if _, isParam := v["in"].(string); isParam {
			delete(v, "examples")
		}
		for k, c := range v {
			if k == "properties" {
				for _, p := range c.(map[string]any) {
					dropExamples(p)
				}
				continue
			}
			dropExamples(c)
		}
	case []any:
		for _, c := range v {
			dropExamples(c)
		}
	}
}

// unescapePointer undoes JSON pointer escaping of one reference token.
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// Exchange is one request and its response, as the fake saw them.
type Exchange struct {
	// Request is the request as received; its URL path may carry the API
	// prefix (e.g. /api/v3), which Prefix names.
	Request *http.Request
	Prefix  string
	// RequestBody is the request's body.
	RequestBody []byte
	// Status, Header and Body are the response.
	Status int
	Header http.Header
	Body   []byte
}

// Validate checks the exchange against the description: the request
// (path, query parameters, body) and the response (status, headers, body).
// It returns one error per problem found, each naming the operation.
//
// Responses are checked strictly when successful: the status must be
// documented and the body must match its schema. Error statuses the
// description omits (GitHub documents few of the 403, 429 and 5xx it
// sends) are accepted; documented ones are checked. Raw media types
// (Accept: application/vnd.github.raw) are not described, so only the
// status and headers of such responses are checked.
func (d *Description) Validate(x *Exchange) []error {
	ctx := context.Background()
	req, err := d.canonicalRequest(x)
	if err != nil {
		return []error{err}
	}
	route, pathParams, err := d.router.FindRoute(req)
	if err != nil {
		return []error{fmt.Errorf("%s %s: not an operation of GitHub's REST API description: %w", x.Request.Method, req.URL.Path, err)}
	}
	name := route.Operation.OperationID
	if name == "" {
		name = route.Method + " " + route.Path
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		MultiError:          true,
		SkipSettingDefaults: true,
	}
	opts.WithCustomSchemaErrorFunc(schemaError)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	var errs []error
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		errs = append(errs, fmt.Errorf("request %s (%s): %s", name, describe(req), flatten(err)))
	}

	respOpts := *opts
	respOpts.IncludeResponseStatus = x.Status < 400
	if !isJSON(x.Header.Get("Content-Type")) {
		respOpts.ExcludeResponseBody = true
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.Status,
		Header:                 x.Header,
		Body:                   io.NopCloser(bytes.NewReader(x.Body)),
		Options:                &respOpts,
	}
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		errs = append(errs, fmt.Errorf("response %d to %s (%s): %s", x.Status, name, describe(req), flatten(err)))
	}
	return errs
}

// canonicalRequest rebuilds the exchange's request as if sent to the
// description's server (https://api.github.com), without the API prefix.
func (d *Description) canonicalRequest(x *Exchange) (*http.Request, error) {
	server := "https://api.github.com"
	if len(d.doc.Servers) > 0 {
		server = strings.TrimSuffix(d.doc.Servers[0].URL, "/")
	}
	p := x.Request.URL.EscapedPath()
	if x.Prefix != "" {
		if !strings.HasPrefix(p, x.Prefix+"/") {
			return nil, fmt.Errorf("%s %s: outside the API prefix %s", x.Request.Method, p, x.Prefix)
		}
		p = strings.TrimPrefix(p, x.Prefix)
	}
	p = escapeMultiSegment(p)
	u, err := url.Parse(server + p)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", x.Request.Method, p, err)
	}
	u.RawQuery = x.Request.URL.RawQuery
	req, err := http.NewRequestWithContext(context.Background(), x.Request.Method, u.String(), bytes.NewReader(x.RequestBody))
	if err != nil {
		return nil, err
	}
	req.Header = x.Request.Header.Clone()
	if len(x.RequestBody) == 0 {
		req.Body = http.NoBody
	}
	return req, nil
}

// schemaError renders a schema violation briefly: where, why, and the
// offending value (cut), without the schema itself.
func schemaError(e *openapi3.SchemaError) string {
	if e.Reason == "" {
		return "" // kin-openapi's own message
	}
	v, _ := json.Marshal(e.Value)
	if len(v) > 80 {
		v = append(v[:77:77], "..."...)
	}
	return fmt.Sprintf("at /%s: %s (value %s)", strings.Join(e.JSONPointer(), "/"), e.Reason, v)
}

// describe names a request briefly for messages.
func describe(r *http.Request) string {
	s := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		s += "?" + r.URL.RawQuery
	}
	return s
}

// isJSON reports whether a Content-Type is JSON.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// flatten renders a (multi-)error from kin-openapi on one line, problems
// sorted.
func flatten(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var parts []string
		for _, e := range me {
			parts = append(parts, flatten(e))
		}
		sort.Strings(parts)
		return strings.Join(parts, "; ")
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// escapeMultiSegment escapes the slashes of a trailing x-multi-segment
// parameter (a ref such as heads/main) so that the description's router, which
// matches one segment per parameter, finds the operation.
func escapeMultiSegment(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, e := range Endpoints() {
		_, tmpl := splitEndpoint(e)
		ts := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
		last := ts[len(ts)-1]
		if !strings.HasPrefix(last, "{") || !multiSegment[strings.Trim(last, "{}")] || len(segs) <= len(ts) {
			continue
		}
		match := true
		for i, t := range ts[:len(ts)-1] {
			if !strings.HasPrefix(t, "{") && t != segs[i] {
				match = false
				break
			}
		}
		if match {
			head := strings.Join(segs[:len(ts)-1], "/")
			return "/" + head + "/" + strings.Join(segs[len(ts)-1:], "%2F")
		}
	}
	return p
}
