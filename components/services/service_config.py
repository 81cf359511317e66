"""The one place that orders a service's config before its restarts: the files are written, then each service
on the host that reads them restarts, and restarts again only when the content of these files changes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..core.base import Component
from ..core.remote import Target, restart, sha256, write_files
from ..plan.render import FileSpec


@dataclass
class ServiceConfigArgs:
    target: Target
    files: list[FileSpec]
    """The main config first (no secrets: they belong in a separate file), then the further files the services read
    (e.g. cinder's shares files), as Plan.files has them: the services their specs name restart when one changes."""
    manager: str
    """Service manager from the stack (`systemd`, `supervisord`, `none`)."""
    reads: list = field(default_factory=list)
    """Further file resources (RemoteFiles) the services read, e.g. a compute's certificates: written first, and
    their changes restart the services too."""
    rotated: dict[str, list[str]] = field(default_factory=dict)
    """service -> the cephx users it connects as whose key was rotated, with their generation (`cinder#1`): a new
    generation restarts the service once `keyrings` holds the new key. Empty until a key is rotated, so the
    restarts of a stack that never rotated keep the triggers they had."""
    keyrings: Optional[pulumi.Resource] = None
    """The host's keyrings (RemoteFiles), with `rotated`."""
    restart_after: list = field(default_factory=list)
    """What must be in place before the services restart on these files (keyrings, ceph.conf, the libvirt secret,
    the storage the config points at). The files themselves do not wait for it: a file nothing reads yet changes
    nothing, and a compute's chain to its restart is one step shorter."""


class ServiceConfig(Component):
    TYPE = "openstack-storage:services:ServiceConfig"
    FORMER_TYPES = ("openstack-storage:openstack:ServiceConfig",)

    def __init__(self, name: str, args: ServiceConfigArgs, opts: Optional[pulumi.ResourceOptions] = None):
        """`opts.depends_on`: what must be in place before the files are written (`args.restart_after`: before
        the restarts)."""
        super().__init__(self.TYPE, name, opts)
        main = args.files[0]
        self.host = args.target.host
        self.file = write_files(f"{name}-file", args.target, [f.row() for f in args.files], parent=self)
        # the content's hashes show in a preview why a restart comes; `written` also restarts after a file that drifted
        # was put back (`pulumi up --refresh`), so a service never keeps running on a hand-edited config
        self.written = written = [self.file, *args.reads]
        """Every file resource whose change restarts the services."""
        hashes = [sha256(f.content) for f in sorted(args.files, key=lambda f: f.path)] + [f.written for f in written]
        self.restarts = {}
        for service in dict.fromkeys(s for f in args.files for s in f.restarts):
            keys = args.rotated.get(service, []) if args.keyrings else []
            cmd = restart(f"{name}-restart-{service}", args.target, service, args.manager, [*hashes, *keys],
                          changed=[f.changed for f in written] + ([args.keyrings.changed] if keys else []),
                          parent=self,
                          depends_on=[*written, *args.restart_after])
            if cmd is not None:
                self.restarts[service] = cmd
        self.finish({"path": main.path, "sha256": sha256(main.content)}, host=self.host, files=[self.file],
                    restarts=list(self.restarts))


class GlanceConfig(ServiceConfig):
    TYPE = "openstack-storage:services:GlanceConfig"
    FORMER_TYPES = ("openstack-storage:glance:Config",)


class CinderConfig(ServiceConfig):
    TYPE = "openstack-storage:services:CinderConfig"
    FORMER_TYPES = ("openstack-storage:cinder:Config",)


class NovaConfig(ServiceConfig):
    TYPE = "openstack-storage:services:NovaConfig"
    FORMER_TYPES = ("openstack-storage:nova:Config",)
