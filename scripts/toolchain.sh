#!/usr/bin/env bash
# Builds the Pulumi engine toolchain this project runs on, from Go modules at pinned
# versions, into .toolchain/bin (git-ignored). A warm run (everything already built)
# takes seconds; a cold run builds the CLI (a few minutes on 2 cores) and the rest.
#
#   scripts/toolchain.sh            build what is missing, then print `pulumi version`
#                                   and the binaries present
#   export PATH="$PWD/.toolchain/bin:$PATH"   then use `pulumi` as usual
#
# What it builds (versions pinned below and in toolchain/go.mod):
#   pulumi                         github.com/pulumi/pulumi/pkg/v3 cmd/pulumi, built inside
#                                  the module toolchain/ (pkg/v3's go.mod has replace
#                                  directives, so `go install pkg@version` refuses it)
#   pulumi-language-python         Python language host (see LANGHOST_* below)
#   pulumi-language-python-exec    script from the sdk/v3 module, beside the host
#   pulumi-resource-pulumi-python  script from the sdk/v3 module (Python dynamic providers)
#   pulumi-resource-command        pulumi-command v1.2.1 (released source, see below)
#   pulumi-resource-openstack      pulumi-openstack v5.4.1 (released source, see below)
#
# The two resource providers are built from their released source (../shared/third_party,
# read-only: built from a copy in .toolchain/src after checking the tree's checksum), unless
# the pinned version is already registered in PULUMI_HOME or a plugin of that name is on
# PATH. With none of these the run fails and says how to get them. Built providers are
# registered with `pulumi plugin install --file` in PULUMI_HOME (default .toolchain/home),
# so `pulumi plugin ls` lists them. Every step prints its time.
#
# Environment:
#   TOOLCHAIN_GOPROXY      Go module proxy (default https://proxy.golang.org; no "direct":
#                          there is no network route to the VCS hosts)
#   PULUMI_PROVIDER_SRC    folder holding the providers' source trees (default ../shared/third_party)
#   TOOLCHAIN_FORCE        1 = ignore what is already built and rebuild everything
#   PULUMI_HOME            where providers are registered (default .toolchain/home)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC_DIR="$ROOT/.toolchain"
BIN="$TC_DIR/bin"
# Provider plugins are built beside, not on PATH: pulumi finds them registered in PULUMI_HOME (a plugin on PATH
# is used whatever its version, with a warning on every run).
PROV="$TC_DIR/providers"
STAMPS="$BIN/.stamps"
SRC="$TC_DIR/src"
GOMOD_DIR="$ROOT/toolchain"
LANGHOST_MOD_DIR="$ROOT/toolchain/langhost-python"

# ---- pins -------------------------------------------------------------------------
# The CLI's version is the one toolchain/go.mod requires (pkg/v3 and sdk/v3 alike).
PULUMI_VERSION="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { sub(/^v/, "", $2); print $2; exit }' "$GOMOD_DIR/go.mod")"
[[ -n "$PULUMI_VERSION" ]] || { echo "toolchain: cannot read the pkg/v3 version from toolchain/go.mod" >&2; exit 1; }

# Python language host: the package inside sdk/v3 at v3.68.0 (toolchain/langhost-python),
# because the proxy serves no version of the split-out module
# github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3.
LANGHOST_VERSION="3.68.0"
LANGHOST_PKG="github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"

# Resource providers: released source trees (folder names and checksums as in
# ../shared/third_party/README.md; PULUMI_PROVIDER_SRC overrides the folder).
PROVIDER_SRC="${PULUMI_PROVIDER_SRC:-$ROOT/../shared/third_party}"
COMMAND_VERSION="1.2.1"
COMMAND_TREE="pulumi-command-v1.2.1"
COMMAND_SUM="78dd6979ade60e1eb595492db3c2861fd6ed09560fc42e67fe797a9d3dc0f472"
COMMAND_VERSION_VAR="github.com/pulumi/pulumi-command/provider/pkg/version.Version"
OPENSTACK_VERSION="5.4.1"
OPENSTACK_TREE="pulumi-openstack-v5.4.1"
OPENSTACK_SUM="5f1ed3477f3487edb4229fe270ed6326f74970008c4e84c5063b6c21e9204eb1"
OPENSTACK_VERSION_VAR="github.com/pulumi/pulumi-openstack/provider/v5/pkg/version.Version"

VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

# ---- Go environment -----------------------------------------------------------------
export GOPROXY="${TOOLCHAIN_GOPROXY:-https://proxy.golang.org}"
export GOTOOLCHAIN=local
export GOFLAGS="-buildvcs=false"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_HOME="${PULUMI_HOME:-$TC_DIR/home}"

CORE_BINS=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)
PROVIDER_BINS=(pulumi-resource-command pulumi-resource-openstack)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '==> %s\n' "$*"; }

stamp_of() { cat "$STAMPS/$1" 2>/dev/null || true; }
# have NAME WANT [DIR]: the binary exists (in DIR, default $BIN) and was built from WANT (version + source).
have() { [[ -z "${TOOLCHAIN_FORCE:-}" && -x "${3:-$BIN}/$1" && "$(stamp_of "$1")" == "$2" ]]; }
set_stamp() { mkdir -p "$STAMPS"; printf '%s\n' "$2" >"$STAMPS/$1"; }

print_summary() {
  local dir="$1"
  log "pulumi version: $("$dir/pulumi" version)"
  log "binaries in $dir:"
  local b
  for b in "${CORE_BINS[@]}" "${PROVIDER_BINS[@]}"; do
    [[ ! -x "$dir/$b" && ! -x "$PROV/$b" ]] || printf '    %-32s %s\n' "$b" "$(stamp_of "$b")"
  done
  log "resource plugins (pulumi plugin ls):"
  "$dir/pulumi" plugin ls 2>/dev/null | sed 's/^/    /'
}

mkdir -p "$BIN" "$STAMPS"

# One run at a time: a second run waits for the first, then finds everything built.
exec 9>"$TC_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

total_start="$(now)"

# ---- pulumi (CLI) -------------------------------------------------------------------
want="v$PULUMI_VERSION github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
if have pulumi "$want"; then
  log "pulumi v$PULUMI_VERSION: already built"
else
  log "building pulumi v$PULUMI_VERSION (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) ..."
  t="$(now)"
  (cd "$GOMOD_DIR" && go build -trimpath \
    -ldflags "-s -w -X $VERSION_VAR=v$PULUMI_VERSION" \
    -o "$BIN/.pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv -f "$BIN/.pulumi.tmp" "$BIN/pulumi"
  set_stamp pulumi "$want"
  log "built pulumi in $(secs "$t")s"
fi

# ---- scripts shipped in the sdk/v3 module -------------------------------------------
want="v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3/python"
if have pulumi-language-python-exec "$want" && have pulumi-resource-pulumi-python "$want"; then
  log "python scripts from sdk/v3 v$PULUMI_VERSION: already present"
else
  log "copying pulumi-language-python-exec and pulumi-resource-pulumi-python from sdk/v3 v$PULUMI_VERSION ..."
  t="$(now)"
  sdk_dir="$(cd "$GOMOD_DIR" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" \
    | awk -F'"' '$2 == "Dir" { print $4 }')"
  [[ -d "$sdk_dir/python" ]] || { echo "toolchain: sdk/v3 v$PULUMI_VERSION has no python/ directory" >&2; exit 1; }
  install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
  install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
  set_stamp pulumi-language-python-exec "$want"
  set_stamp pulumi-resource-pulumi-python "$want"
  log "copied in $(secs "$t")s"
fi

# ---- pulumi-language-python ---------------------------------------------------------
want="v$LANGHOST_VERSION $LANGHOST_PKG"
if have pulumi-language-python "$want"; then
  log "pulumi-language-python v$LANGHOST_VERSION: already built"
else
  log "building pulumi-language-python v$LANGHOST_VERSION ($LANGHOST_PKG) ..."
  t="$(now)"
  (cd "$LANGHOST_MOD_DIR" && go build -trimpath \
    -ldflags "-s -w -X $VERSION_VAR=v$LANGHOST_VERSION" \
    -o "$BIN/.pulumi-language-python.tmp" "$LANGHOST_PKG")
  mv -f "$BIN/.pulumi-language-python.tmp" "$BIN/pulumi-language-python"
  set_stamp pulumi-language-python "$want"
  log "built pulumi-language-python in $(secs "$t")s"
fi

# ---- resource providers ---------------------------------------------------------------
# From their released source (the module proxy refuses both provider modules): the tree is
# checked against its pinned checksum, copied out of the (read-only) source folder into
# .toolchain/src and built there as its own module, with the version stamped.
tree_sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1); }
installed() { # installed NAME VERSION: the plugin is registered in PULUMI_HOME at that version
  [[ -x "$BIN/pulumi" ]] && "$BIN/pulumi" plugin ls 2>/dev/null | awk -v n="$1" -v v="$2" \
    '$1 == n && $2 == "resource" && $3 == v { found = 1 } END { exit !found }'
}
# provider NAME VERSION TREE CHECKSUM VERSION_VAR
provider() {
  local name="$1" version="$2" tree="$3" sum="$4" version_var="$5"
  local bin="pulumi-resource-$name" want="v$version $tree sha256:$sum" t
  t="$(now)"
  if have "$bin" "$want" "$PROV"; then
    log "$bin v$version: already built"
  elif [[ -z "${TOOLCHAIN_FORCE:-}" ]] && installed "$name" "$version"; then
    log "$bin v$version: already installed in $PULUMI_HOME (nothing built)"
    return 0
  elif [[ -z "${TOOLCHAIN_FORCE:-}" ]] && command -v "$bin" >/dev/null 2>&1 \
      && [[ "$(dirname "$(command -v "$bin")")" != "$PROV" ]]; then
    log "$bin: using $(command -v "$bin") from PATH (pulumi runs a plugin on PATH whatever its version)"
    return 0
  elif [[ -d "$PROVIDER_SRC/$tree" ]]; then
    local got
    got="$(tree_sum "$PROVIDER_SRC/$tree")"
    if [[ "$got" != "$sum" ]]; then
      echo "toolchain: $PROVIDER_SRC/$tree has checksum $got, not the pinned $sum: it is not the released" \
           "source of $bin v$version; restore it or point PULUMI_PROVIDER_SRC elsewhere" >&2
      exit 1
    fi
    log "building $bin v$version from $PROVIDER_SRC/$tree (checksum ok) ..."
    local work="$SRC/$tree"
    rm -rf "$work"; mkdir -p "$SRC"
    cp -R "$PROVIDER_SRC/$tree" "$work"
    chmod -R u+w "$work"
    if [[ "$name" == openstack ]]; then
      # The provider embeds schema-embed.json (the schema stamped with the version); without it, it panics.
      (cd "$work/provider/cmd/$bin" && VERSION="$version" go run generate.go)
    fi
    mkdir -p "$PROV"
    (cd "$work/provider" && go build -trimpath -ldflags "-s -w -X $version_var=$version" \
      -o "$PROV/.$bin.tmp" "./cmd/$bin")
    mv -f "$PROV/.$bin.tmp" "$PROV/$bin"
    set_stamp "$bin" "$want"
    log "built $bin in $(secs "$t")s"
  else
    cat >&2 <<MSG
toolchain: no $bin v$version: it is not installed in $PULUMI_HOME, not on PATH, and there is no
source tree at $PROVIDER_SRC/$tree. Either
  - on a machine with internet access: pulumi plugin install resource $name v$version
  - or set PULUMI_PROVIDER_SRC to the folder holding $tree/ (its released source; see
    ../shared/third_party/README.md) and run make toolchain again.
MSG
    exit 1
  fi
  # Registered, so that `pulumi plugin ls` lists it and pulumi finds it without PATH too.
  if [[ -n "${TOOLCHAIN_FORCE:-}" ]] || ! installed "$name" "$version"; then
    "$BIN/pulumi" plugin install resource "$name" "$version" --file "$PROV/$bin" --reinstall >/dev/null
    log "registered resource plugin $name $version in $PULUMI_HOME"
  fi
}

provider command "$COMMAND_VERSION" "$COMMAND_TREE" "$COMMAND_SUM" "$COMMAND_VERSION_VAR"
provider openstack "$OPENSTACK_VERSION" "$OPENSTACK_TREE" "$OPENSTACK_SUM" "$OPENSTACK_VERSION_VAR"

log "toolchain ready in $(secs "$total_start")s"
print_summary "$BIN"
cat <<EOF
==> use it with:
    export PATH="$BIN:\$PATH"
    export PULUMI_PYTHON_CMD=/path/to/venv/bin/python   # see below
    The language host v$LANGHOST_VERSION predates per-RPC runtime options: it ignores
    Pulumi.yaml's runtime.options.virtualenv / toolchain and runs \$PULUMI_PYTHON_CMD
    (default: python3 on PATH), so point PULUMI_PYTHON_CMD at the venv's python or put
    the venv's bin/ first on PATH.
EOF
