"""The program: which host gets what, and in which order. Everything is rendered and checked (`plan`) before
the first resource is registered (`deploy`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pulumi
from pulumi.runtime import config as runtime_config

from . import cinder, glance, nova
from .ceph_client import CephClient, CephClientArgs
from .ceph_conf import CephConf, CephConfArgs
from .ceph_pool import CephPool, CephPoolArgs
from .config import PROJECT, SECRET_KEYS, ConfigError, StackConfig, load
from .image import Image, ImageArgs, uploaded_format
from .openstack_provider import provider
from .qos import Qos, QosArgs
from .volume_type import VolumeType, VolumeTypeArgs
from .keyring import CephKeyring, CephKeyringArgs
from .libvirt_secret import LibvirtSecret, LibvirtSecretArgs
from .remote import targets
from .render import render
from .service_config import ServiceConfigArgs

SERVICES = {  # service -> (module, component class, group its config is readable by)
    "glance": (glance, glance.GlanceConfig, "glance"),
    "cinder": (cinder, cinder.CinderConfig, "cinder"),
    "nova": (nova, nova.NovaConfig, "nova"),
}


@dataclass
class Deployment:
    outputs: dict
    """Stack outputs: per host the files written and services restarted; the libvirt secret UUID."""
    resources: list[pulumi.ComponentResource]
    """Every component created, for callers that wait on or inspect them."""


@dataclass
class Plan:
    cfg: StackConfig
    ceph_conf: Optional[str] = None
    configs: dict[str, str] = field(default_factory=dict)
    """service -> rendered config file."""
    backend_names: dict[str, str] = field(default_factory=dict)
    """cinder backend section -> volume_backend_name, as rendered."""
    images: dict[str, tuple[str, str]] = field(default_factory=dict)
    """image name -> (source path or URL, prepared content-addressed path)."""


def stack_values() -> tuple[dict, set]:
    """This stack's config as the engine (or a test) handed it over, and which secret keys are set."""
    values = dict(runtime_config.get_config_env() or {})
    values.update(runtime_config.CONFIG.get())
    present = {k for k in SECRET_KEYS if runtime_config.get_config(f"{PROJECT}:{k}")}
    return values, present


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _image_sources(cfg: StackConfig, root: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for i in cfg.images:
        if i.file:
            source = (root / i.file).resolve()
            if not source.is_file():
                raise ConfigError(f"images[{i.name}].file", f"no such file: {source}")
            digest = _sha256_file(source)
            if i.sha256 and i.sha256 != digest:
                raise ConfigError(f"images[{i.name}].sha256",
                                  f"{source} has sha256 {digest}, not the expected one; fix the file or the checksum")
        else:
            source, digest = i.url, i.sha256 or hashlib.sha256(i.url.encode()).hexdigest()
        prepared = (root / cfg.image_cache_dir / f"{i.name}-{digest[:16]}.{uploaded_format(i)}").resolve()
        out[i.name] = (str(source), str(prepared))
    return out


def plan(values: dict, secret_keys_set: set, root: Optional[Path] = None) -> Plan:
    """Parse, check and render everything; raises ConfigError and touches nothing. `root`: the project
    directory, which relative image paths start from (the engine runs the program there)."""
    cfg = load(values, secret_keys_set)
    p = Plan(cfg)
    if cfg.ceph:
        p.ceph_conf = render("ceph.conf.j2", ceph=cfg.ceph, client=cfg.ceph.client.settings())
    for service, (module, _, _) in SERVICES.items():
        if getattr(cfg, service) is not None:
            p.configs[service] = module.render_conf(cfg)
    if "cinder" in p.configs:
        p.backend_names = cinder.backend_names(p.configs["cinder"])
    p.images = _image_sources(cfg, root or Path.cwd())
    return p


def deploy(p: Plan, private_key: pulumi.Output, openstack_password: Optional[pulumi.Output] = None) -> Deployment:
    cfg, ceph = p.cfg, p.cfg.ceph
    hosts = targets(cfg, private_key)
    ready: dict[str, list[pulumi.Resource]] = {h: [] for h in cfg.hosts}   # what a host's services need first
    summary: dict[str, dict] = {h: {"files": [], "restarts": []} for h in cfg.hosts}
    loaded: dict[str, list[pulumi.Resource]] = {}   # role -> what must finish before its service is in use
    created: list[pulumi.ComponentResource] = []

    if ceph:
        admin = hosts[ceph.admin_host]
        pools = {pl.name: CephPool(f"ceph-pool-{pl.name}", CephPoolArgs(admin, ceph.cluster, pl)) for pl in ceph.pools}
        created += pools.values()
        clients = {
            c.name: CephClient(f"ceph-client-{c.name}", CephClientArgs(admin, ceph.cluster, c),
                               opts=pulumi.ResourceOptions(depends_on=[pools[pool] for pool in sorted(c.caps)]))
            for c in ceph.clients
        }
        created += clients.values()
        computes = set(cfg.hosts_with("nova-compute"))
        for host, placed in sorted(cfg.keyrings().items()):
            conf = CephConf(f"{host}-ceph-conf", CephConfArgs(
                hosts[host], ceph.conf_path(), p.ceph_conf,
                runtime_dirs=ceph.client.runtime_dirs() if host in computes else [],
                runtime_owner=ceph.client.runtime_owner, runtime_group=ceph.client.runtime_group))
            ready[host].append(conf)
            created.append(conf)
            summary[host]["files"].append(ceph.conf_path())
            for client, (owner, group, mode) in sorted(placed.items()):
                path = ceph.keyring_path(client)
                keyring = CephKeyring(
                    f"{host}-keyring-{client}",
                    CephKeyringArgs(hosts[host], path, client, clients[client].key, owner, group, mode),
                    opts=pulumi.ResourceOptions(depends_on=[clients[client], conf]))
                ready[host].append(keyring)
                created.append(keyring)
                summary[host]["files"].append(path)
        secret_client = cfg.libvirt_client()
        if secret_client:
            for host in sorted(computes):
                secret = LibvirtSecret(f"{host}-libvirt-secret", LibvirtSecretArgs(
                    hosts[host], str(ceph.libvirt_secret_uuid), f"{ceph.cluster}.client.{secret_client} secret",
                    clients[secret_client].key, cfg.nova.libvirt_uri if cfg.nova else None),
                    opts=pulumi.ResourceOptions(depends_on=list(ready[host])))
                ready[host].append(secret)
                created.append(secret)

    for service, content in p.configs.items():
        module, component, group = SERVICES[service]
        for host in cfg.hosts:
            roles = [r for r in module.ROLES if r in cfg.hosts[host].roles]
            if not roles:
                continue
            names = [cfg.service_names.get(r, r) for r in roles]
            conf = component(f"{host}-{service}-config", ServiceConfigArgs(
                hosts[host], module.PATH, content, group, names, cfg.service_manager),
                opts=pulumi.ResourceOptions(depends_on=list(ready[host])))
            created.append(conf)
            for role, name in zip(roles, names):
                loaded.setdefault(role, []).append(conf.restarts.get(name, conf.file))
            summary[host]["files"].append(module.PATH)
            if cfg.service_manager != "none":
                summary[host]["restarts"].extend(names)
    if cfg.openstack:
        created += _openstack(p, provider(cfg.openstack, openstack_password), loaded)
    outputs = {"hosts": summary, "libvirt_secret_uuid": str(ceph.libvirt_secret_uuid) if ceph else None}
    return Deployment(outputs, created)


def _openstack(p: Plan, prov: pulumi.ProviderResource, loaded: dict[str, list[pulumi.Resource]]) -> list:
    """What users of the cloud see, created only once the services that serve it run on their new config."""
    cfg = p.cfg
    qos = {q.name: Qos(f"qos-{q.name}", QosArgs(q, prov)) for q in cfg.qos_specs}
    types = [VolumeType(f"volume-type-{t.name}",
                        VolumeTypeArgs(t, p.backend_names[t.backend], prov, qos[t.qos].qos if t.qos else None),
                        opts=pulumi.ResourceOptions(depends_on=loaded.get("cinder-volume", [])))
             for t in cfg.volume_types]
    images = [Image(f"image-{i.name}", ImageArgs(i, *p.images[i.name], prov),
                    opts=pulumi.ResourceOptions(depends_on=loaded.get("glance-api", [])))
              for i in cfg.images]
    return [*qos.values(), *types, *images]
