"""The bash functions every step that talks to the cluster starts with."""
from __future__ import annotations

from ..config import Ceph
from ..core.scripts import template
from ..core.shell import q


def cli(ceph: Ceph) -> str:
    """Bash functions `ceph` and `rbd` for this cluster, bounded: when the monitors do not answer within
    connect_timeout the step fails, naming them, instead of hanging. And `mon PREFIX [KEY=VALUE...]`, one monitor
    command through librados with the interpreter of `ceph` (templates/scripts/ceph_mon.py), for the reads every
    run makes: `mon 'auth get' entity=client.cinder` answers as `ceph auth get client.cinder` for a quarter of
    its CPU."""
    t, mons = ceph.connect_timeout, ", ".join(ceph.mon_host)
    return f"""mons={q(mons)}
bounded() {{
  local rc=0 err
  err=$(mktemp)
  local what=$1; shift
  timeout --kill-after 5 {t + 10} "$@" 2>"$err" || rc=$?
  cat "$err" >&2
  if [ "$rc" -ne 0 ] && {{ [ "$rc" -eq 124 ] || grep -qiE 'timed out|error connecting to the cluster' "$err"; }}; then
    echo "the Ceph monitors ($mons) did not answer within {t} s ($what) from $(hostname);" \\
      "is the cluster up and reachable? (ceph.connect_timeout)" >&2
  fi
  rm -f "$err"
  return "$rc"
}}
ceph() {{ bounded "ceph $*" ceph --cluster {ceph.cluster} --connect-timeout {t} "$@"; }}
rbd() {{ bounded "rbd $*" rbd --cluster {ceph.cluster} --client-mount-timeout {t} --rados-mon-op-timeout {t} "$@"; }}
mon() {{
  local a=("${{@:2}}")
  bounded "ceph $1 ${{a[*]#*=}}" $(sed -n '1s/^#! *//p' "$(type -P ceph)") - {ceph.cluster} {t} "$@" <<'__ceph_mon__'
{template("ceph_mon.py")}
__ceph_mon__
}}
"""
