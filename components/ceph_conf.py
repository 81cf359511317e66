"""ceph.conf on a Ceph client host, and the directories its `[client]` admin sockets and logs need."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from .base import Component
from .remote import Target, q, run, write_file


@dataclass
class CephConfArgs:
    target: Target
    path: str
    """/etc/ceph/<cluster>.conf"""
    content: str
    """Rendered ceph.conf; it holds no secret, so qemu and every service can read it (0644)."""
    runtime_dirs: list[str] = field(default_factory=list)
    """Admin socket and log directories qemu writes to (computes only)."""
    runtime_owner: str = "libvirt-qemu"
    runtime_group: str = "kvm"


class CephConf(Component):
    def __init__(self, name: str, args: CephConfArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("openstack-storage:ceph:Conf", name, opts)
        self.file = write_file(f"{name}-file", args.target, args.path, args.content,
                               owner="root", group="root", mode="0644", parent=self)
        self.dirs = None
        if args.runtime_dirs:
            owner = f"{args.runtime_owner}:{args.runtime_group}"
            script = "\n".join(
                f'd={q(d)}\n[ -d "$d" ] && [ "$(stat -c %U:%G:%a "$d")" = {q(owner + ":755")} ] || '
                f'install -d -o {q(args.runtime_owner)} -g {q(args.runtime_group)} -m 0755 "$d"'
                for d in args.runtime_dirs)
            self.dirs = run(f"{name}-dirs", args.target, script, parent=self)
        self.register_outputs({})
