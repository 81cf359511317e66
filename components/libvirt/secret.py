"""The libvirt secret on a compute: defined private and persistent, with the same UUID everywhere, holding
the key of the client nova (and cinder's attachments) connect as. The key travels on stdin into a 0600
file, never on `virsh`'s command line."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from ..core.base import Component
from ..core.remote import Target, q, run
from ..plan.render import render


@dataclass
class LibvirtSecretArgs:
    target: Target
    """A compute host."""
    uuid: str
    """The cluster's libvirt secret UUID, shared with nova.conf and cinder.conf."""
    usage: str
    """Usage name, unique per cluster and client so that two backends never share one."""
    key: pulumi.Output[str]
    """The client's cephx key (secret)."""
    uri: Optional[str] = None
    """libvirt URI for virsh; None keeps virsh's default."""


def secret_script(args: LibvirtSecretArgs) -> str:
    xml = render("libvirt-secret.xml.j2", uuid=args.uuid, usage=args.usage)
    uri = f"-c {q(args.uri)} " if args.uri else ""
    return f"""
virsh() {{ command virsh {uri}"$@"; }}
umask 077
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cat > "$d/key"
cat > "$d/secret.xml" <<'XML'
{xml.strip()}
XML
virsh secret-define --file "$d/secret.xml" >/dev/null
virsh secret-set-value --secret {q(args.uuid)} --file "$d/key" >/dev/null
echo "libvirt secret {args.uuid} set"
"""


class LibvirtSecret(Component):
    TYPE = "openstack-storage:libvirt:Secret"

    def __init__(self, name: str, args: LibvirtSecretArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        self.command = run(f"{name}-set", args.target, secret_script(args), stdin=args.key, parent=self)
        self.register_outputs({"uuid": args.uuid})
