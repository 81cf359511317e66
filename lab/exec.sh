#!/usr/bin/env bash
# Run a command inside a lab host's namespaces (mount, network, UTS) without SSH, for tests that
# inspect host state directly:   lab/exec.sh storage1 ceph -s
#                                lab/exec.sh compute1 cat /etc/libvirt/secrets/UUID.xml
# The command sees the host's /etc, /var, /run, /tmp, /root and /srv, its hostname and its address.
# It runs with a clean environment (PATH, HOME=/root), like an SSH login, unless LAB_EXEC_KEEP_ENV=1.
set -euo pipefail
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/lib.sh
. "$LAB/lib.sh"   # HOST_ENV: the clean environment lab.sh starts a host's daemons with
if [ $# -lt 2 ]; then
  echo "usage: $0 HOST CMD [ARG...]   (hosts: controller compute1..N storage1 storage2)" >&2
  exit 2
fi
host=$1; shift
pidfile=$LAB/run/hosts/$host/pids/anchor
[ -f "$pidfile" ] || { echo "exec.sh: no lab host '$host' (is the lab up? bash lab/lab.sh up)" >&2; exit 2; }
pid=$(cat "$pidfile")
kill -0 "$pid" 2>/dev/null || { echo "exec.sh: host '$host' is not running (anchor $pid gone)" >&2; exit 2; }
if [ "${LAB_EXEC_KEEP_ENV:-0}" = 1 ]; then
  exec nsenter -t "$pid" -m -n -u -- "$@"
fi
exec nsenter -t "$pid" -m -n -u -- "${HOST_ENV[@]}" TERM="${TERM:-dumb}" "$@"
