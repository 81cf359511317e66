# Source this to run pulumi by hand the way `make` does: the project's own engine, plugins and local state,
# offline. Usage: . scripts/env.sh
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# scripts/bin/pulumi: the engine with SIGINT at its default, whoever started it (see there)
export PATH="$_root/scripts/bin:$_root/.toolchain/bin:$_root/.venv/bin:$PATH"
export PULUMI_HOME="$_root/.toolchain/home"
# metadata=skip: no sidecar (.attrs, with an MD5 of the content) beside each state file. The engine rewrites the whole
# state after every step's start and end; without the MD5 and the sidecar, `pulumi up` of 800 resources took 64.6
# against 74.2 s (bench/engine.py), and a run killed mid-write can no longer leave an empty .attrs that fails every
# later command with "failed to load checkpoint: EOF" (scripts/recover.sh still removes an old one).
export PULUMI_BACKEND_URL="file://$_root/.state?metadata=skip"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
# The engine runs 4 steps per core at once (8 here). Most steps wait on a host (a restart's settle time, a Ceph
# call), so with many hosts the slots, not the CPU, held the run up: 8 computes converged in 17.7 s at 32 against
# 20.0 s at 8 (bench/computes.py). At 128 the cloud's reads in a refresh, which come last in the state, no longer wait
# for slots behind the hosts' reads: `up --refresh` of 8 computes took 3.16-3.41 s against 3.33-3.79 at 32 (five
# alternating runs), a cold converge 23.2-23.5 against 23.8-24.1. Operators with many hosts: `pulumi up --parallel N`.
export PULUMI_PARALLEL=${PULUMI_PARALLEL:-128}
# Diffs run beside the other steps instead of in the engine's one loop that turns registrations into steps: on a
# converged lab that loop, not the hosts, held `pulumi up --refresh` of 8 computes (a registration waited 110 ms for
# it on average); with this, four alternating runs gave 3.59-4.24 s against 4.03-4.68 (1 compute: the same, 2.7-2.8).
export PULUMI_PARALLEL_DIFF=${PULUMI_PARALLEL_DIFF:-true}
mkdir -p "$_root/.state" "$PULUMI_HOME"
# The engine (v3.259) writes every run's log at its most verbose level, compressed and encrypted, to $PULUMI_HOME/logs
# (up to 500 MB), and has no switch for it: in an `up --refresh` of 8 computes on a converged lab its JSON and deflate
# were 0.4 s of the engine's CPU (2.5 s without it against 3.1; the run 3.15-3.52 s against 3.57-3.81, four
# alternating runs). A file in the directory's place turns it off (the engine then says "automatic logging
# unavailable" at -v=5); `pulumi -v=N --logflow` still logs.
if [ -d "$PULUMI_HOME/logs" ]; then rm -rf "$PULUMI_HOME/logs"; fi
[ -e "$PULUMI_HOME/logs" ] || : > "$PULUMI_HOME/logs"
unset _root
# The language host (v3.68.0, the newest the module proxy serves) ignores Pulumi.yaml's runtime options and runs
# $PULUMI_PYTHON_CMD: the project's virtualenv, which also runs the dynamic providers.
export PULUMI_PYTHON_CMD="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
