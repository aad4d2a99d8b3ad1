//go:build tools

// Package tools records the binary we build from the pinned module: the Kubernetes API server
// the Kubernetes driver's stories (test/kubernetes-*.test.ts) talk to.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
