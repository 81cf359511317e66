"""The hosts themselves: what the program must take back from a host that leaves the stack."""
from __future__ import annotations

import pulumi

from ..core.retire import HostSecrets
from ..plan import Plan
from .wiring import Wiring


def retirement(p: Plan, w: Wiring) -> pulumi.Output:
    """Every host's secret material (keyrings, the libvirt secret), removed when the host leaves the stack; what could
    not be removed is the stack output `left_behind` and a warning."""
    cfg, computes = p.cfg, set(p.cfg.hosts_with("nova-compute"))
    ceph, placed = cfg.ceph, cfg.keyrings()
    secret = str(ceph.libvirt_secret_uuid) if ceph and cfg.libvirt_client() else None
    records = {h: {"connection": w.hosts[h].connection,
                   "files": sorted(ceph.keyring_path(c) for c in placed.get(h, {})) if ceph else [],
                   "secret": secret if h in computes else None,
                   "uri": cfg.nova.libvirt_uri if cfg.nova and h in computes else None}
               for h in sorted(cfg.hosts)}
    res = HostSecrets("host-secrets", {h: r for h, r in records.items() if r["files"] or r["secret"]})
    res.left_behind.apply(warn)
    return res.left_behind


def warn(left: dict) -> None:
    for host, what in sorted((left or {}).items()):
        pulumi.log.warn(f"host {host} left the stack, but {', '.join(what['left'])} stayed on it: {what['why']}. "
                        "Remove them when it is back, or wipe it.")
