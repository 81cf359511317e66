"""cinder.conf: every backend in `enabled_backends`, one section each (Ceph RBD, NFS, GlusterFS through NFS or,
before Ocata, natively, LVM iSCSI), cinder-backup to Ceph, and the shares files of the file backends."""
from __future__ import annotations

import configparser

from ..config import StackConfig
from ..core.fileformats import expect_fields
from ..core.render import render_ini
from .service_config import ServiceConfig

PATH = "/etc/cinder/cinder.conf"
ROLES = ("cinder-volume", "cinder-backup")


def shares_path(cfg: StackConfig, backend) -> str:
    native = backend.type == "glusterfs" and cfg.old_release()
    return f"/etc/cinder/{'glusterfs' if native else 'nfs'}_shares_{backend.name}"


def nfs_share(cfg: StackConfig, export_name: str) -> str:
    e = cfg.nfs_export(export_name)
    return f"{cfg.hosts[e.host].address}:{e.pseudo_path() if e.server == 'ganesha' else e.path}"


def shares(cfg: StackConfig, backend) -> list[str]:
    if backend.type == "nfs":
        return list(backend.shares) or [nfs_share(cfg, backend.export)]
    if cfg.old_release():   # native driver: host:/volume
        vol = cfg.gluster_volume(backend.volume)
        return [f"{cfg.hosts[vol.bricks[0].host].address}:/{vol.name}"]
    return [nfs_share(cfg, cfg.ganesha_export_of(backend.volume).name)]


def mount_options(cfg: StackConfig, backend):
    """The stack's nfs_mount_options, else vers=4.1 when the share is an NFS-Ganesha pseudo path: those exist only
    over NFSv4, and a client that falls back to v3 finds nothing there."""
    if backend.mount_options:
        return backend.mount_options
    export = served_by(cfg, backend)
    return "vers=4.1" if export and export.server == "ganesha" else None


def served_by(cfg: StackConfig, backend):
    """The nfs_exports entry a file backend mounts, where the stack describes it."""
    if backend.type == "nfs" and backend.export:
        return cfg.nfs_export(backend.export)
    if backend.type == "glusterfs" and not cfg.old_release():
        return cfg.ganesha_export_of(backend.volume)
    return None


def root_squashed(cfg: StackConfig, backend) -> bool:
    """Whether the backend's share is an export the stack describes with root squashed (the default). Cinder's
    `auto` then finds on a new install that root cannot write the share and stops, or on an old one falls back to
    root operations and mode 0666 files: its file operations must run as the cinder user, and its files 0660."""
    export = served_by(cfg, backend)
    return bool(export and not export.no_root_squash)


def extra_files(cfg: StackConfig) -> dict[str, str]:
    """Files cinder-volume reads besides cinder.conf: one shares file per file backend."""
    return {shares_path(cfg, b): expect_fields("\n".join(shares(cfg, b)) + "\n", 1, shares_path(cfg, b))
            for b in cfg.cinder.backends if b.type in ("nfs", "glusterfs")}


def wanted(cfg: StackConfig) -> bool:
    return cfg.cinder is not None


def render_conf(cfg: StackConfig) -> str:
    c = cfg.cinder
    return render_ini("cinder.conf.j2", "cinder", c.options, backends=c.backends, backup=c.backup,
                      ceph_conf=cfg.ceph.conf_path() if cfg.ceph else None,
                      secret_uuid=cfg.ceph.libvirt_secret_uuid if cfg.ceph else None,
                      native_gluster=cfg.old_release(), shares_path=lambda b: shares_path(cfg, b),
                      mount_options=lambda b: mount_options(cfg, b), root_squashed=lambda b: root_squashed(cfg, b))


def backend_names(rendered: str) -> dict[str, str]:
    """enabled_backends section -> its volume_backend_name, read back from the rendered file itself."""
    parser = configparser.RawConfigParser(default_section="\0")
    parser.optionxform = str
    parser.read_string(rendered)
    enabled = [b.strip() for b in parser.get("DEFAULT", "enabled_backends", fallback="").split(",") if b.strip()]
    return {b: parser.get(b, "volume_backend_name", fallback=b) for b in enabled if parser.has_section(b)}


class CinderConfig(ServiceConfig):
    TYPE = "openstack-storage:cinder:Config"
