"""The PKI that libvirt's TLS migration needs on every compute: a CA (the stack's, or one the program creates and
keeps as a secret), and per compute a server and a client certificate naming the compute and its address, in
libvirt's standard paths (and qemu's, for native TLS of the migration stream), private keys 0600 or readable only
by qemu's group. A new compute gets its certificates; a changed name or address issues new ones.

The CA and the certificates are Python dynamic resources made on the machine running pulumi (certs.py): their
private keys exist only as secret outputs in state, never in a preview, a log or a command line.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import pulumi

from ..core.base import Component
# The providers stay importable here: a state written before certs.py names this module, and the provider process
# imports it for them. So what only the component needs (remote.py: pulumi_command and the config models) is
# imported when a component is made.
from .certs import CaProvider, CertificateAuthority, CertProvider, Certificates, CertsProvider  # noqa: F401

if TYPE_CHECKING:
    from ..core.remote import Target

CA_PATH = "/etc/pki/CA/cacert.pem"
LIBVIRT_DIR = "/etc/pki/libvirt"
QEMU_DIR = "/etc/pki/qemu"


def names_of(host: str, address: str) -> tuple[list[str], list[str]]:
    """The DNS names and IP addresses a compute's certificates cover."""
    try:
        ipaddress.ip_address(address)
        return [host], [address]
    except ValueError:
        return sorted({host, address}), []


@dataclass
class LibvirtPkiArgs:
    target: Target
    address: str
    """The compute's address (its name is the target's host name)."""
    ca_cert: pulumi.Input[str]
    ca_key: pulumi.Input[str]
    """Secret."""
    native_tls: bool
    """Also qemu's certificates (nova's live_migration_with_native_tls)."""
    qemu_group: str
    days: int


class LibvirtPki(Component):
    """`files`: the CA and this compute's certificates and keys, in place (libvirtd restarts when they change)."""
    TYPE = "openstack-storage:libvirt:Pki"

    def __init__(self, name: str, args: LibvirtPkiArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        host = args.target.host
        dns, ips = names_of(host, args.address)
        self.certs = c = Certificates(f"{name}-certs", args.ca_cert, args.ca_key, host, dns, ips, args.days,
                                      opts=self.child())
        # secret on their way to the hosts whatever the engine does with the outputs
        s_key, c_key = pulumi.Output.secret(c.server_key_pem), pulumi.Output.secret(c.client_key_pem)
        s_cert, c_cert = c.server_cert_pem, c.client_cert_pem
        files = [(CA_PATH, args.ca_cert, "root", "0644"),
                 (f"{LIBVIRT_DIR}/servercert.pem", s_cert, "root", "0644"),
                 (f"{LIBVIRT_DIR}/private/serverkey.pem", s_key, "root", "0600"),
                 (f"{LIBVIRT_DIR}/clientcert.pem", c_cert, "root", "0644"),
                 (f"{LIBVIRT_DIR}/private/clientkey.pem", c_key, "root", "0600")]
        if args.native_tls:     # qemu runs as its own user: its keys are readable by qemu's group only
            files += [(f"{QEMU_DIR}/ca-cert.pem", args.ca_cert, "root", "0644"),
                      (f"{QEMU_DIR}/server-cert.pem", s_cert, "root", "0644"),
                      (f"{QEMU_DIR}/server-key.pem", s_key, args.qemu_group, "0640"),
                      (f"{QEMU_DIR}/client-cert.pem", c_cert, "root", "0644"),
                      (f"{QEMU_DIR}/client-key.pem", c_key, args.qemu_group, "0640")]
        from ..core.remote import write_files
        self.files = write_files(f"{name}-files", args.target,
                                 [(path, content, "root", group, mode) for path, content, group, mode in files],
                                 parent=self)
        self.finish(host=args.target.host, files=[self.files])


def migration_ca(m, key: Optional[pulumi.Input[str]]) -> tuple:
    """(CA certificate, CA key) for `migration` m: the stack's (its key the secret migration_ca_key), or one the
    program creates once (a CertificateAuthority, kept with its key as a secret in state)."""
    if m.ca_cert:
        return m.ca_cert, key
    ca = CertificateAuthority("migration-ca", f"openstack-storage {pulumi.get_project()}/{pulumi.get_stack()} "
                              "libvirt migration CA")
    return ca.cert_pem, ca.key_pem
