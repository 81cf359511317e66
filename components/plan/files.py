"""Every file the hosts get, rendered once before any resource (`Plan.files`): per host, path -> its FileSpec, with
the owner, group, mode and restarts its subsystem declares once (a HostFile in plan/<subsystem>.py); the services'
configs and ceph.conf are also kept per service and per host (`Plan.configs`, `Plan.ceph_conf`). The components only place what is here; what is made from keys at
deploy time (keyrings, certificates, nova's SSH key) is not, and the libvirt secret's XML is part of its step's
script, not a file on the host."""
from __future__ import annotations

from ..config import ROLES, StackConfig
from . import cinder, glance, nova
from .ceph import CEPH_CONF
from .libvirt import LIBVIRTD_CONF, QEMU_CONF, render_libvirtd, render_qemu
from .render import FileSpec, HostFile, render
from .storage import (GANESHA_CONF, GLUSTERD_VOL, IDMAPD_CONF, KERNEL_EXPORTS, TGT_INCLUDE, VOLUMES_DIR,
                      kernel_exports_path, render_ganesha)

SERVICES = {"glance": glance, "cinder": cinder, "nova": nova}
"""The OpenStack services the program writes a config for -> their plan module (ROLES, CONF, wanted, render_conf)."""


def service_roles(cfg: StackConfig, module) -> dict[str, list[str]]:
    """host -> the service module's roles it has, for every host with one."""
    out = {h: [r for r in module.ROLES if r in cfg.hosts[h].roles] for h in cfg.hosts}
    return {h: roles for h, roles in out.items() if roles}


def extra_files(cfg: StackConfig, module, roles: list[str]) -> dict[str, str]:
    """The files a service's config names beside it (cinder-volume's shares files)."""
    return module.extra_files(cfg) if hasattr(module, "extra_files") and "cinder-volume" in roles else {}


def service_configs(cfg: StackConfig) -> dict[str, str]:
    """service -> its config file, for the services the stack has."""
    return {service: module.render_conf(cfg) for service, module in SERVICES.items() if module.wanted(cfg)}


def host_files(cfg: StackConfig, ceph_conf: dict[str, str], configs: dict[str, str],
               secret_keys: frozenset = frozenset()) -> dict[str, dict[str, FileSpec]]:
    """host -> path -> FileSpec; `secret_keys`: the top-level config keys that hold a secret."""
    files: dict[str, dict[str, FileSpec]] = {h: {} for h in cfg.hosts}

    def place(host: str, kind: HostFile, content: str, path: str | None = None) -> None:
        names = tuple(cfg.service(s) for s in kind.restarts if s not in ROLES or s in cfg.hosts[host].roles)
        path = path or kind.path
        files[host][path] = FileSpec(path, content, kind.owner, kind.group, kind.mode, names,
                                     bool(secret_keys & set(kind.sources)))

    for h, conf in ceph_conf.items():
        place(h, CEPH_CONF, conf, cfg.ceph.conf_path())
    for service, content in configs.items():
        module = SERVICES[service]
        for h, roles in service_roles(cfg, module).items():
            place(h, module.CONF, content)
            for path, text in extra_files(cfg, module, roles).items():
                place(h, module.CONF, text, path)
    volumes = cfg.gluster.volumes if cfg.gluster else []
    insecure = {b.host for v in volumes if v.insecure_ports for b in v.bricks}
    for h in cfg.hosts_with("gluster-server") if cfg.gluster else []:
        place(h, GLUSTERD_VOL, render("glusterd.vol.j2", insecure=h in insecure))
    for e in cfg.nfs_exports:
        if e.server == "kernel":
            place(e.host, KERNEL_EXPORTS, render("exports.j2", export=e), kernel_exports_path(e))
    for host in {e.host for e in cfg.nfs_exports if e.server == "ganesha"}:
        ganesha = [e for e in cfg.nfs_exports if e.host == host and e.server == "ganesha"]
        place(host, GANESHA_CONF, render_ganesha(ganesha, cfg.ganesha_options or {}))
    share, m = cfg.instances_share, cfg.migration
    # the same for every compute: rendered (and parsed back) once
    idmapd = render("idmapd.conf.j2", domain=share.idmap_domain) if share and share.idmap_domain else None
    libvirtd = render_libvirtd(m) if m else None
    qemu = render_qemu() if m and share and not share.dynamic_ownership else None
    for h in cfg.hosts_with("nova-compute"):
        if idmapd:
            place(h, IDMAPD_CONF, idmapd)
        if libvirtd:
            place(h, LIBVIRTD_CONF, libvirtd)
        if qemu:
            place(h, QEMU_CONF, qemu)
    lvm = cfg.backends("lvm")
    if any(b.target_helper == "tgtadm" for b in lvm):
        tgt = render("tgt-cinder.conf.j2", volumes_dir=VOLUMES_DIR)
        for h in cfg.hosts_with("cinder-volume"):
            place(h, TGT_INCLUDE, tgt)
    return files
