"""Every file the hosts get, rendered once before any resource (`Plan.files`): per host, path -> its FileSpec, with
the owner, group, mode and restarts of the table FILES; the services' configs and ceph.conf are also kept per service
and per host (`Plan.configs`, `Plan.ceph_conf`). The components only place what is here; what is made from keys at
deploy time (keyrings, certificates, nova's SSH key) is not, and the libvirt secret's XML is part of its step's
script, not a file on the host."""
from __future__ import annotations

from .config import ROLES, StackConfig
from .core.render import FileSpec, render
from .services import cinder, glance, nova
from .services.migration import LIBVIRTD_CONF, QEMU_CONF, render_libvirtd, render_qemu
from .storage.gluster import GLUSTERD_VOL
from .storage.instances_share import IDMAPD_CONF
from .storage.lvm import TGT_INCLUDE, VOLUMES_DIR
from .storage.nfs import GANESHA_CONF, kernel_exports_path, render_ganesha

SERVICES = {  # service -> (module, component class); its files are FILES[service]
    "glance": (glance, glance.GlanceConfig),
    "cinder": (cinder, cinder.CinderConfig),
    "nova": (nova, nova.NovaConfig),
}

# Every kind of file rendered here: owner, group, mode, the services (config.SERVICES) that restart when it
# changes (one that is a role, config.ROLES, only on a host with that role), and the top-level config keys whose
# values it holds: when the engine marks one of them secret (a `secure:` value anywhere under it), the file's content
# is a secret. A service's config is readable by its group only (a config may name a secret). Not here: nova-compute
# also restarts when libvirtd's files change (program._services), and kernel exports are applied by `exportfs -ra`,
# not by a restart.
FILES = {
    "ceph.conf": ("root", "root", "0644", (), ("ceph",)),
    "glance": ("root", "glance", "0640", glance.ROLES, ("glance", "ceph")),
    "cinder": ("root", "cinder", "0640", cinder.ROLES, ("cinder", "ceph", "nfs_exports", "gluster")),
    "nova": ("root", "nova", "0640", nova.ROLES, ("nova", "ceph", "migration", "instances_share", "cinder")),
    "glusterd.vol": ("root", "root", "0644", ("glusterd",), ("gluster",)),
    "ganesha.conf": ("root", "root", "0644", ("nfs-ganesha",), ("nfs_exports", "ganesha_options", "gluster")),
    "exports": ("root", "root", "0644", (), ("nfs_exports",)),
    "idmapd.conf": ("root", "root", "0644", (), ("instances_share",)),
    "libvirt": ("root", "root", "0644", ("libvirtd",), ("migration",)),
    "tgt": ("root", "root", "0644", ("tgt",), ()),
}


def service_roles(cfg: StackConfig, module) -> dict[str, list[str]]:
    """host -> the service module's roles it has, for every host with one."""
    out = {h: [r for r in module.ROLES if r in cfg.hosts[h].roles] for h in cfg.hosts}
    return {h: roles for h, roles in out.items() if roles}


def extra_files(cfg: StackConfig, module, roles: list[str]) -> dict[str, str]:
    """The files a service's config names beside it (cinder-volume's shares files)."""
    return module.extra_files(cfg) if hasattr(module, "extra_files") and "cinder-volume" in roles else {}


def ceph_confs(cfg: StackConfig) -> dict[str, str]:
    """host -> its ceph.conf, for every host that gets a keyring: a compute's has qemu's admin socket and log."""
    if not cfg.ceph:
        return {}
    kinds = {qemu: render("ceph.conf.j2", ceph=cfg.ceph, client=cfg.ceph.client.settings(qemu))
             for qemu in (True, False)}
    computes = set(cfg.hosts_with("nova-compute"))
    return {h: kinds[h in computes] for h in cfg.keyrings()}


def service_configs(cfg: StackConfig) -> dict[str, str]:
    """service -> its config file, for the services the stack has."""
    return {service: module.render_conf(cfg) for service, (module, _) in SERVICES.items() if module.wanted(cfg)}


def host_files(cfg: StackConfig, ceph_conf: dict[str, str], configs: dict[str, str],
               secret_keys: frozenset = frozenset()) -> dict[str, dict[str, FileSpec]]:
    """host -> path -> FileSpec; `secret_keys`: the top-level config keys that hold a secret."""
    files: dict[str, dict[str, FileSpec]] = {h: {} for h in cfg.hosts}

    def place(host: str, kind: str, path: str, content: str) -> None:
        owner, group, mode, restarts, sources = FILES[kind]
        names = tuple(cfg.service(s) for s in restarts if s not in ROLES or s in cfg.hosts[host].roles)
        files[host][path] = FileSpec(path, content, owner, group, mode, names, bool(secret_keys & set(sources)))

    for h, conf in ceph_conf.items():
        place(h, "ceph.conf", cfg.ceph.conf_path(), conf)
    for service, content in configs.items():
        module = SERVICES[service][0]
        for h, roles in service_roles(cfg, module).items():
            place(h, service, module.PATH, content)
            for path, text in extra_files(cfg, module, roles).items():
                place(h, service, path, text)
    volumes = cfg.gluster.volumes if cfg.gluster else []
    insecure = {b.host for v in volumes if v.insecure_ports for b in v.bricks}
    for h in cfg.hosts_with("gluster-server") if cfg.gluster else []:
        place(h, "glusterd.vol", GLUSTERD_VOL, render("glusterd.vol.j2", insecure=h in insecure))
    for e in cfg.nfs_exports:
        if e.server == "kernel":
            place(e.host, "exports", kernel_exports_path(e), render("exports.j2", export=e))
    for host in {e.host for e in cfg.nfs_exports if e.server == "ganesha"}:
        ganesha = [e for e in cfg.nfs_exports if e.host == host and e.server == "ganesha"]
        place(host, "ganesha.conf", GANESHA_CONF, render_ganesha(ganesha, cfg.ganesha_options or {}))
    share, m = cfg.instances_share, cfg.migration
    # the same for every compute: rendered (and parsed back) once
    idmapd = render("idmapd.conf.j2", domain=share.idmap_domain) if share and share.idmap_domain else None
    libvirtd = render_libvirtd(m) if m else None
    qemu = render_qemu() if m and share and not share.dynamic_ownership else None
    for h in cfg.hosts_with("nova-compute"):
        if idmapd:
            place(h, "idmapd.conf", IDMAPD_CONF, idmapd)
        if libvirtd:
            place(h, "libvirt", LIBVIRTD_CONF, libvirtd)
        if qemu:
            place(h, "libvirt", QEMU_CONF, qemu)
    lvm = cfg.backends("lvm")
    if any(b.target_helper == "tgtadm" for b in lvm):
        tgt = render("tgt-cinder.conf.j2", volumes_dir=VOLUMES_DIR)
        for h in cfg.hosts_with("cinder-volume"):
            place(h, "tgt", TGT_INCLUDE, tgt)
    return files
