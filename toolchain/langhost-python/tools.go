//go:build tools

// Package langhostpython pins the Python language host `pulumi-language-python`.
//
// The host's own module, github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3,
// is not served by the Go module proxy that this project can reach (every version and
// pseudo-version of it answers 403). The newest release that can be built is the one
// from before that module was split out: the package inside github.com/pulumi/pulumi/sdk/v3
// at v3.68.0. It is kept in this separate module so that its older sdk/v3 does not pull
// the CLI's sdk/v3 down (or the other way round). See scripts/toolchain.sh.
package langhostpython

import (
	_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
)
