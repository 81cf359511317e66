"""What a Ceph client host gets: ceph.conf, exactly the keyrings its services use (owner, group and mode per
client), and on a compute the directories of qemu's `[client]` admin sockets and logs. They are written together,
in one SSH session, once the cephx users exist."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..core.base import Component
from ..core.remote import Target, write_files
from ..plan.render import FileSpec, render


@dataclass
class Keyring:
    path: str
    """/etc/ceph/<cluster>.client.<name>.keyring"""
    client: str
    """Client name without `client.`."""
    key: pulumi.Output[str]
    """The client's key (secret)."""
    owner: str
    group: str
    mode: str

    def content(self) -> pulumi.Output[str]:
        return pulumi.Output.secret(self.key.apply(lambda k: render("keyring.j2", name=self.client, key=k)))


@dataclass
class CephConfArgs:
    target: Target
    conf: FileSpec
    """/etc/ceph/<cluster>.conf as Plan.files has it; it holds no secret, so qemu and every service can read it."""
    keyrings: list[Keyring] = field(default_factory=list)
    runtime_dirs: list[str] = field(default_factory=list)
    """Admin socket and log directories qemu writes to (computes only)."""
    runtime_owner: str = "libvirt-qemu"
    runtime_group: str = "kvm"


class CephConf(Component):
    """`opts.depends_on`: the cephx users whose keys the keyrings hold."""
    TYPE = "openstack-storage:ceph:Conf"

    def __init__(self, name: str, args: CephConfArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        files = [args.conf.row(),
                 *((k.path, k.content(), k.owner, k.group, k.mode) for k in args.keyrings)]
        self.files = write_files(f"{name}-files", args.target, files, parent=self,
                                 dirs=[(d, args.runtime_owner, args.runtime_group, "0755") for d in args.runtime_dirs])
        self.finish(host=args.target.host, files=[self.files])
