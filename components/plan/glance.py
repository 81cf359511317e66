"""glance-api.conf: an RBD store (multi-store form) with the direct URL that copy-on-write clones need."""
from __future__ import annotations

from ..config import StackConfig
from .render import HostFile, render_ini

ROLES = ("glance-api",)
CONF = HostFile("root", "glance", "0640", ROLES, ("glance", "ceph"), "/etc/glance/glance-api.conf")


def wanted(cfg: StackConfig) -> bool:
    return cfg.glance is not None


def render_conf(cfg: StackConfig) -> str:
    return render_ini("glance-api.conf.j2", "glance", cfg.glance.options, glance=cfg.glance,
                      ceph_conf=cfg.ceph.conf_path())
