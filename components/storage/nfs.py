"""NFS exports on one server host: NFS-Ganesha EXPORT blocks (VFS directories or GlusterFS volumes) in a
ganesha.conf the program owns, restarted only when it changed; or kernel exports in /etc/exports.d, applied
with `exportfs -ra` only when they changed. Clients are limited to the named networks, root squashed unless
the stack opted out by name."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..config import NfsExport
from ..core.base import Component
from ..core.remote import Target, q, run, sha256, write_files
from ..plan.render import FileSpec
from ..plan.storage import GANESHA_CONF, kernel_exports_path
from ..services.service_config import ServiceConfig, ServiceConfigArgs

@dataclass
class NfsServerArgs:
    target: Target
    exports: list[NfsExport]
    files: dict[str, FileSpec]
    """The host's rendered files (Plan.files): ganesha.conf and the kernel exports among them."""
    manager: str
    volumes: list = field(default_factory=list)
    """The gluster volumes it exports: ganesha restarts once they (and the export directories) are there; its
    files need not wait."""


class NfsServer(Component):
    """Export directories; ganesha.conf, restarted once they and `args.volumes` are there; or kernel exports."""
    TYPE = "openstack-storage:storage:NfsServer"
    FORMER_TYPES = ("openstack-storage:nfs:Server",)

    def __init__(self, name: str, args: NfsServerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        dirs = [e for e in args.exports if e.path]
        self.dirs = None
        if dirs:
            self.dirs = run(f"{name}-dirs", args.target, "\n".join(
                f"[ -d {q(e.path)} ] || mkdir -p {q(e.path)}" + (f"\nchown {q(e.owner)} {q(e.path)}" if e.owner else "")
                for e in dirs), parent=self)
        after = [self.dirs] if self.dirs else []
        ganesha = [e for e in args.exports if e.server == "ganesha"]
        self.ganesha = None
        if ganesha:
            self.ganesha = ServiceConfig(f"{name}-ganesha", ServiceConfigArgs(
                args.target, [args.files[GANESHA_CONF.path]], args.manager, restart_after=[*after, *args.volumes]),
                opts=self.child())
        kernel = [e for e in args.exports if e.server == "kernel"]
        specs = [args.files[kernel_exports_path(e)] for e in kernel]
        self.exports = [write_files(f"{name}-exports-{e.name}", args.target, [spec.row()], parent=self,
                                    depends_on=after) for e, spec in zip(kernel, specs)]
        self.exportfs = None
        if kernel:
            self.exportfs = run(f"{name}-exportfs", args.target, "exportfs -ra", parent=self, depends_on=self.exports,
                                triggers=[sha256(spec.content) for spec in specs])
        self.finish(host=args.target.host, files=[self.ganesha, *self.exports])
