"""Ceph: the pools and cephx users on the admin host, then ceph.conf and the keyrings on every host that uses them."""
from __future__ import annotations

import pulumi

from ..ceph.cli import cli
from ..ceph.client import CephClient, CephClientArgs
from ..ceph.conf import CephConf, CephConfArgs, Keyring
from ..ceph.pool import CephPool, CephPoolArgs
from ..plan import Plan
from .wiring import Wiring


def ceph(p: Plan, w: Wiring) -> dict[str, CephClient]:
    """Returns the cephx users by name."""
    cfg, ceph, hosts = p.cfg, p.cfg.ceph, w.hosts
    admin, bash = hosts[ceph.admin_host], cli(ceph)
    pools = {pl.name: w.add(CephPool(f"ceph-pool-{pl.name}", CephPoolArgs(admin, bash, pl)))
             for pl in ceph.pools}
    # A cephx user's caps name its pools as text, so the keys are made while the pools are; the services that use a
    # pool restart after it (`before_restart`).
    clients = {c.name: w.add(CephClient(f"ceph-client-{c.name}", CephClientArgs(admin, ceph.cluster, bash, c)))
               for c in ceph.clients}
    caps = {c.name: c.caps for c in ceph.clients}
    computes = set(cfg.hosts_with("nova-compute"))
    for host, placed in sorted(cfg.keyrings().items()):
        keyrings = [Keyring(ceph.keyring_path(c), c, clients[c].key, *attrs) for c, attrs in sorted(placed.items())]
        conf = w.add(CephConf(f"{host}-ceph", CephConfArgs(
            hosts[host], p.files[host][ceph.conf_path()], keyrings,
            runtime_dirs=ceph.client.runtime_dirs() if host in computes else [],
            runtime_owner=ceph.client.runtime_owner, runtime_group=ceph.client.runtime_group),
            opts=pulumi.ResourceOptions(depends_on=[clients[c] for c in sorted(placed)])), host)
        w.keyrings[host] = conf.files
        w.before_restart[host] += [pools[pool] for pool in sorted({pool for c in placed for pool in caps[c]})
                                   if pool in pools]
    return clients
