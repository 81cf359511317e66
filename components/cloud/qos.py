"""A Cinder QoS spec."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_openstack as openstack

from ..config import QosSpec
from ..core.base import Component
from ..core.remote import hidden
from ..plan.render import oslo


@dataclass
class QosArgs:
    spec: QosSpec
    secret: bool = False
    """The stack's `qos_specs` hold a secret: the specs are secret inputs."""


class Qos(Component):
    TYPE = "openstack-storage:cloud:Qos"
    FORMER_TYPES = ("openstack-storage:cinder:Qos",)

    def __init__(self, name: str, args: QosArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        s = args.spec
        self.qos = openstack.blockstorage.QosV3(
            f"{name}-qos", name=s.name, consumer=s.consumer,
            specs=hidden({k: oslo(v) for k, v in s.specs.items()}, args.secret),
            opts=self.child())
        self.register_outputs({"id": self.qos.id})
