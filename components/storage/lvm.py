"""The LVM iSCSI backend on a cinder-volume host: its volume group must exist (checked, with a clear error),
and with tgtadm, tgt includes cinder's volumes directory (tgt restarted only when that file changed)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from ..core.base import Component
from ..core.remote import Target, q, run
from ..plan.render import FileSpec
from ..plan.storage import TGT_INCLUDE
from ..services.service_config import ServiceConfig, ServiceConfigArgs

@dataclass
class LvmBackendArgs:
    target: Target
    files: dict[str, FileSpec]
    """The host's rendered files (Plan.files): tgt's include when some backend uses target_helper tgtadm."""
    host: str
    volume_groups: list[str]
    manager: str


class LvmBackend(Component):
    TYPE = "openstack-storage:storage:LvmBackend"
    FORMER_TYPES = ("openstack-storage:cinder:Lvm",)

    def __init__(self, name: str, args: LvmBackendArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        self.check = run(f"{name}-vg", args.target, f"host={q(args.host)}\n" + "\n".join(
            f"vg={q(vg)}\n"
            'vgs "$vg" >/dev/null 2>&1 || { echo "volume group $vg is missing on $host: create it (vgcreate $vg '
            'DEVICE) or fix cinder.backends[].volume_group" >&2; exit 1; }'
            for vg in args.volume_groups), parent=self)
        self.tgt = None
        if TGT_INCLUDE.path in args.files:
            self.tgt = ServiceConfig(f"{name}-tgt", ServiceConfigArgs(
                args.target, [args.files[TGT_INCLUDE.path]], args.manager), opts=self.child())
        self.finish(host=args.target.host, files=[self.tgt])
