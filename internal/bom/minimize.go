package bom

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aicr/verify-evidence/internal/snapshot/scrub"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// Redaction rule ids that Minimize reports.
const (
	// RuleAllowlist: the BOM allow-list was applied; always reported.
	RuleAllowlist = "bom.allowlist"
	// RulePrivateRegistry: a purl's registry or repository_url that is not
	// a well-known public one was removed (the purl keeps its public form).
	RulePrivateRegistry = "bom.purl.private-registry"
	// RulePrivateHost: a component name or a Go/Swift purl namespace that
	// starts with a host that is not a well-known public one (a private Git
	// or registry host, "git.corp.example/ml/trainer") was reduced to its
	// last path segment ("trainer").
	RulePrivateHost = "bom.name.private-host"
)

// publicCodeHosts are the hosts a component name or a pkg:golang/pkg:swift
// namespace may keep as its first path segment: public code and module
// hosts (and the public registries). Any other host is reduced away.
func publicCodeHosts() map[string]bool {
	m := publicRegistries()
	for _, h := range []string{"github.com", "gitlab.com", "bitbucket.org", "golang.org", "google.golang.org", "gopkg.in",
		"k8s.io", "sigs.k8s.io", "go.opentelemetry.io", "go.uber.org", "cloud.google.com", "go.etcd.io", "honnef.co",
		"gotest.tools", "dario.cat", "filippo.io", "go.yaml.in", "oras.land", "helm.sh", "tags.cncf.io"} {
		m[h] = true
	}
	return m
}

// hostLike says whether a path segment names a host: it has a dot (or is
// localhost, or has a port) and its last label starts with a letter, so that
// "v1.2" or "1.0" is not taken for a host.
func hostLike(seg string) bool {
	seg, _, _ = strings.Cut(seg, ":")
	if seg == "localhost" {
		return true
	}
	i := strings.LastIndexByte(seg, '.')
	if i < 1 || i == len(seg)-1 {
		return false
	}
	c := seg[i+1]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// privateHostPath reduces "host/a/b/name" to "name" when host is host-like
// and not in publicCodeHosts; reduced says it did.
func privateHostPath(s string) (out string, reduced bool) {
	first, _, ok := strings.Cut(s, "/")
	if !ok {
		return s, false
	}
	host, err := url.PathUnescape(first)
	if err != nil {
		host = first
	}
	if !hostLike(host) || publicCodeHosts()[strings.ToLower(host)] {
		return s, false
	}
	return s[strings.LastIndexByte(s, '/')+1:], true
}

// publicRegistries are the hosts a purl may keep as its registry
// (repository_url, or the registry part of a docker purl's namespace):
// public container registries and the public Helm chart repositories of
// AICR recipes. Any other host, gcr.io and *.pkg.dev included (they hold
// private projects as much as public ones), is private.
func publicRegistries() map[string]bool {
	return map[string]bool{
		"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true, "ghcr.io": true, "nvcr.io": true,
		"quay.io": true, "registry.k8s.io": true, "public.ecr.aws": true, "mcr.microsoft.com": true,
		"helm.ngc.nvidia.com": true, "charts.jetstack.io": true,
	}
}

// purlQualifiers are the purl qualifiers kept besides a public repository_url:
// build facts, never locations.
func purlQualifiers() map[string]bool {
	return map[string]bool{"arch": true, "os": true, "distro": true, "type": true, "classifier": true, "extension": true, "tag": true}
}

// componentKeys are the members of a component Minimize keeps.
func componentKeys() []string { return []string{"type", "name", "version", "purl"} }

// Minimize returns the published form of a CycloneDX 1.6 BOM under minimal
// redaction, with the ids of the rules applied, sorted: only bomFormat,
// specVersion, version and the top-level components with their type, name,
// version and purl are kept (no serialNumber, metadata, authors, properties,
// tools, services, dependencies or nested components). Strings kept are
// scrubbed (package scrub); a purl loses a registry or repository_url that is
// not public (publicRegistries) and every qualifier but a few build facts
// (purlQualifiers). The result is encoded deterministically (sorted keys,
// two-space indentation, final newline) and passes Parse.
func Minimize(b []byte, opts ...scrub.Option) ([]byte, []string, error) {
	if _, _, err := read(b); err != nil {
		return nil, nil, err
	}
	doc, err := strictjson.Members(b)
	if err != nil {
		return nil, nil, fmt.Errorf("BOM: %w", err)
	}
	sc := scrub.New(opts...)
	sc.Record(RuleAllowlist)
	out := map[string]jsontext.Value{"bomFormat": doc["bomFormat"], "specVersion": doc["specVersion"]}
	if v, ok := doc["version"]; ok && v.Kind() == '0' {
		out["version"] = v
	}
	var comps []jsontext.Value
	if raw, ok := doc["components"]; ok {
		if err := strictjson.Unmarshal(raw, &comps); err != nil {
			return nil, nil, fmt.Errorf("BOM components: %w", err)
		}
		kept := make([]map[string]string, 0, len(comps))
		for i, c := range comps {
			m, err := strictjson.Members(c)
			if err != nil {
				return nil, nil, fmt.Errorf("BOM components[%d]: %w", i, err)
			}
			k := map[string]string{}
			for _, key := range componentKeys() {
				v, ok := m[key]
				if !ok {
					continue
				}
				var s string
				if err := strictjson.Unmarshal(v, &s); err != nil {
					return nil, nil, fmt.Errorf("BOM components[%d].%s: %w", i, key, err)
				}
				switch key {
				case "purl":
					var private, reduced bool
					s, private, reduced = publicPURL(s, sc)
					if private {
						sc.Record(RulePrivateRegistry)
					}
					if reduced {
						sc.Record(RulePrivateHost)
					}
				case "name":
					var reduced bool
					if s, reduced = privateHostPath(s); reduced {
						sc.Record(RulePrivateHost)
					}
					s = sc.String(s)
				default:
					s = sc.String(s)
				}
				k[key] = s
			}
			kept = append(kept, k)
		}
		if out["components"], err = json.Marshal(kept); err != nil {
			return nil, nil, fmt.Errorf("BOM: %w", err)
		}
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("BOM: %w", err)
	}
	v := jsontext.Value(enc)
	if err := v.Canonicalize(jsontext.CanonicalizeRawInts(false), jsontext.CanonicalizeRawFloats(false)); err != nil {
		return nil, nil, fmt.Errorf("BOM: %w", err)
	}
	if err := v.Indent(jsontext.WithIndent("  ")); err != nil {
		return nil, nil, fmt.Errorf("BOM: %w", err)
	}
	v = append(v, '\n')
	if _, err := Parse(v); err != nil {
		return nil, nil, fmt.Errorf("minimised BOM: %w", err)
	}
	return v, sc.Applied(), nil
}

// publicPURL returns the public form of a package URL: without a registry or
// repository_url that is not in publicRegistries, with only the qualifiers of
// purlQualifiers, and scrubbed. private says a registry was removed: a
// pkg:docker/pkg:oci purl on a private registry loses its whole namespace
// (the registry and the project, account or team path under it), leaving
// pkg:type/name@version. reduced says a pkg:golang/pkg:swift namespace on a
// private host was removed (privateHostPath).
func publicPURL(purl string, sc *scrub.Scrubber) (out string, private, reduced bool) {
	public := publicRegistries()
	rest, subpath, _ := strings.Cut(purl, "#")
	rest, query, _ := strings.Cut(rest, "?")
	var keptRepo string
	var quals []string
	if query != "" {
		allowed := purlQualifiers()
		for _, q := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(q, "=")
			switch {
			case k == "repository_url" || k == "registry":
				val, err := url.QueryUnescape(v)
				if err == nil && public[registryHost(val)] {
					keptRepo = k + "=" + v
				} else {
					private = true
				}
			case allowed[k]:
				quals = append(quals, sc.String(q))
			default:
				private = private || k == "download_url" || k == "vcs_url"
			}
		}
	}
	// pkg:docker/<registry>/<namespace>/<name>: a first namespace segment
	// that names a host is a registry; a private one goes with the whole
	// namespace under it (a project, account or team path).
	typ, path, ok := strings.Cut(rest, "/")
	switch {
	case ok && (strings.EqualFold(typ, "pkg:docker") || strings.EqualFold(typ, "pkg:oci")):
		if first, _, ok := strings.Cut(path, "/"); ok {
			host, err := url.PathUnescape(first)
			if err != nil || strings.ContainsAny(host, ".:") || host == "localhost" {
				if err != nil || !public[strings.ToLower(host)] {
					rest, private = typ+"/"+lastSegment(path), true
				}
			}
		}
	case ok && (strings.EqualFold(typ, "pkg:golang") || strings.EqualFold(typ, "pkg:swift")):
		nameVer, at := path, ""
		if i := strings.IndexByte(path, '@'); i >= 0 {
			nameVer, at = path[:i], path[i:]
		}
		if r, ok := privateHostPath(nameVer); ok {
			rest, reduced = typ+"/"+r+at, true
		}
	}
	out = sc.String(rest)
	if keptRepo != "" {
		quals = append(quals, keptRepo)
	}
	if len(quals) > 0 {
		sort.Strings(quals)
		out += "?" + strings.Join(quals, "&")
	}
	if subpath != "" {
		out += "#" + sc.String(subpath)
	}
	return out, private, reduced
}

// lastSegment is "name@version" of "ns/…/name@version".
func lastSegment(path string) string {
	nameVer, at := path, ""
	if i := strings.IndexByte(path, '@'); i >= 0 {
		nameVer, at = path[:i], path[i:]
	}
	return nameVer[strings.LastIndexByte(nameVer, '/')+1:] + at
}

// registryHost is the lower-case host of a repository URL, with or without a
// scheme ("https://ghcr.io/org", "ghcr.io/org").
func registryHost(s string) string {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Port() != "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
