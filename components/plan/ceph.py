"""ceph.conf on every host that gets a keyring (the keyrings are made from keys at deploy time: ceph/conf.py)."""
from __future__ import annotations

from ..config import StackConfig
from .render import HostFile, render

CEPH_CONF = HostFile("root", "root", "0644", (), ("ceph",))
"""At /etc/ceph/<cluster>.conf."""


def ceph_confs(cfg: StackConfig) -> dict[str, str]:
    """host -> its ceph.conf, for every host that gets a keyring: a compute's has qemu's admin socket and log."""
    if not cfg.ceph:
        return {}
    kinds = {qemu: render("ceph.conf.j2", ceph=cfg.ceph, client=cfg.ceph.client.settings(qemu))
             for qemu in (True, False)}
    computes = set(cfg.hosts_with("nova-compute"))
    return {h: kinds[h in computes] for h in cfg.keyrings()}
