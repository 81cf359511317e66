"""nova.conf `[libvirt]`: RBD ephemeral disks, the rbd user and libvirt secret UUID, injection off."""
from __future__ import annotations

from .config import StackConfig
from .render import render_ini
from .service_config import ServiceConfig

PATH = "/etc/nova/nova.conf"
ROLES = ("nova-compute",)


def render_conf(cfg: StackConfig) -> str:
    return render_ini("nova.conf.j2", "nova", cfg.nova.options, nova=cfg.nova, ceph_conf=cfg.ceph.conf_path(),
                      secret_uuid=cfg.ceph.libvirt_secret_uuid)


class NovaConfig(ServiceConfig):
    TYPE = "openstack-storage:nova:Config"
