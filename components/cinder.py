"""cinder.conf: the Ceph backends in `enabled_backends`, one section each, and cinder-backup to Ceph."""
from __future__ import annotations

import configparser

from .config import StackConfig
from .render import render_ini
from .service_config import ServiceConfig

PATH = "/etc/cinder/cinder.conf"
ROLES = ("cinder-volume", "cinder-backup")


def render_conf(cfg: StackConfig) -> str:
    c = cfg.cinder
    return render_ini("cinder.conf.j2", "cinder", c.options, backends=c.backends, backup=c.backup,
                      ceph_conf=cfg.ceph.conf_path(), secret_uuid=cfg.ceph.libvirt_secret_uuid)


class CinderConfig(ServiceConfig):
    TYPE = "openstack-storage:cinder:Config"


def backend_names(rendered: str) -> dict[str, str]:
    """enabled_backends section -> its volume_backend_name, read back from the rendered file itself."""
    parser = configparser.RawConfigParser(default_section="\0")
    parser.optionxform = str
    parser.read_string(rendered)
    enabled = [b.strip() for b in parser.get("DEFAULT", "enabled_backends", fallback="").split(",") if b.strip()]
    return {b: parser.get(b, "volume_backend_name", fallback=b) for b in enabled if parser.has_section(b)}
