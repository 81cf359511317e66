"""A Cinder QoS spec."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_openstack as openstack

from ..config import QosSpec
from ..core.base import Component
from ..core.remote import hidden
from ..core.render import oslo


@dataclass
class QosArgs:
    spec: QosSpec
    secret: bool = False
    """The stack's `qos_specs` hold a secret: the specs are secret inputs."""


class Qos(Component):
    def __init__(self, name: str, args: QosArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("openstack-storage:cinder:Qos", name, opts)
        s = args.spec
        self.qos = openstack.blockstorage.QosV3(
            f"{name}-qos", name=s.name, consumer=s.consumer,
            specs=hidden({k: oslo(v) for k, v in s.specs.items()}, args.secret),
            opts=self.child())
        self.register_outputs({"id": self.qos.id})
