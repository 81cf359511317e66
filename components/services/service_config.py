"""The one place that orders a service's config before its restarts: the files are written, then each service
on the host that reads them restarts, and restarts again only when the content of these files changes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..core.base import Component
from ..core.remote import Target, restart, sha256, write_files


@dataclass
class ServiceConfigArgs:
    target: Target
    path: str
    content: str
    """Rendered main config (no secrets: they belong in a separate file)."""
    group: str
    """The service's group; files are <owner>:<group> <mode>."""
    services: list[str]
    """Services on this host that read the files, restarted when they change."""
    manager: str
    """Service manager from the stack (`systemd`, `supervisord`, `none`)."""
    extra_files: dict[str, str] = field(default_factory=dict)
    """Further files the services read (e.g. cinder's shares files): path -> content."""
    owner: str = "root"
    mode: str = "0640"
    reads: list = field(default_factory=list)
    """Further file resources (RemoteFiles) the services read, e.g. a compute's certificates: written first, and
    their changes restart the services too."""


class ServiceConfig(Component):
    TYPE = "openstack-storage:openstack:ServiceConfig"

    def __init__(self, name: str, args: ServiceConfigArgs, opts: Optional[pulumi.ResourceOptions] = None):
        """`opts.depends_on`: what must be in place before the files are written (keyrings, ceph.conf, the
        libvirt secret, the storage the config points at)."""
        super().__init__(self.TYPE, name, opts)
        files = {args.path: args.content, **args.extra_files}
        self.content = args.content
        self.host = args.target.host
        self.file = write_files(f"{name}-file", args.target,
                                [(path, content, args.owner, args.group, args.mode) for path, content in files.items()],
                                parent=self)
        self.files = [self.file]
        # the content's hashes show in a preview why a restart comes; `written` also restarts after a file that drifted
        # was put back (`pulumi up --refresh`), so a service never keeps running on a hand-edited config
        self.written = written = [self.file, *args.reads]
        """Every file resource whose change restarts the services."""
        hashes = [sha256(content) for _, content in sorted(files.items())] + [f.written for f in written]
        self.restarts = {}
        for service in args.services:
            cmd = restart(f"{name}-restart-{service}", args.target, service, args.manager, hashes,
                          changed=[f.changed for f in written], parent=self, depends_on=written)
            if cmd is not None:
                self.restarts[service] = cmd
        self.finish({"path": args.path, "sha256": sha256(args.content)}, host=self.host, files=[self.file],
                    restarts=list(self.restarts))
