"""A Cinder volume type bound to a backend the program rendered; a changed property is an update of the
type, never a stale leftover as with create-once tools."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_openstack as openstack

from ..config import VolumeType as VolumeTypeSpec
from ..core.base import Component
from ..core.remote import hidden
from ..plan.render import oslo


@dataclass
class VolumeTypeArgs:
    spec: VolumeTypeSpec
    backend_name: str
    """volume_backend_name read back from the rendered cinder.conf section of `spec.backend`."""
    qos: Optional[pulumi.Resource] = None
    """The QoS spec's QosV3 resource, when the type has one."""
    secret: bool = False
    """The stack's `volume_types` hold a secret: description and extra specs are secret inputs (project IDs are
    names, in resource names too)."""


class VolumeType(Component):
    """`opts.depends_on`: the restarts of cinder-volume that load the backend."""
    TYPE = "openstack-storage:cloud:VolumeType"
    FORMER_TYPES = ("openstack-storage:cinder:VolumeType",)

    def __init__(self, name: str, args: VolumeTypeArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        s = args.spec
        child = self.child()
        specs = {k: oslo(v) for k, v in s.extra_specs.items()}
        specs["volume_backend_name"] = args.backend_name
        self.type = openstack.blockstorage.VolumeTypeV3(
            f"{name}-type", name=s.name, description=hidden(s.description, args.secret) if s.description else None,
            is_public=s.public,
            extra_specs=hidden(specs, args.secret),
            opts=child)
        self.access = [openstack.blockstorage.VolumeTypeAccessV3(
            f"{name}-access-{project}", project_id=project, volume_type_id=self.type.id, opts=child)
            for project in s.projects]
        self.qos_association = None
        if args.qos is not None:
            self.qos_association = openstack.blockstorage.QosAssociationV3(
                f"{name}-qos", qos_id=args.qos.id, volume_type_id=self.type.id, opts=child)
        self.register_outputs({"id": self.type.id, "volume_backend_name": args.backend_name})
