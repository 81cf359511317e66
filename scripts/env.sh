# Source this to run pulumi by hand the way `make` does: the project's own engine, plugins and local state,
# offline. Usage: . scripts/env.sh
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$_root/.toolchain/bin:$_root/.venv/bin:$PATH"
export PULUMI_HOME="$_root/.toolchain/home"
export PULUMI_BACKEND_URL="file://$_root/.state"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
mkdir -p "$_root/.state" "$PULUMI_HOME"
unset _root
# The language host (v3.68.0, the newest the module proxy serves) ignores Pulumi.yaml's runtime options and runs
# $PULUMI_PYTHON_CMD: the project's virtualenv, which also runs the dynamic providers.
export PULUMI_PYTHON_CMD="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
