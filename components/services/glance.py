"""glance-api.conf: an RBD store (multi-store form) with the direct URL that copy-on-write clones need."""
from __future__ import annotations

from ..config import StackConfig
from ..core.render import render_ini
from .service_config import ServiceConfig

PATH = "/etc/glance/glance-api.conf"
ROLES = ("glance-api",)


def wanted(cfg: StackConfig) -> bool:
    return cfg.glance is not None


def render_conf(cfg: StackConfig) -> str:
    return render_ini("glance-api.conf.j2", "glance", cfg.glance.options, glance=cfg.glance,
                      ceph_conf=cfg.ceph.conf_path())


class GlanceConfig(ServiceConfig):
    TYPE = "openstack-storage:glance:Config"
