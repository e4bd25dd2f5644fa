package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// LoadConfig returns the client configuration for the cluster to snapshot,
// from the first source that is present:
//
//  1. kubeconfig, when not empty: that file, which must exist;
//  2. the KUBECONFIG environment variable: its files (a path list, as kubectl
//     reads it; missing ones are skipped);
//  3. ~/.kube/config, when it exists;
//  4. the in-cluster service account (rest.InClusterConfig).
//
// A kubeconfig's current context is used. Errors are one line and name what
// was tried.
func LoadConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		if _, err := os.Stat(kubeconfig); err != nil {
			return nil, fmt.Errorf("snapshot: kubeconfig %s: %w", kubeconfig, oneLine(err))
		}
		cfg, err := fromFiles(&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig})
		if err != nil {
			return nil, fmt.Errorf("snapshot: kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); strings.TrimSpace(env) != "" {
		cfg, err := fromFiles(&clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(env)})
		if err != nil {
			return nil, fmt.Errorf("snapshot: kubeconfig from KUBECONFIG=%s: %w", env, err)
		}
		return cfg, nil
	}
	tried := "no kubeconfig given, KUBECONFIG unset"
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		path := filepath.Join(home, ".kube", "config")
		if _, err := os.Stat(path); err == nil {
			cfg, err := fromFiles(&clientcmd.ClientConfigLoadingRules{ExplicitPath: path})
			if err != nil {
				return nil, fmt.Errorf("snapshot: kubeconfig %s: %w", path, err)
			}
			return cfg, nil
		}
		tried += ", " + path + " absent"
	} else {
		tried += ", no home directory"
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("snapshot: no cluster configuration (%s, not in a cluster): %w", tried, oneLine(err))
	}
	return cfg, nil
}

// fromFiles loads a kubeconfig with the given rules and its current context.
func fromFiles(rules *clientcmd.ClientConfigLoadingRules) (*rest.Config, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no cluster is configured (empty kubeconfig or no current context)")
		}
		return nil, oneLine(err)
	}
	return cfg, nil
}
