"""nova.conf: `[libvirt]` RBD settings (ephemeral disks, rbd user, libvirt secret UUID, injection off), the
live-migration transport for the stack's release, and the shared instances path."""
from __future__ import annotations

from ..config import StackConfig
from .render import HostFile, render_ini

ROLES = ("nova-compute",)
CONF = HostFile("root", "nova", "0640", ROLES, ("nova", "ceph", "migration", "instances_share", "cinder"),
                "/etc/nova/nova.conf")
"""nova-compute also restarts when libvirtd's files change (program/services.py)."""
SCHEME = {"tls": "tls", "tcp-sasl": "tcp", "tcp": "tcp", "ssh": "ssh"}
DEFAULT_INSTANCES = "/var/lib/nova/instances"


def wanted(cfg: StackConfig) -> bool:
    return bool(cfg.nova or cfg.migration or cfg.instances_share or gluster_driver(cfg))


def gluster_driver(cfg: StackConfig) -> bool:
    """Native gluster attachments (qemu_allowed_storage_drivers) exist only before Ocata."""
    return cfg.old_release() and bool(cfg.backends("glusterfs"))


def render_conf(cfg: StackConfig) -> str:
    share = cfg.instances_share
    path = share.instances_path if share and share.instances_path != DEFAULT_INSTANCES else None
    return render_ini("nova.conf.j2", "nova", cfg.nova.options if cfg.nova else {}, nova=cfg.nova,
                      ceph_conf=cfg.ceph.conf_path() if cfg.ceph else None,
                      secret_uuid=cfg.ceph.libvirt_secret_uuid if cfg.ceph else None,
                      gluster_driver=gluster_driver(cfg), migration=cfg.migration, native_tls=cfg.native_tls(),
                      scheme=SCHEME[cfg.migration.transport] if cfg.migration else None,
                      old_release=cfg.old_release(), instances_path=path)
