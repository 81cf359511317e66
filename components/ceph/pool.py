"""A Ceph pool: created, sized, its pg settings in agreement with the autoscaler, `rbd pool init`ed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from .. import config
from ..core.base import Component
from ..core.remote import Target, q, run


@dataclass
class CephPoolArgs:
    target: Target
    """The Ceph admin host (it holds the admin keyring)."""
    cli: str
    """The cluster's bounded `ceph` and `rbd` (config.Ceph.cli)."""
    pool: config.CephPool
    """The pool's typed settings."""


def ensure_script(cli: str, p: config.CephPool) -> str:
    settings = {"pg_autoscale_mode": "on" if p.autoscaled else "off"}
    # pg_num only once the autoscaler is off for the pool, and never pgp_num (it follows pg_num since
    # Nautilus): setting both is how the "'pgp_num' must be lower or equal than 'pg_num'" fights start.
    for key in ("pg_num", "target_size_ratio", "size", "min_size", "crush_rule"):
        value = getattr(p, key)
        if value is not None:
            settings[key] = value
    lines = "\n".join(f"ensure {q(k)} {q(v)}" for k, v in settings.items())
    # One `osd pool ls detail` (through librados: `mon` of config.Ceph.cli) tells whether the pool exists, its pg_num
    # target, autoscale mode, sizes and applications; only crush_rule (a name there, an id in the detail) and
    # target_size_ratio take a call of their own. Changes go through the `ceph` CLI, which checks their arguments.
    return f"""
{cli}
p={q(p.name)}
line() {{ awk -v p="'$p'" '$3 == p' <<<"$1"; }}
all=$(mon "osd pool ls" detail=detail)      # (a cluster that does not answer stops the step here, not in a pipe)
detail=$(line "$all")
if [ -z "$detail" ]; then
  ceph osd pool create "$p" {p.pg_num or ""}
  echo "created pool $p"
  all=$(mon "osd pool ls" detail=detail)
  detail=$(line "$all")
fi
field() {{ printf '%s\\n' "$detail" | awk -v k="$1" '{{ for (i = 1; i < NF; i++) if ($i == k) {{ print $(i + 1); exit }} }}'; }}
# pg_num is compared with its target: since Nautilus the mgr walks the actual count there step by step
get() {{
  case "$1" in
    pg_num) t=$(field pg_num_target); echo "${{t:-$(field pg_num)}}" ;;
    pg_autoscale_mode) field autoscale_mode ;;
    size|min_size) field "$1" ;;
    *) mon "osd pool get" pool="$p" var="$1" | sed 's/^[^:]*: //' ;;
  esac
}}
ensure() {{
  [ "$(get "$1")" = "$2" ] || {{ ceph osd pool set "$p" "$1" "$2"; echo "set $1 $2"; }}
}}
{lines}
if ! field application | tr , '\\n' | grep -qxF {q(p.application)}; then
  ceph osd pool application enable "$p" {p.application}
  rbd pool init "$p"
  echo "enabled application {p.application}"
fi
"""


def delete_script(cli: str, name: str) -> str:
    return (f"{cli}\nif ceph osd pool ls | grep -qxF -- {q(name)}; then\n"
            f"  ceph osd pool rm {q(name)} {q(name)} --yes-i-really-really-mean-it\nfi")


class CephPool(Component):
    """A pool on the admin host. Unless the stack sets `allow_delete`, `pulumi destroy` leaves the pool and its
    data in place (the resource is only forgotten)."""
    TYPE = "openstack-storage:ceph:Pool"

    def __init__(self, name: str, args: CephPoolArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        p = args.pool
        self.command = run(f"{name}-ensure", args.target, ensure_script(args.cli, p), parent=self,
                           delete=delete_script(args.cli, p.name) if p.allow_delete else None,
                           retain_on_delete=not p.allow_delete)
        self.register_outputs({"name": p.name})
