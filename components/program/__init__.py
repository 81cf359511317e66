"""The program: wiring only. `plan` reads the stack's config as the engine hands it over and renders everything
(components.plan) before the first resource is registered; `deploy` registers the components subsystem by subsystem,
each in its own module here, in the order their dependencies need."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pulumi
from pulumi.runtime import config as runtime_config

from .. import plan as planning
from ..cloud.provider import provider
from ..config import PROJECT, SECRET_KEYS, StackConfig
from ..core import runtime
from ..plan import Plan
from . import ceph, hosts, libvirt, services, storage
from .cloud import backend_guard, cloud
from .wiring import Wiring, targets


@dataclass
class Deployment:
    outputs: dict
    """Stack outputs: per host the files written and services restarted; the libvirt secret UUID."""
    resources: list[pulumi.ComponentResource]
    """Every component created, for callers that wait on or inspect them."""


def stack_values() -> tuple[dict, set]:
    """This stack's config as the engine (or a test) handed it over, and which secret keys are set."""
    values = dict(runtime_config.get_config_env() or {})
    values.update(runtime_config.CONFIG.get())
    present = {k for k in SECRET_KEYS if runtime_config.get_config(f"{PROJECT}:{k}")}
    return values, present


def secret_config(values: dict) -> frozenset:
    """The stack's top-level keys, other than the secret keys, that the engine marks secret."""
    keys = {k.rpartition(":")[2] for k in values if runtime_config.is_config_secret(k)}
    return frozenset(keys - set(SECRET_KEYS))


def plan(values: dict, secret_keys_set: set, root: Optional[Path] = None) -> Plan:
    """components.plan.plan with the keys the engine marks secret; raises ConfigError and touches nothing."""
    return planning.plan(values, secret_keys_set, root, secret_config(values))


def deploy(p: Plan, secrets: dict[str, Optional[pulumi.Output]]) -> Deployment:
    """Register every resource. `secrets`: the stack's secret config values (Outputs) by key."""
    runtime.before_registration()
    cfg = p.cfg
    w = Wiring(cfg, targets(cfg, secrets["ssh_private_key"], secrets.get("ssh_proxy_private_key")),
               before_restart={h: [] for h in cfg.hosts})
    clients = ceph.ceph(p, w) if cfg.ceph else {}
    if clients:
        libvirt.secrets(p, w, clients)
    storage.servers(p, w)
    if cfg.instances_share:
        storage.instances(p, w)
    if cfg.migration:
        libvirt.migration(p, w, secrets)
    storage.volume_hosts(p, w)
    if cfg.openstack and "cinder" in p.configs:     # without `openstack`, a backend's removal is not checked
        w.before_write["cinder"] = [w.add(backend_guard(p, secrets.get("openstack_password")))]
    services.services(p, w)
    ids = {}
    if cfg.openstack:
        prov = provider(cfg.openstack, secrets.get("openstack_password"), p.cacert, "openstack" in p.secret_keys)
        made, ids = cloud(p, prov, w.serving)
        w.created += made
    left = hosts.retirement(p, w)
    outputs = {"hosts": summary(cfg, w.created), "left_behind": left,
               "libvirt_secret_uuid": str(cfg.ceph.libvirt_secret_uuid) if cfg.ceph else None, **ids}
    runtime.after_registration()
    return Deployment(outputs, w.created)


def summary(cfg: StackConfig, created: list) -> dict:
    """Per host, the files the program owns and the services it restarts, as the components finished with them."""
    out = {h: {"files": set(), "restarts": set()} for h in cfg.hosts}
    for c in created:
        placed = getattr(c, "placed", None)
        if placed:
            out[placed["host"]]["files"].update(placed["files"])
            out[placed["host"]]["restarts"].update(placed["restarts"])
    return {h: {k: sorted(v) for k, v in what.items()} for h, what in out.items()}
