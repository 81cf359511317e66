"""One cephx keyring file on one host, with the owner, group and mode its service needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from .base import Component
from .remote import Target, write_file
from .render import render


@dataclass
class CephKeyringArgs:
    target: Target
    """The host that gets the keyring."""
    path: str
    """Keyring path, /etc/ceph/<cluster>.client.<name>.keyring."""
    client: str
    """Client name without `client.`."""
    key: pulumi.Output[str]
    """The client's key (secret)."""
    owner: str
    group: str
    mode: str


class CephKeyring(Component):
    def __init__(self, name: str, args: CephKeyringArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("openstack-storage:ceph:Keyring", name, opts)
        content = pulumi.Output.secret(args.key.apply(lambda k: render("keyring.j2", name=args.client, key=k)))
        self.file = write_file(f"{name}-file", args.target, args.path, content,
                               owner=args.owner, group=args.group, mode=args.mode, parent=self)
        self.register_outputs({})
