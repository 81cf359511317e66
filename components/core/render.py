"""Jinja2 rendering of the files the program writes. Pure functions: they run before any resource exists,
so a config that cannot render (an option set twice) is a config error, not a half-applied run."""
from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from typing import Any, Mapping

import jinja2

from ..config import ConfigError
from .scripts import TEMPLATES

HEADER = "# Managed by openstack-storage (pulumi up); edits here are overwritten."


@dataclass(frozen=True)
class FileSpec:
    """A rendered file as a host gets it: the component that places it restarts `restarts` (service names as the
    host knows them) when it changes, unless the stack's service_manager is `none`."""
    path: str
    content: str
    owner: str
    group: str
    mode: str
    restarts: tuple[str, ...] = ()

    def row(self) -> tuple:
        """As remote.write_files takes a file."""
        return self.path, self.content, self.owner, self.group, self.mode


def oslo(value: Any) -> str:
    """A value as oslo.config reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(oslo(v) for v in value)
    return str(value)


class Extra:
    """A stack's pass-through options, emitted inside the template's own sections, the rest at the end."""

    def __init__(self, options: Mapping[str, Mapping[str, Any]]):
        self._left = {s: dict(o) for s, o in options.items()}

    def section(self, name: str) -> str:
        return "".join(f"{k} = {oslo(v)}\n" for k, v in self._left.pop(name, {}).items())

    def rest(self) -> str:
        out = "".join(f"\n[{s}]\n" + self.section(s) for s in list(self._left))
        return out


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
_env.filters["oslo"] = oslo


def render(template: str, **values: Any) -> str:
    text = _env.get_template(template).render(header=HEADER, **values)
    # templates stay readable with optional parts; the files get exactly one blank line before a section
    text = re.sub(r"\n\s*\n(?=\s*\n)", "\n", text)
    return re.sub(r"([^\n])\n\[", "\\1\n\n[", text).rstrip("\n") + "\n"


def render_ini(template: str, key: str, options: Mapping[str, Mapping[str, Any]], **values: Any) -> str:
    """Render an oslo.config file; an option the stack passes in `options` that the program also sets is an
    error on `<key>.options.<section>.<option>`."""
    text = render(template, extra=Extra(options), **values)
    parser = configparser.RawConfigParser(strict=True, default_section="\0")
    parser.optionxform = str
    try:
        parser.read_string(text)
    except configparser.DuplicateOptionError as e:
        raise ConfigError(f"{key}.options.{e.section}.{e.option}",
                          "is already set by the program from its typed keys; set it there, not in options") from None
    except configparser.DuplicateSectionError as e:
        raise ConfigError(f"{key}.options.{e.section}", "section is rendered twice") from None
    return text
