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
#   pulumi-resource-command        github.com/pulumi/pulumi-command/provider
#   pulumi-resource-openstack      github.com/pulumi/pulumi-openstack/provider/v5
#
# The two resource providers are tried on every run that lacks them; when the module
# proxy does not serve their source the run says so (MISSING ...) and still succeeds,
# unless TOOLCHAIN_REQUIRE_ALL=1. Built providers are also registered with
# `pulumi plugin install --file` in PULUMI_HOME (default .toolchain/home).
#
# Environment:
#   TOOLCHAIN_GOPROXY      Go module proxy (default https://proxy.golang.org; no "direct":
#                          there is no network route to the VCS hosts)
#   TOOLCHAIN_REQUIRE_ALL  1 = exit non-zero when a provider plugin could not be built
#   TOOLCHAIN_FORCE        1 = ignore what is already built and rebuild everything
#   PULUMI_HOME            where providers are registered (default .toolchain/home)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC_DIR="$ROOT/.toolchain"
BIN="$TC_DIR/bin"
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

# Resource providers: module, release commit (the commit of the repo's vX.Y.Z tag), version.
COMMAND_MODULE="github.com/pulumi/pulumi-command/provider"
COMMAND_REV="7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25"   # tag v1.2.1
COMMAND_VERSION="1.2.1"
COMMAND_VERSION_VAR="github.com/pulumi/pulumi-command/provider/pkg/version.Version"

OPENSTACK_MODULE="github.com/pulumi/pulumi-openstack/provider/v5"
OPENSTACK_REV="181b9dd429e0f7d4b732457a13dce9400ed92929" # tag v5.5.0
OPENSTACK_VERSION="5.5.0"
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
MISSING=()

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '==> %s\n' "$*"; }

stamp_of() { cat "$STAMPS/$1" 2>/dev/null || true; }
# have NAME WANT: the binary exists and was built from WANT (version + source).
have() { [[ -z "${TOOLCHAIN_FORCE:-}" && -x "$BIN/$1" && "$(stamp_of "$1")" == "$2" ]]; }
set_stamp() { mkdir -p "$STAMPS"; printf '%s\n' "$2" >"$STAMPS/$1"; }

print_summary() {
  local dir="$1"
  log "pulumi version: $("$dir/pulumi" version)"
  log "binaries in $dir:"
  local b
  for b in "${CORE_BINS[@]}" "${PROVIDER_BINS[@]}"; do
    if [[ -x "$dir/$b" ]]; then
      printf '    %-32s %s\n' "$b" "$(stamp_of "$b")"
    else
      printf '    %-32s MISSING\n' "$b"
    fi
  done
}

# ---- fast path 1: a complete toolchain of the pinned version already on PATH --------
if [[ -z "${TOOLCHAIN_FORCE:-}" ]] && on_path="$(command -v pulumi 2>/dev/null)"; then
  path_dir="$(cd "$(dirname "$on_path")" && pwd)"
  if [[ "$path_dir" != "$BIN" ]] \
    && [[ "$("$on_path" version 2>/dev/null || true)" == "v$PULUMI_VERSION" ]] \
    && [[ -x "$path_dir/pulumi-language-python" && -x "$path_dir/pulumi-language-python-exec" \
          && -x "$path_dir/pulumi-resource-pulumi-python" ]]; then
    log "using pulumi v$PULUMI_VERSION already on PATH in $path_dir (nothing built)"
    STAMPS="$path_dir/.stamps" print_summary "$path_dir"
    exit 0
  fi
fi

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
# build_provider NAME MODULE REV VERSION VERSION_VAR
# Copies the module's source out of the (read-only) module cache into .toolchain/src and
# builds cmd/pulumi-resource-NAME there, as the provider's own module (so its replace
# directives apply), stamping the version.
build_provider() {
  local name="$1" module="$2" rev="$3" version="$4" version_var="$5"
  local bin="pulumi-resource-$name" want="v$version $module@$rev"
  if have "$bin" "$want"; then
    log "$bin v$version: already built"
    return 0
  fi
  log "building $bin v$version ($module at $rev) ..."
  local t json dir err
  t="$(now)"
  # Outside any module (in .toolchain/), so that no go.mod is consulted or touched.
  if ! json="$(cd "$TC_DIR" && go mod download -json "$module@$rev" 2>&1)" || grep -q '"Error"' <<<"$json"; then
    err="$(grep -o '"Error": *"[^"]*' <<<"$json" | sed 's/"Error": *"//' | head -1)"
    [[ -n "$err" ]] || err="$(tail -1 <<<"$json")"
    err="${err//\\n\\t/ }"
    log "MISSING $bin: the module proxy does not serve $module@$rev: $err"
    MISSING+=("$bin")
    return 0
  fi
  dir="$(awk -F'"' '$2 == "Dir" { print $4 }' <<<"$json")"
  local work="$SRC/$name-$version"
  rm -rf "$work"
  mkdir -p "$SRC"
  cp -R "$dir" "$work"
  chmod -R u+w "$work"
  local cmd_dir="$work/cmd/$bin"
  if [[ "$name" == openstack ]]; then
    # The provider embeds schema-embed.json, generated from the committed schema.json.
    jq --arg v "$version" '.version = $v' "$cmd_dir/schema.json" >"$cmd_dir/schema-embed.json"
  fi
  if ! (cd "$work" && GOFLAGS="-buildvcs=false -mod=mod" go build -trimpath \
      -ldflags "-s -w -X $version_var=$version" -o "$BIN/.$bin.tmp" "./cmd/$bin"); then
    log "MISSING $bin: build failed (see above)"
    MISSING+=("$bin")
    return 0
  fi
  mv -f "$BIN/.$bin.tmp" "$BIN/$bin"
  set_stamp "$bin" "$want"
  log "built $bin in $(secs "$t")s"
}

build_provider command "$COMMAND_MODULE" "$COMMAND_REV" "$COMMAND_VERSION" "$COMMAND_VERSION_VAR"
build_provider openstack "$OPENSTACK_MODULE" "$OPENSTACK_REV" "$OPENSTACK_VERSION" "$OPENSTACK_VERSION_VAR"

# Register built providers in PULUMI_HOME so that they are found without PATH, too
# (plugins on PATH are used anyway, but `pulumi plugin ls` shows only registered ones).
register() {
  local name="$1" version="$2" bin="$BIN/pulumi-resource-$1"
  [[ -x "$bin" ]] || return 0
  if ! "$BIN/pulumi" plugin ls 2>/dev/null | awk -v n="$name" -v v="$version" \
      '$1 == n && $2 == "resource" && $3 == v { found = 1 } END { exit !found }'; then
    log "registering resource plugin $name $version in $PULUMI_HOME"
    "$BIN/pulumi" plugin install resource "$name" "$version" --file "$bin"
  fi
}
register command "$COMMAND_VERSION"
register openstack "$OPENSTACK_VERSION"

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
if ((${#MISSING[@]})); then
  log "MISSING (not served by the Go module proxy or failed to build): ${MISSING[*]}"
  if [[ "${TOOLCHAIN_REQUIRE_ALL:-}" == 1 ]]; then
    exit 1
  fi
fi
