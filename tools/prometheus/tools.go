//go:build tools

// Package tools records the binary we build from the pinned module: the Prometheus server the
// Prometheus story (test/prometheus.test.ts) scrapes the LSP with.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
)
