"""libvirt on the computes: the secret holding the cephx key, then TLS migration (PKI, libvirtd, nova's SSH)."""
from __future__ import annotations

from typing import Optional

import pulumi

from ..libvirt.migration import LiveMigration, MigrationArgs, Peers
from ..libvirt.pki import LibvirtPki, LibvirtPkiArgs, migration_ca
from ..libvirt.secret import LibvirtSecret, LibvirtSecretArgs
from ..plan import Plan
from .wiring import Wiring


def secrets(p: Plan, w: Wiring, clients: dict) -> None:
    cfg, ceph, hosts = p.cfg, p.cfg.ceph, w.hosts
    client = cfg.libvirt_client()
    for host in sorted(cfg.hosts_with("nova-compute")) if client else []:
        w.secrets[host] = w.add(LibvirtSecret(f"{host}-libvirt-secret", LibvirtSecretArgs(
            hosts[host], str(ceph.libvirt_secret_uuid), f"{ceph.cluster}.client.{client} secret",
            clients[client].key, cfg.nova.libvirt_uri if cfg.nova else None)), host)


def migration(p: Plan, w: Wiring, keys: dict[str, Optional[pulumi.Output]]) -> None:
    """After `secrets`: libvirtd's restart waits for virsh (w.secrets)."""
    cfg, hosts, m = p.cfg, w.hosts, p.cfg.migration
    computes = cfg.hosts_with("nova-compute")
    peers = Peers.of({h: (cfg.hosts[h].address, cfg.hosts[h].host_key) for h in computes})
    ca = migration_ca(m, keys.get("migration_ca_key")) if m.tls() else None
    for h in computes:
        pki = ca and w.add(LibvirtPki(f"{h}-libvirt-pki", LibvirtPkiArgs(
            hosts[h], cfg.hosts[h].address, *ca, native_tls=cfg.native_tls(), qemu_group=m.qemu_group,
            days=m.cert_days)), h)
        w.migration[h] = w.add(LiveMigration(f"{h}-migration", MigrationArgs(
            hosts[h], m, peers, p.files[h], cfg.service_manager, nova_ssh_key=keys.get("nova_ssh_private_key"),
            pki=pki or None, restart_after=[w.secrets[h]] if h in w.secrets else [])), h)
