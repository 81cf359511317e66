"""The OpenStack services' configs on every host with one of their roles, each restarted after what it needs."""
from __future__ import annotations

import pulumi

from ..plan import Plan
from ..plan.files import SERVICES, extra_files, service_roles
from ..services.service_config import CinderConfig, GlanceConfig, NovaConfig, ServiceConfigArgs
from .wiring import Wiring

COMPONENTS = {"glance": GlanceConfig, "cinder": CinderConfig, "nova": NovaConfig}


def rotated(p: Plan, roles: list[str]) -> dict[str, list[str]]:
    """service -> `user#generation` for each cephx user it connects as whose key was rotated."""
    cfg = p.cfg
    gens = {c.name: c.key_generation for c in cfg.ceph.clients} if cfg.ceph else {}
    out = {cfg.service(r): [f"{u}#{gens[u]}" for u in cfg.clients_of(r) if gens.get(u)] for r in roles}
    return {s: keys for s, keys in out.items() if keys}


def services(p: Plan, w: Wiring) -> None:
    cfg = p.cfg
    for service in p.configs:
        module, component = SERVICES[service], COMPONENTS[service]
        for host, roles in service_roles(cfg, module).items():
            names = [cfg.service(r) for r in roles]
            files = [p.files[host][path] for path in (module.CONF.path, *extra_files(cfg, module, roles))]
            # nova-compute loses its libvirt connection when libvirtd restarts (nova then disables the compute until
            # it reconnects, and the scheduler finds no host): it restarts when libvirtd's files change, too
            reads = w.migration[host].libvirt.written if "nova-compute" in roles and host in w.migration else []
            conf = component(f"{host}-{service}-config", ServiceConfigArgs(
                w.hosts[host], files, cfg.service_manager, reads=reads, rotated=rotated(p, roles),
                keyrings=w.keyrings.get(host), restart_after=list(w.before_restart[host])),
                opts=pulumi.ResourceOptions(depends_on=w.before_write.get(service) or None))
            w.created.append(conf)
            for role, name in zip(roles, names):    # (a service nothing restarts serves once its host is ready)
                w.serving.setdefault(role, []).extend(
                    [conf.restarts[name]] if name in conf.restarts else [conf.file, *w.before_restart[host]])
