"""Every check of a stack's config that one field cannot make alone, run by `config.load` for every stack, with or
without Ceph, before any resource exists: names used are defined, services agree with each other, NFS export ids
are distinct, and the files the stack names (images, the CA bundle) are there and are what it says."""
from __future__ import annotations

import re
from pathlib import Path

from . import options
from .base import RELEASES, ConfigError, _dupes, release_index
from .files import read_cacert, sha256_file
from .stack import StackConfig


def check(cfg: StackConfig, root: Path) -> None:
    """Raises the first ConfigError, each subsystem in turn; `root` is where relative file paths start."""
    check_hosts(cfg)
    check_shared_storage(cfg)
    check_openstack(cfg)
    options.check(cfg)
    check_ceph(cfg)
    check_files(cfg, root)


def check_hosts(cfg: StackConfig) -> None:
    addr = _dupes(f"{h.address}:{cfg.ssh_for(n).port}" for n, h in cfg.hosts.items())
    if addr:
        first = [n for n, h in cfg.hosts.items() if f"{h.address}:{cfg.ssh_for(n).port}" == addr]
        raise ConfigError(f"hosts.{first[1]}.address", f"{addr} is already used by host {first[0]}")


def check_ceph(cfg: StackConfig) -> None:
    ceph = cfg.ceph
    uses_ceph = cfg.glance or cfg.nova or cfg.backends("ceph") or (cfg.cinder and cfg.cinder.backup)
    if uses_ceph and not ceph:
        raise ConfigError("ceph", "missing; glance, cinder or nova use Ceph, so the cluster must be described")
    if not ceph:
        return
    if ceph.admin_host not in cfg.hosts:
        raise ConfigError("ceph.admin_host", f"host {ceph.admin_host!r} is not defined in hosts")
    for what, names in (("pool", [p.name for p in ceph.pools]), ("client", [c.name for c in ceph.clients])):
        dup = _dupes(names)
        if dup:
            raise ConfigError(f"ceph.{what}s[{dup}]", f"{what} {dup!r} is defined twice; give each {what} one entry")
    pools = {p.name for p in ceph.pools}
    for c in ceph.clients:
        for pool in c.caps:
            if pool not in pools:
                raise ConfigError(f"ceph.clients[{c.name}].caps.{pool}",
                                  f"pool {pool!r} is not defined in ceph.pools; add it there or fix the name")
        for h in c.hosts:
            if h not in cfg.hosts:
                raise ConfigError(f"ceph.clients[{c.name}].hosts", f"host {h!r} is not defined in hosts")

    def uses(key: str, user: str, pool: str, role: str, pool_key: str = "pool"):
        client = ceph.client_named(user)
        if client is None:
            raise ConfigError(f"{key}.rbd_user", f"client {user!r} is not defined in ceph.clients")
        if pool not in pools:
            raise ConfigError(f"{key}.{pool_key}", f"pool {pool!r} is not defined in ceph.pools")
        if client.caps.get(pool) != "rbd":
            raise ConfigError(f"ceph.clients[{user}].caps.{pool}",
                              f"{key} writes to pool {pool!r} as client.{user}, which needs 'rbd' caps there")
        hosts = cfg.hosts_with(role)
        if not hosts:
            raise ConfigError(key, f"no host has role {role!r}; add it to the host that runs {role}")
        placed = cfg.keyrings()
        missing = [h for h in hosts if user not in placed.get(h, {})]
        if missing:
            raise ConfigError(f"ceph.clients[{user}].roles",
                              f"{role} on {', '.join(missing)} needs the keyring of client.{user}; "
                              f"add role {role!r} to this client")

    if cfg.glance:
        uses("glance", cfg.glance.rbd_user, cfg.glance.pool, "glance-api")
    if cfg.cinder:
        dup = _dupes(b.name for b in cfg.cinder.backends)
        if dup:
            raise ConfigError(f"cinder.backends[{dup}]", f"backend {dup!r} is defined twice")
        for b in cfg.backends("ceph"):
            uses(f"cinder.backends[{b.name}]", b.rbd_user, b.pool, "cinder-volume")
        if cfg.cinder.backup:
            uses("cinder.backup", cfg.cinder.backup.rbd_user, cfg.cinder.backup.pool, "cinder-backup")
    if cfg.nova:
        if cfg.nova.images_type == "rbd":
            uses("nova", cfg.nova.rbd_user, cfg.nova.images_rbd_pool, "nova-compute", "images_rbd_pool")
        elif ceph.client_named(cfg.nova.rbd_user) is None:
            raise ConfigError("nova.rbd_user", f"client {cfg.nova.rbd_user!r} is not defined in ceph.clients")
        if not cfg.hosts_with("nova-compute"):
            raise ConfigError("nova", "no host has role 'nova-compute'")
    secret_user = cfg.libvirt_client()
    if secret_user and cfg.cinder:
        for b in cfg.backends("ceph"):
            if b.rbd_user != secret_user:
                raise ConfigError(
                    f"cinder.backends[{b.name}].rbd_user",
                    f"{b.rbd_user!r} differs from nova.rbd_user {secret_user!r}: computes attach volumes with the "
                    f"key in libvirt secret {ceph.libvirt_secret_uuid}, which holds client.{secret_user}'s key; "
                    f"use the same user")


def check_shared_storage(cfg: StackConfig) -> None:
    """Gluster volumes, NFS exports, the instances share, migration and the non-Ceph backends."""
    if release_index(cfg.release) == len(RELEASES) and not re.fullmatch(r"20\d\d\.[12]", cfg.release):
        raise ConfigError("release", f"unknown OpenStack release {cfg.release!r}; use a name (e.g. caracal) or a "
                          f"version (e.g. 2024.1)")

    def host_with(key: str, host: str, role: str):
        if host not in cfg.hosts:
            raise ConfigError(key, f"host {host!r} is not defined in hosts")
        if role not in cfg.hosts[host].roles:
            raise ConfigError(key, f"host {host!r} does not have role {role!r}; add it to its roles")

    volumes = cfg.gluster.volumes if cfg.gluster else []
    for what, names in (("gluster.volumes", [v.name for v in volumes]), ("nfs_exports", [e.name for e in cfg.nfs_exports])):
        dup = _dupes(names)
        if dup:
            raise ConfigError(f"{what}[{dup}]", f"{dup!r} is defined twice")
    for v in volumes:
        for i, b in enumerate(v.bricks):
            host_with(f"gluster.volumes[{v.name}].bricks[{i}].host", b.host, "gluster-server")
    for e in cfg.nfs_exports:
        host_with(f"nfs_exports[{e.name}].host", e.host, "nfs-server")
        if e.gluster_volume and not cfg.gluster_volume(e.gluster_volume):
            raise ConfigError(f"nfs_exports[{e.name}].gluster_volume",
                              f"volume {e.gluster_volume!r} is not defined in gluster.volumes")
    ids: dict[int, str] = {}
    for e in cfg.nfs_exports:
        other = ids.setdefault(e.export_id(), e.name)
        if other != e.name:
            raise ConfigError(f"nfs_exports[{e.name}]", f"its export id collides with {other!r}'s; rename one")
    for b in cfg.backends("nfs"):
        if b.export and not cfg.nfs_export(b.export):
            raise ConfigError(f"cinder.backends[{b.name}].export", f"export {b.export!r} is not defined in nfs_exports")
    for b in cfg.backends("glusterfs"):
        if not cfg.gluster_volume(b.volume):
            raise ConfigError(f"cinder.backends[{b.name}].volume", f"volume {b.volume!r} is not defined in gluster.volumes")
        if not cfg.old_release() and not cfg.ganesha_export_of(b.volume):
            raise ConfigError(f"cinder.backends[{b.name}]",
                              f"release {cfg.release} has no GlusterFS volume driver (removed in Ocata): export "
                              f"volume {b.volume!r} through nfs_exports with gluster_volume: {b.volume}, and cinder "
                              f"uses it through its NFS driver")
    for b in cfg.backends("nfs") + cfg.backends("glusterfs"):
        snapshots = {**(cfg.cinder.options.get(b.name) or {}), **b.options}.get("nfs_snapshot_support")
        if str(snapshots).lower() in ("true", "1", "yes", "on") and cfg.root_squashed(b):
            raise ConfigError(f"cinder.backends[{b.name}].options.nfs_snapshot_support",
                              "cinder refuses snapshots with nas_secure_file_operations, which the program sets for a "
                              "root-squashed export (cinder-volume would not start); remove it")
    squashed = [b.name for b in cfg.backends("nfs") + cfg.backends("glusterfs") if cfg.root_squashed(b)]
    if squashed and cfg.hosts_with("nova-compute") and not cfg.cinder.file_volume_group:
        raise ConfigError("cinder.file_volume_group",
                          f"backend {squashed[0]!r} keeps its volumes as 0660 files of cinder's group (its export "
                          "squashes root: nas_secure_file_permissions), and qemu on the computes opens an attached "
                          "one only through that group; set file_volume_group.gid to cinder's gid on the "
                          "cinder-volume hosts (getent group cinder)")
    if cfg.cinder and cfg.cinder.backends and not cfg.hosts_with("cinder-volume"):
        raise ConfigError("cinder.backends", "no host has role 'cinder-volume'")
    share = cfg.instances_share
    if share:
        if share.export and not cfg.nfs_export(share.export):
            raise ConfigError("instances_share.export", f"export {share.export!r} is not defined in nfs_exports")
        e = share.export and cfg.nfs_export(share.export)
        if e and not (e.all_squash or e.no_root_squash):
            raise ConfigError(f"nfs_exports[{e.name}].all_squash",
                              "the instances share squashes only root: nova's privsep (root) then cannot touch nova's "
                              "files there (a boot fails with EPERM), nor libvirt give qemu the disks; set all_squash: "
                              "true with nova's uid and gid as anonymous_uid/anonymous_gid")
        if share.gluster_volume and not cfg.gluster_volume(share.gluster_volume):
            raise ConfigError("instances_share.gluster_volume",
                              f"volume {share.gluster_volume!r} is not defined in gluster.volumes")
    if (share or cfg.migration) and not cfg.hosts_with("nova-compute"):
        raise ConfigError("instances_share" if share else "migration", "no host has role 'nova-compute'")


def check_openstack(cfg: StackConfig) -> None:
    if (cfg.volume_types or cfg.images or cfg.qos_specs) and not cfg.openstack:
        raise ConfigError("openstack", "missing; volume_types, qos_specs and images need the cloud's auth settings")
    for what, items in (("qos_specs", cfg.qos_specs), ("volume_types", cfg.volume_types), ("images", cfg.images)):
        dup = _dupes(i.name for i in items)
        if dup:
            raise ConfigError(f"{what}[{dup}]", f"{dup!r} is defined twice")
    backends = [b.name for b in cfg.cinder.backends] if cfg.cinder else []
    qos = {q.name for q in cfg.qos_specs}
    for t in cfg.volume_types:
        if t.backend not in backends:
            raise ConfigError(f"volume_types[{t.name}].backend",
                              f"backend {t.backend!r} is not in cinder.backends ({', '.join(backends) or 'none'})")
        if t.qos and t.qos not in qos:
            raise ConfigError(f"volume_types[{t.name}].qos", f"QoS spec {t.qos!r} is not defined in qos_specs")
    for i in cfg.images:
        if cfg.glance and i.disk_format != "raw" and not i.convert:
            raise ConfigError(f"images[{i.name}].convert",
                              f"glance stores images in Ceph, which boots only RAW, and this source is "
                              f"{i.disk_format}; set convert: true or give a raw source")
        if i.disk_format == "iso" and i.convert:
            raise ConfigError(f"images[{i.name}].convert", "an ISO is not converted; set convert: false")


def check_files(cfg: StackConfig, root: Path) -> None:
    for i in cfg.images:
        if not i.file:
            continue
        source = (root / i.file).resolve()
        if not source.is_file():
            raise ConfigError(f"images[{i.name}].file", f"no such file: {source}")
        digest = i.sha256 and sha256_file(source)
        if digest != i.sha256:
            raise ConfigError(f"images[{i.name}].sha256",
                              f"{source} has sha256 {digest}, not the expected one; fix the file or the checksum")
    read_cacert(cfg.openstack, root)
