"""Cinder's file volumes, attached: on a root-squashed export cinder keeps each volume a 0660 file of its group
(nas_secure_file_permissions), and libvirt cannot chown it to qemu there (root is squashed). qemu opens it through
that group: every compute gets a group of its gid with qemu's user in it, and every cinder-volume host is checked
to make its files with that gid. qemu takes its groups when it starts, so nothing restarts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from ..config import FileVolumeGroup
from ..core.base import Component
from ..core.remote import Target, q, run


def compute_script(g: FileVolumeGroup, host: str) -> str:
    return f"""
gid={g.gid}; name={q(g.name)}; user={q(g.qemu_user)}; host={q(host)}
id "$user" >/dev/null 2>&1 || {{ echo "qemu's user $user does not exist on $host: install libvirt's qemu driver \
there first, or set cinder.file_volume_group.qemu_user to the user qemu runs as" >&2; exit 1; }}
group=$(getent group "$gid" | cut -d: -f1) || true
if [ -z "$group" ]; then
  if getent group "$name" >/dev/null; then
    echo "group $name on $host has gid $(getent group "$name" | cut -d: -f3), not $gid \
(cinder.file_volume_group.gid): give it gid $gid, or set file_volume_group.name to a free name" >&2; exit 1
  fi
  groupadd -g "$gid" "$name"
  group=$name
  echo "group $name ($gid) created"
fi
if ! id -nG "$user" | tr ' ' '\\n' | grep -qxF -- "$group"; then
  usermod -aG "$group" "$user"
  echo "$user joined $group ($gid)"
fi
"""


def cinder_volume_script(g: FileVolumeGroup, host: str) -> str:
    return f"""
name={q(g.name)}; host={q(host)}
got=$(getent group "$name" | cut -d: -f3) || true
[ "$got" = {g.gid} ] || {{ echo "cinder's group $name on $host has gid ${{got:-none}}, not {g.gid}: set \
cinder.file_volume_group.gid to the gid cinder-volume makes its files with there" >&2; exit 1; }}
"""


@dataclass
class FileVolumeAccessArgs:
    target: Target
    group: FileVolumeGroup
    compute: bool
    """The host runs nova-compute: its qemu joins the group."""
    cinder_volume: bool
    """The host runs cinder-volume: its cinder group must have the gid."""


class FileVolumeAccess(Component):
    TYPE = "openstack-storage:storage:FileVolumeAccess"

    def __init__(self, name: str, args: FileVolumeAccessArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        host = args.target.host
        self.check = (run(f"{name}-gid", args.target, cinder_volume_script(args.group, host), parent=self)
                      if args.cinder_volume else None)
        self.group = (run(f"{name}-qemu", args.target, compute_script(args.group, host), parent=self)
                      if args.compute else None)
        self.finish(host=host, files=[])
