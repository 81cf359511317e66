"""The one place that orders an OpenStack service's config before its restarts: the file is written, then
each service on the host that reads it restarts, and restarts again only when this file's content changes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from .base import Component
from .remote import Target, restart, sha256, write_file


@dataclass
class ServiceConfigArgs:
    target: Target
    path: str
    content: str
    """Rendered config (no secrets: they belong in a separate file)."""
    group: str
    """The service's group; the file is root:<group> 0640."""
    services: list[str]
    """Services on this host that read the file, restarted when it changes."""
    manager: str
    """Service manager from the stack (`systemd`, `supervisord`, `none`)."""


class ServiceConfig(Component):
    TYPE = "openstack-storage:openstack:ServiceConfig"

    def __init__(self, name: str, args: ServiceConfigArgs, opts: Optional[pulumi.ResourceOptions] = None):
        """`opts.depends_on`: what must be in place before the file is written (keyrings, ceph.conf, the
        libvirt secret)."""
        super().__init__(self.TYPE, name, opts)
        self.path = args.path
        self.content = args.content
        self.file = write_file(f"{name}-file", args.target, args.path, args.content, owner="root",
                               group=args.group, mode="0640", parent=self)
        self.restarts = {}
        for service in args.services:
            cmd = restart(f"{name}-restart-{service}", args.target, service, args.manager, [sha256(args.content)],
                          parent=self, depends_on=[self.file])
            if cmd is not None:
                self.restarts[service] = cmd
        self.register_outputs({"path": args.path, "sha256": sha256(args.content)})
