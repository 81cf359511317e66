"""Live migration on a compute: libvirtd listening per the stack's transport (TLS by default; plain TCP only
through the named opt-in), qemu.conf `dynamic_ownership = 0` when the stack asks, the
computes in /etc/hosts, and SSH between nova users with pinned known_hosts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..config import Migration
from ..core.base import Component
from ..core.remote import Target, q, run, write_files
from ..plan.fileformats import expect_fields
from ..plan.render import FileSpec
from ..plan.libvirt import LIBVIRTD_CONF, QEMU_CONF
from ..services.service_config import ServiceConfig, ServiceConfigArgs
from .pki import LibvirtPki

NOVA_HOME = "/var/lib/nova"
SOCKET = {"tls": "libvirtd-tls.socket", "tcp-sasl": "libvirtd-tcp.socket", "tcp": "libvirtd-tcp.socket"}
BEGIN, END = "# BEGIN openstack-storage computes", "# END openstack-storage computes"


class LibvirtConfig(ServiceConfig):
    TYPE = "openstack-storage:libvirt:Config"


def hosts_block(computes: dict[str, str]) -> str:
    lines = expect_fields("".join(f"{addr} {name}\n" for name, addr in sorted(computes.items())), 2, "/etc/hosts")
    return f"{BEGIN}\n{lines}{END}\n"


def hosts_script(block: str) -> str:
    """Replace our block in /etc/hosts (keeping the rest and the file's mode) only when it differs."""
    # written in place, not renamed over as the prelude's `put` does: a container runtime bind-mounts /etc/hosts,
    # and a rename onto a mount point fails (EBUSY)
    return f"""
block={q(block)}
if [ "$(sed -n '/^{BEGIN}$/,/^{END}$/p' /etc/hosts)" != "$(printf '%s' "$block")" ]; then
  tmp=$(mktemp)
  sed '/^{BEGIN}$/,/^{END}$/d' /etc/hosts > "$tmp"
  printf '%s' "$block" >> "$tmp"
  cat "$tmp" > /etc/hosts
  rm -f "$tmp"
  echo "updated /etc/hosts"
fi
"""


def known_hosts(computes: dict[str, tuple[str, str]]) -> str:
    return expect_fields("".join(f"{name},{addr} {key}\n" for name, (addr, key) in sorted(computes.items())), 3,
                         "known_hosts")


@dataclass(frozen=True)
class Peers:
    """What names every compute, made once for the stack and the same text on every compute: made per compute it was
    N² work (every line checked, quoted and joined again on each of N computes)."""
    hosts_script: str
    known_hosts: str

    @classmethod
    def of(cls, computes: dict[str, tuple[str, str]]) -> "Peers":
        """`computes`: name -> (address, pinned host key)."""
        return cls(hosts_script(hosts_block({n: a for n, (a, _) in computes.items()})), known_hosts(computes))


def authorized_keys(public_key: str) -> str:
    return expect_fields(public_key.strip() + "\n", len(public_key.split()), "authorized_keys")


SSH_CONFIG = "Host *\n    StrictHostKeyChecking yes\n    UserKnownHostsFile " + NOVA_HOME + "/.ssh/known_hosts\n"


@dataclass
class MigrationArgs:
    target: Target
    migration: Migration
    peers: Peers
    """Every compute, in /etc/hosts and known_hosts."""
    files: dict[str, FileSpec]
    """The compute's rendered files (Plan.files): libvirtd.conf, and qemu.conf with instances on GlusterFS."""
    manager: str
    nova_ssh_key: Optional[pulumi.Output] = None
    """nova's private key (secret), with transport ssh or migrate/resize between computes."""
    pki: Optional[LibvirtPki] = None
    """With transport tls: this compute's certificates, in place before libvirtd restarts (and again when they
    change)."""
    restart_after: list = field(default_factory=list)
    """What runs against the running libvirtd before its restart (the libvirt secret's virsh)."""


class LiveMigration(Component):
    TYPE = "openstack-storage:libvirt:LiveMigration"
    FORMER_TYPES = ("openstack-storage:nova:LiveMigration",)

    def __init__(self, name: str, args: MigrationArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        m = args.migration
        files = [args.files[p] for p in (LIBVIRTD_CONF.path, QEMU_CONF.path) if p in args.files]
        pki = [args.pki] if args.pki else []
        # libvirtd.conf names the certificates, but only its restart reads them: the file is written at once, the
        # restart waits for the certificates' files (`reads`), as a service's restart waits for its keyrings
        self.libvirt = LibvirtConfig(f"{name}-libvirt", ServiceConfigArgs(
            args.target, files, args.manager, reads=[p.files for p in pki], restart_after=args.restart_after),
            opts=self.child())
        self.socket = None
        if args.manager == "systemd" and m.transport in SOCKET:
            # with socket activation, libvirtd listens through these units, not through a --listen flag
            unit = SOCKET[m.transport]
            self.socket = run(f"{name}-socket", args.target,
                              f"systemctl is-enabled --quiet {unit} && systemctl is-active --quiet {unit} || "
                              f"systemctl enable --now {unit}", parent=self, depends_on=[self.libvirt])
        self.hosts = None
        if m.hosts_file:
            self.hosts = run(f"{name}-hosts", args.target, args.peers.hosts_script, parent=self)
        self.ssh = None
        if m.nova_ssh_public_key and args.nova_ssh_key is not None:
            files = {
                f"{NOVA_HOME}/.ssh/id_ed25519": (args.nova_ssh_key, "0600"),
                f"{NOVA_HOME}/.ssh/authorized_keys": (authorized_keys(m.nova_ssh_public_key), "0600"),
                f"{NOVA_HOME}/.ssh/known_hosts": (args.peers.known_hosts, "0644"),
                f"{NOVA_HOME}/.ssh/config": (SSH_CONFIG, "0600"),
            }
            self.ssh = write_files(f"{name}-ssh", args.target, [(path, content, "nova", "nova", mode)
                                                                 for path, (content, mode) in files.items()],
                                   parent=self)
        self.finish(host=args.target.host, files=[self.libvirt, self.ssh])
