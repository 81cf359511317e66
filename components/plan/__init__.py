"""The plan: every file the hosts get and every value the resources take, rendered and checked from the typed config
before the first resource is registered (`plan`). A config that cannot render is a ConfigError here, not a
half-applied run. One module per subsystem declares its files (a HostFile each) and renders them; files.py places
them per host."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..config import StackConfig, load
from ..config.files import read_cacert, sha256_file
from . import cinder
from .ceph import ceph_confs
from .files import host_files, service_configs
from .render import FileSpec

QEMU_FORMAT = {"qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi", "vhd": "vpc", "vhdx": "vhdx"}


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
    """host -> path -> every file the hosts get that the stack alone decides (files.py)."""
    secret_keys: frozenset = frozenset()
    """Top-level config keys that hold a Pulumi secret: what derives from them is a secret in the state too."""
    cacert: Optional[str] = None
    """The PEM content of openstack.cacert_file (the provider takes a path or the content: the content keeps the
    provider's inputs the same wherever the project is checked out)."""


def uploaded_format(spec) -> str:
    """The disk format Glance gets: raw when the stack converts a format qemu-img reads, else the file's own."""
    return "raw" if spec.convert and spec.disk_format in QEMU_FORMAT else spec.disk_format


def image_sources(cfg: StackConfig, root: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for i in cfg.images:
        if i.file:     # config.checks saw it there, with the sha256 the stack gives
            source = (root / i.file).resolve()
            digest = i.sha256 or sha256_file(source)
        else:
            source, digest = i.url, i.sha256 or hashlib.sha256(i.url.encode()).hexdigest()
        prepared = (root / cfg.image_cache_dir / f"{i.name}-{digest[:16]}.{uploaded_format(i)}").resolve()
        out[i.name] = (str(source), str(prepared))
    return out


def plan(values: dict, secret_keys_set: set, root: Optional[Path] = None, secret: frozenset = frozenset()) -> Plan:
    """Parse, check (config.load runs every check) and render everything; raises ConfigError and touches nothing.
    `root`: the project directory, which relative image paths start from (the engine runs the program there);
    `secret`: the stack's top-level keys the engine marks secret."""
    root = root or Path.cwd()
    cfg = load(values, secret_keys_set, root, secret)
    p = Plan(cfg, ceph_conf=ceph_confs(cfg), configs=service_configs(cfg), secret_keys=secret)
    p.files = host_files(cfg, p.ceph_conf, p.configs, secret)
    if "cinder" in p.configs:
        p.backend_names = cinder.backend_names(p.configs["cinder"])
    p.images = image_sources(cfg, root)
    p.cacert = read_cacert(cfg.openstack, root)
    return p
