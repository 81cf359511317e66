"""Jinja2 rendering of the files the program writes. Pure functions: they run before any resource exists,
so a config that cannot render (an option set twice) is a config error, not a half-applied run.

Every rendered file is parsed back in its own format (fileformats.py) and must have the structure its template
meant: the template is rendered a second time with each value it prints replaced by a plain token, that render is
parsed, the tokens are put back, and the two parses must be equal. A value that adds a line, a section, an option,
an export or a block, or that moves a quote, fails the render (StructureError) instead of reaching a host."""
from __future__ import annotations

import configparser
import contextvars
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jinja2

from ..config import ConfigError
from ..config.formats import oslo
from . import fileformats

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class Literal(str):
    """Text of the program's own that a template prints as it is, also in the tracing render (the header)."""


HEADER = Literal("# Managed by openstack-storage (pulumi up); edits here are overwritten.")

# How each template's output is parsed back.
FORMATS = {
    "ceph.conf.j2": fileformats.ini, "cinder.conf.j2": fileformats.ini, "glance-api.conf.j2": fileformats.ini,
    "nova.conf.j2": fileformats.ini, "idmapd.conf.j2": fileformats.ini, "ganesha.conf.j2": fileformats.ganesha,
    "exports.j2": fileformats.exports, "glusterd.vol.j2": fileformats.fields, "tgt-cinder.conf.j2": fileformats.fields,
    "keyring.j2": fileformats.fields, "libvirtd.conf.j2": fileformats.libvirt_conf,
    "qemu.conf.j2": fileformats.libvirt_conf, "libvirt-secret.xml.j2": fileformats.xml,
}


class StructureError(ValueError):
    """A rendered file whose structure is not its template's: a value the config checks let through broke it."""


@dataclass(frozen=True)
class HostFile:
    """A kind of file the hosts get, declared once: its path (None: one per instance, named where it is placed),
    owner, group, mode, the services (config.SERVICES) that restart when it changes (one that is a role,
    config.ROLES, only on a host with that role) and the top-level config keys whose values it holds: when the
    engine marks one of them secret (a `secure:` value anywhere under it), the file's content is a secret."""
    owner: str
    group: str
    mode: str
    restarts: tuple[str, ...]
    sources: tuple[str, ...]
    path: str | None = None


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
    secret: bool = False
    """Its content derives from a config key that holds a Pulumi secret: it is a secret input, never plain in state."""

    def row(self) -> tuple:
        """As remote.write_files takes a file."""
        import pulumi     # here: the plan's rendering needs no Pulumi runtime
        content = pulumi.Output.secret(self.content) if self.secret else self.content
        return self.path, content, self.owner, self.group, self.mode


class Extra:
    """A stack's pass-through options, emitted inside the template's own sections, the rest at the end: each
    option is printed by the template itself, so the parse-back sees its name and value as values."""

    def __init__(self, options: Mapping[str, Mapping[str, Any]]):
        self._options = options
        self._left = {s: dict(o) for s, o in options.items()}

    def fresh(self) -> "Extra":
        """The same options, none emitted yet (for a render of its own)."""
        return Extra(self._options)

    def section(self, name: str) -> list[tuple[str, Any]]:
        return list(self._left.pop(name, {}).items())

    def rest(self) -> list[tuple[str, list[tuple[str, Any]]]]:
        return [(s, self.section(s)) for s in list(self._left)]


# The values a tracing render printed, in order; None outside one.
_traced: contextvars.ContextVar = contextvars.ContextVar("traced", default=None)
TOKEN = re.compile(r"@@(\d+)@@")


def _finalize(value: Any) -> Any:
    traced = _traced.get()
    if traced is None or isinstance(value, Literal):
        return value
    traced.append(str(value))
    return f"@@{len(traced) - 1}@@"


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                          finalize=_finalize)
_env.filters["oslo"] = oslo


def _render(template: str, values: dict) -> str:
    values = {k: v.fresh() if isinstance(v, Extra) else v for k, v in values.items()}
    text = _env.get_template(template).render(header=HEADER, **values)
    # templates stay readable with optional parts; the files get exactly one blank line before a section
    text = re.sub(r"\n\s*\n(?=\s*\n)", "\n", text)
    return re.sub(r"([^\n])\n\[", "\\1\n\n[", text).rstrip("\n") + "\n"


def _put_back(parsed, values: list[str]):
    if isinstance(parsed, tuple):
        return tuple(_put_back(p, values) for p in parsed)
    return TOKEN.sub(lambda m: values[int(m.group(1))], parsed)


def render(template: str, **values: Any) -> str:
    """The file `template` makes of `values`, parsed back in its format (FORMATS) with the structure the template
    meant; StructureError otherwise."""
    return _parsed_back(template, values, _render(template, values))


def _parsed_back(template: str, values: dict, text: str) -> str:
    token = _traced.set([])
    try:
        traced = _render(template, values)
        printed = _traced.get()
    finally:
        _traced.reset(token)
    parse = FORMATS[template]
    try:
        meant = _put_back(parse(traced), printed)
        got = parse(text)
    except ValueError as e:
        raise StructureError(f"templates/{template}: the rendered file does not parse ({e})") from None
    if got != meant:
        value = next((v for v in printed if v not in str(meant) or "\n" in v), None)
        raise StructureError(f"templates/{template}: a value changes the file's structure"
                             + (f" ({value[:60]!r})" if value else "") + "; it must not reach a host")
    return text


def render_ini(template: str, key: str, options: Mapping[str, Mapping[str, Any]], **values: Any) -> str:
    """Render an oslo.config file; an option the stack passes in `options` that the program also sets is an
    error on `<key>.options.<section>.<option>`."""
    values = {"extra": Extra(options), **values}
    text = _render(template, values)
    parser = configparser.RawConfigParser(strict=True, default_section="\0")
    parser.optionxform = str
    try:
        parser.read_string(text)
    except configparser.DuplicateOptionError as e:
        raise ConfigError(f"{key}.options.{e.section}.{e.option}",
                          "is already set by the program from its typed keys; set it there, not in options") from None
    except configparser.DuplicateSectionError as e:
        raise ConfigError(f"{key}.options.{e.section}", "section is rendered twice") from None
    return _parsed_back(template, values, text)
