"""A stack's pass-through oslo.config options (`cinder.options`, `cinder.backends[].options`, `glance.options`,
`nova.options`) checked against the option data of its release (components/config/optdata/<release>/, written by
validate/optdata.py from the pinned cinder, glance and nova), before any resource exists. An option the release
does not have that another shipped release has is named as removed (with its replacement, where it has one) or as
new in that release (with the name this release has for it), so a change of `release` stops at preview on every
option the target release removed or renamed.

Plain code on purpose: the program's virtualenv has no oslo.config. The type checks are oslo.config's, lightly:
they catch what would stop a service from starting, not every refinement (regexes, hostname corner cases).
"""
from __future__ import annotations

import difflib
import functools
import ipaddress
import json
import re
import warnings
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit

from .formats import oslo
from .base import RELEASE_VERSIONS, ConfigError, ConfigWarning, release_index
from .stack import StackConfig

DATA = Path(__file__).resolve().parent / "optdata"
BOOLEANS = {"true", "false", "yes", "no", "1", "0", "on", "off"}
INTEGER = re.compile(r"[-+]?\d+")
LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOSTNAME = re.compile(rf"(?=.{{1,253}}$){LABEL}(\.{LABEL})*\.?")


def release_key(release: str) -> str:
    """The data directory of a release given by name or version (the data is kept by version)."""
    name = release.lower()
    return next((v for v, n in RELEASE_VERSIONS.items() if n == name), release)


@functools.cache
def load(release: str, service: str) -> Optional[dict]:
    path = DATA / release_key(release) / f"{service}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def shipped() -> list[str]:
    return sorted(p.name for p in DATA.iterdir() if p.is_dir())


def others(release: str, service: str) -> list[tuple[str, dict]]:
    """(release, data) of `service` for every other shipped release, the nearest first."""
    here = release_index(release_key(release))
    rest = sorted((r for r in shipped() if r != release_key(release)), key=lambda r: abs(release_index(r) - here))
    return [(r, data) for r in rest if (data := load(r, service))]


def named(data: dict, release: str) -> str:
    return f"{data['service']} {data['version']} (release {release_key(release)})"


def _number(kind: str, text: str):
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if not INTEGER.fullmatch(text):
        raise ValueError(f"{text!r} is not an integer")
    return int(text)


# oslo.config substitutes `$name`, `${name}` and `${group.name}` with other options' values, and reads `$$` as `$`.
REFERENCE = re.compile(r"\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\})")
TEXTUAL = ("str", "multi", "list", "?")


def substitutions(text: str) -> tuple[list[str], str]:
    """The options `text` refers to, and `text` as oslo.config reads it without them (`$$` as `$`); ValueError
    for a `$` that starts no substitution."""
    refs, out, i = [], [], 0
    while (j := text.find("$", i)) >= 0:
        out.append(text[i:j])
        m = REFERENCE.match(text, j)
        if not m:
            raise ValueError("has a $ that starts no substitution: oslo.config reads $name, ${name} or ${group.name} "
                             "as another option's value; write $$ for a literal $")
        if m.group(1):
            out.append("$")
        else:
            refs.append(m.group(2) or m.group(3))
        i = m.end()
    return refs, "".join(out) + text[i:]


def value_problem(spec, value: Any, known=lambda ref: True) -> Optional[str]:
    """What oslo.config would refuse in this value of an option, or None. `known(ref)`: whether a substitution's
    option exists."""
    spec = spec if isinstance(spec, dict) else {"t": spec}
    kind, text = spec["t"], oslo(value).strip()
    try:
        refs, text = substitutions(text)
    except ValueError as e:
        return str(e)
    unknown = next((r for r in refs if not known(r)), None)
    if unknown:
        return f"${{{unknown}}} names no option of this service; fix the name, or write $$ for a literal $"
    if refs and REFERENCE.fullmatch(oslo(value).strip()):
        return None         # one whole `$other_option`, of whatever type it has, substituted at run time
    if refs and kind not in TEXTUAL:
        return f"a {kind} option takes one whole $option or a plain value, not text around a substitution"
    if text == "" or refs:
        return None         # empty means unset; text with substitutions is checked when they are made
    try:
        if kind in ("int", "float", "port"):
            number = _number(kind, text)
            port = kind == "port"
            low, high = spec.get("min", 0 if port else None), spec.get("max", 65535 if port else None)
            if low is not None and number < low:
                return f"{number} is below the minimum {low}"
            if high is not None and number > high:
                return f"{number} is above the maximum {high}"
            if "c" in spec and number not in spec["c"]:
                return f"{number} is not one of: {', '.join(map(str, spec['c']))}"
        elif kind == "bool" and text.lower() not in BOOLEANS:
            return f"{text!r} is not a boolean (true/false, yes/no, on/off, 1/0)"
        elif kind == "dict":
            bad = next((item for item in text.split(",") if item.strip() and ":" not in item), None)
            if bad is not None:
                return f"{bad.strip()!r} is not key:value (a dict is written k1:v1,k2:v2)"
        elif kind == "uri":
            parts = urlsplit(text)
            if not (parts.scheme and parts.netloc):
                return f"{text!r} is not a URI with a scheme and a host"
        elif kind in ("ip", "host", "hostname", "domain"):
            try:
                ipaddress.ip_address(text)
            except ValueError:
                if kind == "ip" or not HOSTNAME.fullmatch(text):
                    what = "an IP address" if kind == "ip" else "an IP address or host name"
                    return f"{text!r} is not {what}"
        elif "c" in spec and text not in spec["c"]:
            return f"{text!r} is not one of: {', '.join(map(str, spec['c']))}"
    except ValueError as e:
        return str(e)
    return None


class Service:
    """One service's option data, and where a section of its config file takes its options from."""

    def __init__(self, data: dict, release: str, templates: dict[str, str], other: list[tuple[str, dict]] = ()):
        self.data, self.templates = data, templates      # templates: section -> the group it is an instance of
        self.name, self.release = named(data, release), release_key(release)
        self.index = release_index(self.release)
        self.other = other      # (release, data): the other shipped releases' data of this service

    def groups(self, section: str, data: Optional[dict] = None) -> list[str]:
        data = data or self.data
        return [g for g in (section, self.templates.get(section)) if g in data["groups"] or g in data["renamed"]]

    def unknown_section(self, section: str) -> Optional[str]:
        if self.groups(section):
            return None
        for release, data in self.other:
            if self.groups(section, data):
                if release_index(release) < self.index:
                    return f"section [{section}] was removed in {self.name}; {named(data, release)} has it; remove it"
                return f"section [{section}] is new in {named(data, release)}; {self.name} does not have it"
        return f"unknown section [{section}] in {self.name}" + _hint(section, [*self.data["groups"], *self.templates])

    def problem(self, section: str, option: str, value: Any) -> Optional[str]:
        groups = self.groups(section)
        for g in groups:
            spec = self.data["groups"].get(g, {}).get(option)
            if spec is None:
                continue
            if isinstance(spec, dict) and "rm" in spec:
                since, reason = spec["rm"]
                if renamed := self._renamed(section, option, groups):     # kept under its old name until removed
                    return f"{renamed}, deprecated for removal" + (f" since {since}" if since else "") + "; use that"
                return (f"deprecated for removal in {self.name}" + (f", since {since}" if since else "")
                        + (f": {reason}" if reason else "; remove it"))
            return value_problem(spec, value, lambda ref: self.has(ref, groups))
        if renamed := self._renamed(section, option, groups):
            return f"{renamed}; use that"
        if elsewhen := self._other_release(section, option):
            return elsewhen
        known = [o for g in groups for o in self.data["groups"].get(g, {})]
        return f"unknown option [{section}] {option} in {self.name}" + (self._elsewhere(option) or _hint(option, known))

    def _renamed(self, section: str, option: str, groups: list[str]) -> Optional[str]:
        for g in groups:
            new = self.data["renamed"].get(g, {}).get(option)
            if new:
                where = section if new[0] == g else new[0]
                return f"[{section}] {option} is the old name of [{where}] {new[1]} in {self.name}"
        return None

    def _other_release(self, section: str, option: str) -> Optional[str]:
        """An option this release does not have that another shipped release has: removed since that release (and
        its replacement), or new in it (and this release's name for it)."""
        for release, data in self.other:
            groups = [g for g in self.groups(section, data)
                      if option in data["groups"].get(g, {}) or option in data["renamed"].get(g, {})]
            if not groups:
                continue
            if release_index(release) < self.index:
                return (f"[{section}] {option} was removed in {self.name}; {named(data, release)} has it"
                        + self._replacement(data, section, option, groups))
            return (f"[{section}] {option} is new in {named(data, release)}; {self.name} does not have it"
                    + self._former_name(data, section, option, groups))
        return None

    def _replacement(self, data: dict, section: str, option: str, groups: list[str]) -> str:
        """What replaces an option of an earlier release's `data` here: the name it was renamed to there, when
        this release has that name; else that release's reason for its removal."""
        for g in groups:
            new = data["renamed"].get(g, {}).get(option)
            if new and new[1] in self.data["groups"].get(new[0], {}):
                return f"; use [{section if new[0] == g else new[0]}] {new[1]}"
        for g in groups:
            spec = data["groups"].get(g, {}).get(option)
            if isinstance(spec, dict) and "rm" in spec and spec["rm"][1]:
                return f", deprecated for removal: {spec['rm'][1].rstrip('.')}; remove it"
        return "; remove it"

    def _former_name(self, data: dict, section: str, option: str, groups: list[str]) -> str:
        """The name this release has for an option a later release's `data` renamed."""
        for old_group, olds in data["renamed"].items():
            for old, (g, new) in olds.items():
                if new == option and g in groups and old in self.data["groups"].get(old_group, {}):
                    return f"; in release {self.release} use [{section if old_group == g else old_group}] {old}"
        return "; remove it"

    def has(self, ref: str, groups: list[str]) -> bool:
        """Whether a substitution `name` (this section's groups or DEFAULT) or `group.name` names an option."""
        group, _, name = ref.rpartition(".")
        return any(name in self.data["groups"].get(g, {}) for g in ([group] if group else [*groups, "DEFAULT"]))

    def _elsewhere(self, option: str) -> str:
        """Where an option put in the wrong section belongs: its groups, named as sections of this file."""
        sections = {g: [s for s, t in self.templates.items() if t == g] or [g] for g in self.data["groups"]}
        found = [s for g, opts in self.data["groups"].items() if option in opts for s in sections[g]]
        return f"; it is an option of {', '.join(f'[{s}]' for s in found[:3])}" if found else ""


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def passthrough(cfg: StackConfig) -> Iterator[tuple[str, str, dict, dict[str, Any], str]]:
    """(service, stack key, section templates, options, section) for every pass-through dict the stack sets."""
    if cfg.cinder:
        backends = {b.name: "backend_defaults" for b in cfg.cinder.backends}
        for section, options in cfg.cinder.options.items():
            yield "cinder", f"cinder.options.{section}", backends, options, section
        for b in cfg.cinder.backends:
            yield "cinder", f"cinder.backends[{b.name}].options", backends, b.options, b.name
    if cfg.glance:
        for section, options in cfg.glance.options.items():
            yield "glance", f"glance.options.{section}", {cfg.glance.store: "rbd"}, options, section
    if cfg.nova:
        for section, options in cfg.nova.options.items():
            yield "nova", f"nova.options.{section}", {}, options, section


def check(cfg: StackConfig) -> None:
    """Raise ConfigError on the first pass-through option its release's data refuses; warn (ConfigWarning) when
    the program ships no data for the release."""
    unchecked = []
    for service, key, templates, options, section in passthrough(cfg):
        data = load(cfg.release, service)
        if data is None:
            unchecked += [key] if options else []
            continue
        if service == "glance":     # a store section takes the options of its store type's group
            templates = {s: data["stores"].get(t) for s, t in templates.items()}
        svc = Service(data, cfg.release, templates, others(cfg.release, service))
        if bad := svc.unknown_section(section):
            raise ConfigError(key, bad)
        for option, value in options.items():
            problem = svc.problem(section, option, value)
            if problem:
                raise ConfigError(f"{key}.{option}", problem)
    if unchecked:
        warnings.warn(ConfigWarning("release", f"the program ships no option data for release {cfg.release} "
                                    f"(only {', '.join(shipped())}): {', '.join(unchecked)} not checked"), stacklevel=2)
