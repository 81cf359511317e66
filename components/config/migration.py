"""libvirt live migration between the computes."""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, model_validator

from .base import Model, Name
from .strings import PublicKey, UnixName

# One certificate and nothing else: the file the computes get holds exactly it.
PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=]{1,76}\r?\n)+-----END CERTIFICATE-----")


class Migration(Model):
    transport: Literal["tls", "tcp-sasl", "ssh", "tcp"] = Field(
        "tls", description="libvirt migration transport; `tcp` (auth_tcp none) needs allow_insecure_tcp.")
    allow_insecure_tcp: bool = Field(False, description="Opt-in: unauthenticated, unencrypted libvirt TCP.")
    hosts_file: bool = Field(True, description="Add the computes to /etc/hosts on every compute.")
    nova_ssh_public_key: Optional[PublicKey] = Field(None, description="Public half of secret `nova_ssh_private_key`: SSH "
                                               "between nova users for migrate/resize, with pinned known_hosts.")
    ca_cert: Optional[str] = Field(None, description="With transport tls: PEM of the CA that signs the computes' "
                                   "certificates, its key the secret `migration_ca_key`. Unset: the program creates "
                                   "a CA and keeps it (key included) as a secret in the stack's state.")
    native_tls: bool = Field(True, description="With transport tls: qemu's native TLS for the migration stream too "
                             "(nova live_migration_with_native_tls; certificates in /etc/pki/qemu).")
    qemu_group: UnixName = Field("kvm", description="Group qemu runs as: it may read /etc/pki/qemu's private keys.")
    cert_days: int = Field(825, ge=1, le=3650, description="Validity of the computes' certificates, in days.")
    socket_group: Optional[Name] = Field("libvirt", description="Group whose members (nova, as nova-compute runs) "
                                         "may use libvirtd's local read-write socket (unix_sock_group, mode 0770, no "
                                         "polkit); unset leaves the socket to the distribution's defaults.")

    @model_validator(mode="after")
    def _insecure(self):
        if self.transport == "tcp" and not self.allow_insecure_tcp:
            raise ValueError("transport tcp is unauthenticated and unencrypted (auth_tcp none); use tls, tcp-sasl or "
                             "ssh, or opt in with allow_insecure_tcp: true")
        if self.transport == "ssh" and not self.nova_ssh_public_key:
            raise ValueError("transport ssh needs nova_ssh_public_key (and secret nova_ssh_private_key)")
        if self.ca_cert and self.transport != "tls":
            raise ValueError(f"ca_cert is for transport tls, not {self.transport}; remove it or use tls")
        if self.ca_cert and not PEM_CERT.fullmatch(self.ca_cert.strip()):
            raise ValueError("ca_cert is not one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END "
                             "CERTIFICATE-----, base64 between, nothing around it)")
        return self

    def tls(self) -> bool:
        return self.transport == "tls"
