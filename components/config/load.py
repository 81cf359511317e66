"""Loading a stack's config: Pulumi's raw values decoded, validated into a StackConfig, a pydantic error turned
into one ConfigError naming the config key, the secrets checked as set, then every cross-key check."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

import pydantic

from . import checks
from .base import PROJECT, SECRET_KEYS, ConfigError
from .services import BACKEND_TYPES
from .stack import StackConfig


NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def _decode(value: Any) -> Any:
    # Pulumi hands structured values over as JSON text and scalars as plain text.
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _key(loc: tuple, raw: Any) -> str:
    """pydantic location -> config key, naming list items by their `name` where they have one."""
    out, node = "", raw
    for part in loc:
        if part in BACKEND_TYPES and isinstance(node, dict) and part not in node:
            continue   # pydantic's union tag, not a key of the config
        if part == "[key]" or _member(part):
            continue   # pydantic's mark of a dict key that failed, or of the union member it tried
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("name") if isinstance(item, dict) else None
            # an item is named by its `name` only where that is a plain name: the key must stay one readable line
            out += f"[{label if isinstance(label, str) and NAME.fullmatch(label) else part}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _member(part) -> bool:
    """Whether a pydantic location part names a union member (`bool`, `function-after[text(), str]`), not a key."""
    return isinstance(part, str) and (part in ("bool", "int", "float", "str") or part.startswith(
        ("function-after[", "list[", "union[", "dict[")))


def _first(errors: list[dict]) -> dict:
    """The error to report: an unknown key first (a misspelt key also makes the right one missing); else the first
    one's, and where it is a value that fits no member of a union (an option value is a bool, a number or a text),
    the member's own refusal (a control character) over "not a bool"."""
    unknown = next((e for e in errors if e["type"] == "extra_forbidden"), None)
    if unknown:
        return unknown
    where = [p for p in errors[0]["loc"] if not _member(p)]
    same = [e for e in errors if [p for p in e["loc"] if not _member(p)] == where]
    return next((e for e in same if e["type"] == "value_error"), errors[0])


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Top-level keys whose values go into scripts, commands and connection settings, which are kept in the state as they
# are: a `secure:` value there would be written in the clear, so it is refused. Secrets belong in the keys whose
# values go only into the files and cloud resources the program keeps secret then (README: Security).
NO_SECRETS = ("hosts", "ssh", "nfs_exports", "instances_share", "migration", "service_names", "service_manager",
              "release", "image_cache_dir")


def load(values: dict[str, Any], secret_keys_set: set[str] | frozenset = frozenset(),
         root: Optional[Path] = None, secret_config: set[str] | frozenset = frozenset()) -> StackConfig:
    """Parse and check a stack's config: `values` maps `openstack-storage:key` (or bare `key`) to raw values;
    `root`, the project directory, is where relative file paths (images, the CA bundle) start; `secret_config`, the
    top-level keys the engine marks secret (a `secure:` value somewhere under them)."""
    for key in NO_SECRETS:
        if key in secret_config:
            raise ConfigError(key, "holds a secret value, but its values go into scripts and connection settings, "
                              "which the state keeps in the clear; put secrets in options, specs, properties or "
                              "image URLs, or the secret keys (README: Security)")
    raw: dict[str, Any] = {}
    for full_key, value in values.items():
        ns, _, key = full_key.rpartition(":")
        if ns not in ("", PROJECT):
            continue   # another package's namespace (e.g. `openstack:`)
        if key in SECRET_KEYS:
            continue
        raw[key] = _decode(value)
    try:
        cfg = StackConfig.model_validate(raw)
    except pydantic.ValidationError as e:
        err = _first(e.errors())
        key = _key(err["loc"], raw) or "(top level)"
        if err["type"] == "extra_forbidden":
            raise ConfigError(key, "unknown key; check its spelling against the config reference in README.md") from None
        if err["type"] == "missing":
            raise ConfigError(key, "missing; this key is required") from None
        msg = err["msg"].removeprefix("Value error, ")
        shown = "" if err["type"].startswith(("value_error", "assertion")) else f" (got {_shown(err.get('input'))})"
        raise ConfigError(key, f"{msg}{shown}") from None
    for key in required_secrets(cfg):
        if key not in secret_keys_set:
            raise ConfigError(key, f"missing; set it as a secret: pulumi config set --secret {key} < FILE")
    checks.check(cfg, root or Path.cwd())
    return cfg


def required_secrets(cfg: StackConfig) -> list[str]:
    return (["ssh_private_key"] + (["openstack_password"] if cfg.openstack else [])
            + (["nova_ssh_private_key"] if cfg.migration and cfg.migration.nova_ssh_public_key else [])
            + (["migration_ca_key"] if cfg.migration and cfg.migration.ca_cert else []))
