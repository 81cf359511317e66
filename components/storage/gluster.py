"""GlusterFS: glusterd.vol on every gluster server (glusterd restarted only when it changed), and volumes:
brick directories, trusted pool, create (distribute or replica), options, start. Repeated `volume create` and
`volume start` exit 1, so every step checks `gluster volume info` first."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..config import GlusterVolume as VolumeSpec
from ..core.base import Component
from ..core.remote import Target, q, run
from ..services.service_config import ServiceConfig



class GlusterdConfig(ServiceConfig):
    TYPE = "openstack-storage:storage:GlusterdConfig"
    FORMER_TYPES = ("openstack-storage:gluster:Glusterd",)


def volume_options(v: VolumeSpec, exported: bool) -> dict[str, str]:
    opts = {}
    if v.owner_uid is not None:
        opts["storage.owner-uid"] = str(v.owner_uid)
    if v.owner_gid is not None:
        opts["storage.owner-gid"] = str(v.owner_gid)
    if v.insecure_ports:
        opts["server.allow-insecure"] = "on"
    if exported:   # NFS-Ganesha serves it; gluster's own NFS server must not
        opts["nfs.disable"] = "on"
    opts.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in v.options.items()})
    return opts


@dataclass
class GlusterVolumeArgs:
    volume: VolumeSpec
    targets: dict[str, Target]
    """Brick hosts by name; the first brick's host runs the pool and volume commands."""
    addresses: dict[str, str]
    """Brick host -> address gluster knows it by (gluster refuses 127.0.0.1 and localhost)."""
    exported: bool = False
    """Exported through NFS-Ganesha."""
    glusterd: list = field(default_factory=list)
    """glusterd.vol and glusterd's restart on the brick hosts: the volume commands wait for them, the brick
    directories do not."""
    secret: bool = False
    """The stack's `gluster` key holds a secret: the steps' scripts are secrets."""


def ensure_script(args: GlusterVolumeArgs) -> str:
    v = args.volume
    first = v.bricks[0].host
    peers = sorted({args.addresses[b.host] for b in v.bricks if b.host != first})
    bricks = " ".join(q(f"{args.addresses[b.host]}:{b.path}") for b in v.bricks)
    layout = f"replica {v.replica} " if v.replica else ""
    options = "\n".join(f"ensure {q(k)} {q(val)}" for k, val in volume_options(v, args.exported).items())
    return f"""
g() {{ command gluster --mode=script "$@"; }}
vol={q(v.name)}
for peer in {" ".join(q(p) for p in peers)}; do
  g pool list | awk 'NR > 1 {{print $2}}' | grep -qxF -- "$peer" || {{ g peer probe "$peer" >/dev/null; echo "probed $peer"; }}
done
i=0
while [ "$i" -lt 30 ]; do
  down=$(g pool list | awk 'NR > 1 && $3 != "Connected"' | wc -l)
  [ "$down" -eq 0 ] && break
  i=$((i + 1)); sleep 1
done
[ "$i" -lt 30 ] || {{ echo "gluster peers not connected after 30 s" >&2; g pool list >&2; exit 1; }}
if ! g volume info "$vol" >/dev/null 2>&1; then
  g volume create "$vol" {layout}transport tcp {bricks}{" force" if v.force else ""} >/dev/null
  echo "created volume $vol"
fi
ensure() {{
  [ "$(g volume get "$vol" "$1" | awk -v o="$1" '$1 == o {{print $2}}')" = "$2" ] || {{ g volume set "$vol" "$1" "$2" >/dev/null; echo "set $1 $2"; }}
}}
{options}
if ! g volume info "$vol" | grep -q '^Status: Started'; then
  g volume start "$vol" >/dev/null
  echo "started volume $vol"
fi
"""


class GlusterVolume(Component):
    """Brick directories on the brick hosts, then the pool and volume commands on the first (after `args.glusterd`)."""
    TYPE = "openstack-storage:storage:GlusterVolume"
    FORMER_TYPES = ("openstack-storage:gluster:Volume",)

    def __init__(self, name: str, args: GlusterVolumeArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        v = args.volume
        dirs = {}
        for b in v.bricks:
            dirs.setdefault(b.host, []).append(b.path)
        self.bricks = [run(f"{name}-bricks-{host}", args.targets[host],
                           "\n".join(f"[ -d {q(p)} ] || mkdir -p {q(p)}" for p in paths), parent=self,
                           secret=args.secret)
                       for host, paths in dirs.items()]
        self.volume = run(f"{name}-ensure", args.targets[v.bricks[0].host], ensure_script(args), parent=self,
                          depends_on=[*self.bricks, *args.glusterd], secret=args.secret)
        self.register_outputs({"name": v.name})
