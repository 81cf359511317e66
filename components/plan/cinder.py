"""cinder.conf: every backend in `enabled_backends`, one section each (Ceph RBD, NFS, GlusterFS through NFS or,
before Ocata, natively, LVM iSCSI), cinder-backup to Ceph, and the shares files of the file backends."""
from __future__ import annotations

import configparser

from ..config import StackConfig
from .fileformats import expect_fields
from .render import HostFile, render_ini

ROLES = ("cinder-volume", "cinder-backup")
CONF = HostFile("root", "cinder", "0640", ROLES, ("cinder", "ceph", "nfs_exports", "gluster"),
                "/etc/cinder/cinder.conf")
"""A service's config is readable by its group only (a config may name a secret); the shares files beside it are
placed with the same attributes."""


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
    export = cfg.served_by(backend)
    return "vers=4.1" if export and export.server == "ganesha" else None


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
                      mount_options=lambda b: mount_options(cfg, b), root_squashed=cfg.root_squashed)


def backend_names(rendered: str) -> dict[str, str]:
    """enabled_backends section -> its volume_backend_name, read back from the rendered file itself."""
    parser = configparser.RawConfigParser(default_section="\0")
    parser.optionxform = str
    parser.read_string(rendered)
    enabled = [b.strip() for b in parser.get("DEFAULT", "enabled_backends", fallback="").split(",") if b.strip()]
    return {b: parser.get(b, "volume_backend_name", fallback=b) for b in enabled if parser.has_section(b)}
