"""The hosts and how the program reaches them over SSH."""
from __future__ import annotations

from collections import Counter
from typing import Optional

from pydantic import Field, field_validator

from .base import ROLES, Address, HostKey, Model, Role
from .strings import UnixName


class SshProxy(Model):
    address: Address = Field(description="The bastion (jump host) the program connects through.")
    port: int = Field(22, ge=1, le=65535, description="Its SSH port.")
    user: UnixName = Field("root", description="Login user on the bastion (it only forwards the connection).")
    host_key: HostKey = Field(description="Pinned SSH host public key of the bastion.")


class Ssh(Model):
    user: UnixName = Field("root", description="SSH login user on the hosts.")
    port: int = Field(22, ge=1, le=65535, description="SSH port.")
    connect_timeout: int = Field(10, ge=1, le=300, description="Seconds one connection attempt may take (a hung or "
                                 "unreachable host fails after connect_attempts of them).")
    connect_attempts: int = Field(3, ge=1, le=20, description="Connection attempts per step before it fails "
                                  "(a refused or timed-out host is retried this often).")
    proxy: Optional[SshProxy] = Field(None, description="Reach the hosts through this bastion; its login uses the "
                                      "secret `ssh_proxy_private_key` when set, else `ssh_private_key`.")


class Host(Model):
    address: Address = Field(description="IP address or DNS name the program connects to over SSH.")
    host_key: HostKey = Field(description="Pinned SSH host public key (`ssh-ed25519 AAAA...`, as in the host's "
                              "/etc/ssh/ssh_host_ed25519_key.pub without its comment); a host presenting another "
                              "key is refused.")
    roles: list[Role] = Field(default_factory=list, description=f"Services on this host: {', '.join(ROLES)}.")
    ssh: Optional[Ssh] = Field(None, description="Per-host override of the stack's `ssh` settings.")

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles):
        dup = [r for r, n in Counter(roles).items() if n > 1]
        if dup:
            raise ValueError(f"role {dup[0]!r} is listed twice")
        return roles
