"""The guard of a backend's removal: cinder.conf is written only after it, so a stack that drops a backend from
`cinder.backends` while volumes still live there stops before the section goes and before cinder-volume restarts.

Pulumi runs every update before the deletes, so without it the section was gone (and cinder-volume restarted
without the backend) before the backend's volume type was deleted: its volumes orphaned. With it the check runs
first (backend_check.py asks Cinder), the section goes once the backend is empty, and the type's delete follows in
the same `pulumi up`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from ..config import OpenStackAuth
from ..core.base import Component
from ..core.remote import hidden
from .backend_check import BackendGuardResource


@dataclass
class BackendGuardArgs:
    backends: list[str]
    """The backends cinder.conf enables (its `enabled_backends`)."""
    auth: OpenStackAuth
    password: pulumi.Input[str]
    """The stack's secret `openstack_password`."""
    cacert: Optional[str] = None
    """The PEM content of `openstack.cacert_file` (Plan.cacert)."""
    secret: bool = False
    """The stack's `openstack` key holds a secret: the endpoint's settings are a secret input too."""


class BackendGuard(Component):
    """What writes cinder.conf depends on it (program/services.py: `Wiring.before_write`)."""
    TYPE = "openstack-storage:cloud:BackendGuard"

    def __init__(self, name: str, args: BackendGuardArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        a = args.auth
        endpoint = {"auth_url": a.auth_url, "user_name": a.user_name, "project_name": a.project_name,
                    "user_domain_name": a.user_domain_name, "project_domain_name": a.project_domain_name,
                    "region": a.region, "cacert": args.cacert, "insecure": a.insecure}
        self.check = BackendGuardResource(f"{name}-check", args.backends, hidden(endpoint, args.secret),
                                          args.password, opts=self.child())
        self.register_outputs({"backends": sorted(args.backends)})
