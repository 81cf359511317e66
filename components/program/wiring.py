"""What the program's wiring builds up as it registers the components: each host's connection, what must be in place
before a host's services restart on new config, and what must finish before a role serves its new config."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
from pulumi_command import remote

from ..config import StackConfig
from ..core.remote import Target


@dataclass
class Wiring:
    cfg: StackConfig
    hosts: dict[str, Target]
    before_restart: dict[str, list] = field(default_factory=dict)
    """host -> what its services need before they restart on new config (keyrings, pools, the storage the configs
    point at)."""
    serving: dict[str, list] = field(default_factory=dict)
    """role -> what must finish before the role serves on its new config (its restarts): cloud resources wait here."""
    gluster: dict[str, pulumi.Resource] = field(default_factory=dict)
    """GlusterFS volume name -> its component."""
    nfs: dict[str, pulumi.Resource] = field(default_factory=dict)
    """NFS export name -> the component of the server that exports it."""
    migration: dict[str, pulumi.Resource] = field(default_factory=dict)
    """compute -> its LiveMigration, what configures and restarts its libvirtd: nova-compute restarts when its files
    (`.libvirt.written`) change."""
    before_write: dict[str, list] = field(default_factory=dict)
    """service -> what must pass before its config is written: the backend guard before cinder.conf."""
    secrets: dict[str, pulumi.Resource] = field(default_factory=dict)
    """compute -> its LibvirtSecret: virsh defines the secret in the running libvirtd, and libvirtd's restart (which
    keeps the persistent secret) waits for it, so virsh never runs while libvirtd restarts."""
    keyrings: dict[str, pulumi.Resource] = field(default_factory=dict)
    """host -> the file resource of its ceph.conf and keyrings: a rotated key's services restart on its change."""
    created: list = field(default_factory=list)

    def add(self, component, host: Optional[str] = None):
        """Keep `component`; on `host`, its services restart after it."""
        self.created.append(component)
        if host:
            self.before_restart[host].append(component)
        return component


def targets(cfg: StackConfig, private_key: pulumi.Input[str],
            proxy_key: Optional[pulumi.Input[str]] = None) -> dict[str, Target]:
    key = pulumi.Output.secret(private_key)
    via = pulumi.Output.secret(proxy_key) if proxy_key is not None else key
    out = {}
    for name, h in cfg.hosts.items():
        ssh = cfg.ssh_for(name)
        bounds = {"timeout": ssh.connect_timeout, "attempts": ssh.connect_attempts}
        conn = {"name": f"host {name}", "host": h.address, "port": ssh.port, "user": ssh.user, "host_key": h.host_key,
                **bounds}
        proxy = ({"host": ssh.proxy.address, "port": ssh.proxy.port, "user": ssh.proxy.user,
                  "host_key": ssh.proxy.host_key} if ssh.proxy else None)
        command = remote.ConnectionArgs(
            host=h.address, port=ssh.port, user=ssh.user, host_key=h.host_key, private_key=key,
            per_dial_timeout=ssh.connect_timeout, dial_error_limit=ssh.connect_attempts,
            proxy=remote.ProxyConnectionArgs(**proxy, private_key=via) if proxy else None)
        both = pulumi.Output.all(key, via).apply(
            lambda keys, c=conn, p=proxy, b=bounds, n=name: {
                **c, "private_key": keys[0],
                **({"proxy": {**p, **b, "name": f"the bastion of {n}", "private_key": keys[1]}} if p else {})})
        out[name] = Target(name, pulumi.Output.secret(both), command)
    return out
