"""The program: which host gets what, and in which order. Everything is rendered and checked (`plan`) before
the first resource is registered (`deploy`)."""
from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pulumi
from pulumi.runtime import config as runtime_config

from .ceph.client import CephClient, CephClientArgs
from .ceph.conf import CephConf, CephConfArgs, Keyring
from .ceph.pool import CephPool, CephPoolArgs
from .cloud.image import Image, ImageArgs, sha256_file, uploaded_format
from .cloud.provider import provider, read_cacert
from .cloud.qos import Qos, QosArgs
from .cloud.volume_type import VolumeType, VolumeTypeArgs
from .config import PROJECT, SECRET_KEYS, StackConfig, load
from .core.remote import targets
from .core.render import FileSpec
from .libvirt.pki import LibvirtPki, LibvirtPkiArgs, migration_ca
from .libvirt.secret import LibvirtSecret, LibvirtSecretArgs
from .rendered import SERVICES, ceph_confs, extra_files, host_files, service_configs, service_roles
from .services import cinder
from .services.migration import LiveMigration, MigrationArgs, Peers
from .services.service_config import ServiceConfigArgs
from .storage.gluster import GLUSTERD_VOL, GlusterdConfig, GlusterVolume, GlusterVolumeArgs
from .storage.file_volumes import FileVolumeAccess, FileVolumeAccessArgs
from .storage.instances_share import IdAgreement, IdAgreementArgs, InstancesMount, InstancesMountArgs
from .storage.lvm import LvmBackend, LvmBackendArgs
from .storage.nfs import NfsServer, NfsServerArgs


@dataclass
class Deployment:
    outputs: dict
    """Stack outputs: per host the files written and services restarted; the libvirt secret UUID."""
    resources: list[pulumi.ComponentResource]
    """Every component created, for callers that wait on or inspect them."""


@dataclass
class Plan:
    cfg: StackConfig
    ceph_conf: dict[str, str] = field(default_factory=dict)
    """host -> its rendered ceph.conf: a compute's has qemu's admin socket and log in [client]."""
    configs: dict[str, str] = field(default_factory=dict)
    """service -> rendered config file."""
    backend_names: dict[str, str] = field(default_factory=dict)
    """cinder backend section -> volume_backend_name, as rendered."""
    images: dict[str, tuple[str, str]] = field(default_factory=dict)
    """image name -> (source path or URL, prepared content-addressed path)."""
    files: dict[str, dict[str, FileSpec]] = field(default_factory=dict)
    """host -> path -> every file the hosts get that the stack alone decides (rendered.py)."""
    secret_keys: frozenset = frozenset()
    """Top-level config keys that hold a Pulumi secret: what derives from them is a secret in the state too."""
    cacert: Optional[str] = None
    """The PEM content of openstack.cacert_file (the provider takes a path or the content: the content keeps the
    provider's inputs the same wherever the project is checked out)."""


def stack_values() -> tuple[dict, set]:
    """This stack's config as the engine (or a test) handed it over, and which secret keys are set."""
    values = dict(runtime_config.get_config_env() or {})
    values.update(runtime_config.CONFIG.get())
    present = {k for k in SECRET_KEYS if runtime_config.get_config(f"{PROJECT}:{k}")}
    return values, present


def _image_sources(cfg: StackConfig, root: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for i in cfg.images:
        if i.file:     # checks.check_files saw it there, with the sha256 the stack gives
            source = (root / i.file).resolve()
            digest = i.sha256 or sha256_file(source)
        else:
            source, digest = i.url, i.sha256 or hashlib.sha256(i.url.encode()).hexdigest()
        prepared = (root / cfg.image_cache_dir / f"{i.name}-{digest[:16]}.{uploaded_format(i)}").resolve()
        out[i.name] = (str(source), str(prepared))
    return out


def secret_config(values: dict) -> frozenset:
    """The stack's top-level keys, other than the secret keys, that the engine marks secret."""
    keys = {k.rpartition(":")[2] for k in values if runtime_config.is_config_secret(k)}
    return frozenset(keys - set(SECRET_KEYS))


def plan(values: dict, secret_keys_set: set, root: Optional[Path] = None) -> Plan:
    """Parse, check (config.load runs every check) and render everything; raises ConfigError and touches nothing.
    `root`: the project directory, which relative image paths start from (the engine runs the program there)."""
    root = root or Path.cwd()
    secret = secret_config(values)
    cfg = load(values, secret_keys_set, root, secret)
    p = Plan(cfg, ceph_conf=ceph_confs(cfg), configs=service_configs(cfg), secret_keys=secret)
    p.files = host_files(cfg, p.ceph_conf, p.configs, secret)
    if "cinder" in p.configs:
        p.backend_names = cinder.backend_names(p.configs["cinder"])
    p.images = _image_sources(cfg, root)
    p.cacert = read_cacert(cfg.openstack, root)
    return p


@dataclass
class _Wiring:
    """What deploy() builds up: per host, what its services need first; per role, what must finish before the
    service is in use; and every component."""
    cfg: StackConfig
    hosts: dict
    ready: dict[str, list] = field(default_factory=dict)
    loaded: dict[str, list] = field(default_factory=dict)
    gluster: dict[str, pulumi.Resource] = field(default_factory=dict)
    """GlusterFS volume name -> its component."""
    nfs: dict[str, pulumi.Resource] = field(default_factory=dict)
    """NFS export name -> the component of the server that exports it."""
    migration: dict[str, pulumi.Resource] = field(default_factory=dict)
    """compute -> its LiveMigration, what configures and restarts its libvirtd: nova-compute restarts when its files
    (`.libvirt.written`) change."""
    secrets: dict[str, pulumi.Resource] = field(default_factory=dict)
    """compute -> its LibvirtSecret: virsh defines the secret in the running libvirtd, and libvirtd's restart (which
    keeps the persistent secret) waits for it, so virsh never runs while libvirtd restarts."""
    created: list = field(default_factory=list)

    def add(self, component, host: Optional[str] = None):
        self.created.append(component)
        if host:
            self.ready[host].append(component)
        return component


def deploy(p: Plan, secrets: dict[str, Optional[pulumi.Output]]) -> Deployment:
    """Register every resource. `secrets`: the stack's secret config values (Outputs) by key."""
    # Registering resources makes millions of small objects that live to the end of the run, and the cyclic
    # collector's default thresholds rescan all of them again and again: at 1000 computes that was 40% of the
    # evaluation, and it grew faster than the stack (bench/evaluate.py). Young objects are collected less often;
    # reference counting still frees the rest, and the peak memory measured the same.
    gc.set_threshold(100_000, 20, 100)
    cfg = p.cfg
    w = _Wiring(cfg, targets(cfg, secrets["ssh_private_key"], secrets.get("ssh_proxy_private_key")),
                ready={h: [] for h in cfg.hosts})
    clients = _ceph(p, w) if cfg.ceph else {}
    if clients:   # before _shared_storage: libvirtd's restart there waits for virsh (w.secrets)
        _libvirt_secrets(p, w, clients)
    _shared_storage(p, w, secrets)
    _services(p, w)
    ids = {}
    if cfg.openstack:
        prov = provider(cfg.openstack, secrets.get("openstack_password"), p.cacert, "openstack" in p.secret_keys)
        made, ids = _openstack(p, prov, w.loaded)
        w.created += made
    outputs = {"hosts": summary(cfg, w.created),
               "libvirt_secret_uuid": str(cfg.ceph.libvirt_secret_uuid) if cfg.ceph else None, **ids}
    # What registration made lives to the end of the run: the collector need not scan it again while the Outputs
    # resolve (the SDK makes a cycle of garbage for every property it checks). At 300 computes 9.0 -> 8.4 s, the
    # 300/100 ratio 3.30-3.34 -> 2.8-3.1; peak memory at 1000 computes the same (931 / 937 MB).
    gc.freeze()
    return Deployment(outputs, w.created)


def _ceph(p: Plan, w: _Wiring) -> dict:
    cfg, ceph, hosts = p.cfg, p.cfg.ceph, w.hosts
    admin, cli = hosts[ceph.admin_host], ceph.cli()
    pools = {pl.name: w.add(CephPool(f"ceph-pool-{pl.name}", CephPoolArgs(admin, cli, pl)))
             for pl in ceph.pools}
    # A cephx user's caps name its pools as text, so the keys are made while the pools are; the services that use a
    # pool start after it (in their host's `ready`).
    clients = {c.name: w.add(CephClient(f"ceph-client-{c.name}", CephClientArgs(admin, ceph.cluster, cli, c)))
               for c in ceph.clients}
    caps = {c.name: c.caps for c in ceph.clients}
    computes = set(cfg.hosts_with("nova-compute"))
    for host, placed in sorted(cfg.keyrings().items()):
        keyrings = [Keyring(ceph.keyring_path(c), c, clients[c].key, *attrs) for c, attrs in sorted(placed.items())]
        w.add(CephConf(f"{host}-ceph", CephConfArgs(
            hosts[host], p.files[host][ceph.conf_path()], keyrings,
            runtime_dirs=ceph.client.runtime_dirs() if host in computes else [],
            runtime_owner=ceph.client.runtime_owner, runtime_group=ceph.client.runtime_group),
            opts=pulumi.ResourceOptions(depends_on=[clients[c] for c in sorted(placed)])), host)
        w.ready[host] += [pools[pool] for pool in sorted({pool for c in placed for pool in caps[c]}) if pool in pools]
    return clients


def _libvirt_secrets(p: Plan, w: _Wiring, clients: dict) -> None:
    cfg, ceph, hosts = p.cfg, p.cfg.ceph, w.hosts
    secret_client = cfg.libvirt_client()
    if secret_client:
        for host in sorted(cfg.hosts_with("nova-compute")):
            w.secrets[host] = w.add(LibvirtSecret(f"{host}-libvirt-secret", LibvirtSecretArgs(
                hosts[host], str(ceph.libvirt_secret_uuid), f"{ceph.cluster}.client.{secret_client} secret",
                clients[secret_client].key, cfg.nova.libvirt_uri if cfg.nova else None)), host)


def _shared_storage(p: Plan, w: _Wiring, secrets: dict[str, Optional[pulumi.Output]]) -> None:
    """Gluster volumes, NFS servers, the shared instances path, live migration and LVM, in that order."""
    cfg, hosts, manager = p.cfg, w.hosts, p.cfg.service_manager
    volumes = cfg.gluster.volumes if cfg.gluster else []
    glusterd = {h: w.add(GlusterdConfig(f"{h}-glusterd",
                                        ServiceConfigArgs(hosts[h], [p.files[h][GLUSTERD_VOL]], manager)), h)
                for h in cfg.hosts_with("gluster-server") if cfg.gluster}
    for v in volumes:
        brick_hosts = sorted({b.host for b in v.bricks})
        w.gluster[v.name] = w.add(GlusterVolume(f"gluster-volume-{v.name}", GlusterVolumeArgs(
            v, {h: hosts[h] for h in brick_hosts}, {h: cfg.hosts[h].address for h in brick_hosts},
            exported=cfg.ganesha_export_of(v.name) is not None, glusterd=[glusterd[h] for h in brick_hosts],
            secret="gluster" in p.secret_keys)))
    for host in sorted({e.host for e in cfg.nfs_exports}):
        exports = [e for e in cfg.nfs_exports if e.host == host]
        server = w.add(NfsServer(f"{host}-nfs", NfsServerArgs(
            hosts[host], exports, p.files[host], manager,
            volumes=[w.gluster[e.gluster_volume] for e in exports if e.gluster_volume])))
        for e in exports:
            w.nfs[e.name] = server
    computes = cfg.hosts_with("nova-compute")
    share = cfg.instances_share
    if share:
        ids = w.add(IdAgreement("instances-ids", IdAgreementArgs(
            {h: hosts[h] for h in computes}, share.align_ids, expect=cfg.instances_owner())))
        if share.export:
            e = cfg.nfs_export(share.export)
            source, fstype, store = cinder.nfs_share(cfg, e.name), "nfs4" if e.server == "ganesha" else "nfs", w.nfs[e.name]
        else:
            v = cfg.gluster_volume(share.gluster_volume)
            source, fstype, store = f"{cfg.hosts[v.bricks[0].host].address}:/{v.name}", "glusterfs", w.gluster[v.name]
        for h in computes:
            w.add(InstancesMount(f"{h}-instances", InstancesMountArgs(
                hosts[h], share, source, fstype, ids.ids[h], ids.gate, p.files[h], store=[store])), h)
    if cfg.migration:
        m = cfg.migration
        peers = Peers.of({h: (cfg.hosts[h].address, cfg.hosts[h].host_key) for h in computes})
        ca = migration_ca(m, secrets.get("migration_ca_key")) if m.tls() else None
        for h in computes:
            pki = ca and w.add(LibvirtPki(f"{h}-libvirt-pki", LibvirtPkiArgs(
                hosts[h], cfg.hosts[h].address, *ca, native_tls=cfg.native_tls(), qemu_group=m.qemu_group,
                days=m.cert_days)), h)
            mig = w.add(LiveMigration(f"{h}-migration", MigrationArgs(
                hosts[h], m, peers, p.files[h], manager, nova_ssh_key=secrets.get("nova_ssh_private_key"),
                pki=pki or None, restart_after=[w.secrets[h]] if h in w.secrets else [])), h)
            w.migration[h] = mig
    lvm = cfg.backends("lvm")
    for h in cfg.hosts_with("cinder-volume") if lvm else []:
        w.add(LvmBackend(f"{h}-lvm", LvmBackendArgs(
            hosts[h], p.files[h], h, sorted({b.volume_group for b in lvm}), manager)), h)
    group = cfg.cinder.file_volume_group if cfg.cinder else None
    volume_hosts = cfg.hosts_with("cinder-volume")
    for h in sorted(set(computes) | set(volume_hosts)) if group else []:
        w.add(FileVolumeAccess(f"{h}-file-volumes", FileVolumeAccessArgs(
            hosts[h], group, compute=h in computes, cinder_volume=h in volume_hosts)), h)
    for h in volume_hosts:   # cinder.conf points at these: they come first
        for b in cfg.backends("nfs"):
            if b.export:
                w.ready[h].append(w.nfs[b.export])
        for b in cfg.backends("glusterfs"):
            w.ready[h].append(w.gluster[b.volume])
            export = cfg.ganesha_export_of(b.volume)
            if export and not cfg.old_release():
                w.ready[h].append(w.nfs[export.name])


def _services(p: Plan, w: _Wiring) -> None:
    cfg = p.cfg
    for service in p.configs:
        module, component = SERVICES[service]
        for host, roles in service_roles(cfg, module).items():
            names = [cfg.service(r) for r in roles]
            files = [p.files[host][path] for path in (module.PATH, *extra_files(cfg, module, roles))]
            # nova-compute loses its libvirt connection when libvirtd restarts (nova then disables the compute until
            # it reconnects, and the scheduler finds no host): it restarts when libvirtd's files change, too
            reads = w.migration[host].libvirt.written if "nova-compute" in roles and host in w.migration else []
            conf = component(f"{host}-{service}-config", ServiceConfigArgs(
                w.hosts[host], files, cfg.service_manager, reads=reads, restart_after=list(w.ready[host])))
            w.created.append(conf)
            for role, name in zip(roles, names):    # (a service nothing restarts is in use once its host is ready)
                w.loaded.setdefault(role, []).extend(
                    [conf.restarts[name]] if name in conf.restarts else [conf.file, *w.ready[host]])


def summary(cfg: StackConfig, created: list) -> dict:
    """Per host, the files the program owns and the services it restarts, as the components finished with them."""
    out = {h: {"files": set(), "restarts": set()} for h in cfg.hosts}
    for c in created:
        placed = getattr(c, "placed", None)
        if placed:
            out[placed["host"]]["files"].update(placed["files"])
            out[placed["host"]]["restarts"].update(placed["restarts"])
    return {h: {k: sorted(v) for k, v in what.items()} for h, what in out.items()}


def _openstack(p: Plan, prov: pulumi.ProviderResource, loaded: dict[str, list[pulumi.Resource]]) -> tuple:
    """What users of the cloud see, created only once the services that serve it run on their new config.
    Returns the components and, for the stack outputs, their cloud IDs by kind and name."""
    cfg = p.cfg

    def opts(after: str = None) -> pulumi.ResourceOptions:   # the children take the stack's provider from here
        return pulumi.ResourceOptions(providers=[prov], depends_on=loaded.get(after, []) if after else None)
    secret = p.secret_keys.__contains__
    qos = {q.name: Qos(f"qos-{q.name}", QosArgs(q, secret("qos_specs")), opts=opts()) for q in cfg.qos_specs}
    types = {t.name: VolumeType(f"volume-type-{t.name}", VolumeTypeArgs(
        t, p.backend_names[t.backend], qos[t.qos].qos if t.qos else None, secret("volume_types")),
        opts=opts("cinder-volume")) for t in cfg.volume_types}
    images = {i.name: Image(f"image-{i.name}", ImageArgs(i, *p.images[i.name], secret("images")),
                            opts=opts("glance-api"))
              for i in cfg.images}
    ids = {"qos_spec_ids": {n: c.qos.id for n, c in qos.items()},
           "volume_type_ids": {n: c.type.id for n, c in types.items()},
           "image_ids": {n: c.image.id for n, c in images.items()}}
    return [*qos.values(), *types.values(), *images.values()], ids
