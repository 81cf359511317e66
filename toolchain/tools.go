//go:build tools

// Package toolchain pins the Go sources of the Pulumi CLI so that
// scripts/toolchain.sh can build it from the Go module proxy. The build tag
// keeps this file out of every build; `go mod tidy` still sees the imports.
package toolchain

import (
	// The `pulumi` CLI (package main).
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	// Holds the version variable stamped with -ldflags -X; it also keeps
	// sdk/v3 a direct requirement at the same version as pkg/v3.
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/version"
)
