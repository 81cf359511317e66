"""Check a rendered cinder.conf, glance-api.conf or nova.conf against the option data of the pinned releases.

    .venv-validate/bin/python validate/check.py SERVICE FILE        (validate/build.sh makes .venv-validate)

Run by a release's virtualenv (validate/releases), it checks against that release: .venv-validate-2026.1/bin/python
for 2026.1.

1. The stock `oslo-config-validator --fatal-warnings` (an unknown option is an error; a deprecated option name is a
   warning, made fatal), given the generated opt data of the groups FILE has. Sections the opt data cannot know
   get the options of their template group: cinder's [DEFAULT] enabled_backends sections those of
   [backend_defaults], glance's enabled_backends `name:type` stores those of the store type's group.
2. What the stock validator misses: a value that is not of the option's type or is outside its choices, min or
   max, and an option deprecated for removal.
One line per problem on stdout, `LEVEL: section/option ...`; exit 1 when there is any.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from oslo_config import cfg, types

OPT_DATA = Path(sys.prefix) / "opt-data"        # the opt data of the virtualenv running this, made by build.sh
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

TYPES = {  # the generator's type names -> oslo.config types
    "string value": types.String, "integer value": types.Integer, "floating point value": types.Float,
    "boolean value": types.Boolean, "port value": types.Port, "list value": types.List,
    "dict value": types.Dict, "multi valued": types.MultiString, "uri value": types.URI,
    "host address value": types.HostAddress, "host domain value": types.HostDomain,
    "IP address value": types.IPAddress, "hostname value": types.Hostname,
}


def parse(path: str) -> dict[str, dict[str, list[str]]]:
    """section -> option -> values, read the way oslo.config reads the file."""
    sections: dict = {}
    cfg.ConfigParser(path, sections).parse()
    return sections


def glance_store_group(store_type: str, groups: dict) -> str | None:
    """The opt-data group of a glance store type: the group named after one of the driver's entry points."""
    eps = importlib.metadata.entry_points(group="glance_store.drivers")
    target = next((ep.value for ep in eps if ep.name == store_type), None)
    return next((ep.name.lower() for ep in eps if target and ep.value == target and ep.name.lower() in groups), None)


def template_groups(service: str, sections: dict, data: dict, problems: list) -> dict[str, str]:
    """section -> the opt-data group its options come from, for the sections [DEFAULT] enabled_backends names."""
    enabled = (sections.get("DEFAULT", {}).get("enabled_backends") or [""])[-1]
    if service == "cinder":
        return {name: "backend_defaults" for name in types.List()(enabled) if name}
    if service == "glance" and enabled:
        out = {}
        try:
            stores = types.Dict()(enabled)
        except ValueError as e:
            problems.append(f"ERROR: DEFAULT/enabled_backends = {enabled!r} is not name:type,...: {e}")
            return {}
        for name, store_type in stores.items():
            group = glance_store_group(store_type, data["options"])
            if group:
                out[name] = group
            else:
                problems.append(f"ERROR: DEFAULT/enabled_backends: store {name!r} has unknown type {store_type!r}")
        return out
    return {}


def group_data(data: dict, sections: dict, templates: dict) -> dict:
    """The opt data the stock validator needs for this file: the groups it has, template groups copied in."""
    out = {"generator_options": data.get("generator_options", {}), "options": {}, "deprecated_options": {}}
    for section in sections:
        groups = [g for g in (section, templates.get(section)) if g]
        opts = [o for g in groups for o in data["options"].get(g, {}).get("opts", [])]
        deprecated = [o for g in groups for o in data["deprecated_options"].get(g, [])]
        if opts:
            out["options"][section] = {"opts": opts}
        if deprecated:
            out["deprecated_options"][section] = deprecated
    return out


def stock_validator(path: str, opt_data: dict) -> list[str]:
    """Run oslo-config-validator; its errors and warnings, as `LEVEL: message` lines."""
    # Without --check-defaults it reads only the options' name and dest: hand it those (it parses YAML slowly).
    slim = {**opt_data, "options": {g: {"opts": [{"name": o["name"], "dest": o["dest"]} for o in v["opts"]]}
                                    for g, v in opt_data["options"].items()}}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.dump(slim, f, Dumper=DUMPER)
    try:
        validator = Path(sys.executable).parent / "oslo-config-validator"
        r = subprocess.run([str(validator), "--fatal-warnings", "--opt-data", f.name, "--input-file", path],
                           capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(f.name)
    found = []
    for line in r.stderr.splitlines():
        level, _, rest = line.partition(":")
        if level in ("ERROR", "WARNING") and rest.startswith("oslo_config.validator:"):
            found.append(f"{level}: {rest.split(':', 1)[1]}")
    if r.returncode and not found:
        found.append(f"ERROR: oslo-config-validator failed (exit {r.returncode}): {r.stderr.strip()[-500:]}")
    return found


def converter(opt: dict):
    """The oslo.config type that parses this option's values, with its choices, min and max."""
    kind = TYPES.get(opt["type"])
    if kind is None:
        return None
    limits = {"choices": [c[0] for c in opt.get("choices") or []] or None,
              "min": opt.get("min"), "max": opt.get("max")}
    accepted = inspect.signature(kind).parameters
    return kind(**{k: v for k, v in limits.items() if v is not None and k in accepted})


def value_problems(sections: dict, opt_data: dict) -> list[str]:
    """Values the option's type, choices, min or max refuse; options deprecated for removal."""
    found = []
    for section, options in sections.items():
        known = {}
        for opt in opt_data["options"].get(section, {}).get("opts", []):
            known.setdefault(opt["name"], opt)
            known.setdefault(opt["dest"], opt)
        for name, values in options.items():
            opt = known.get(name)
            if opt is None:
                continue        # unknown or a deprecated name: the stock validator reports it
            if opt["deprecated_for_removal"]:
                since = f" since {opt['deprecated_since']}" if opt["deprecated_since"] else ""
                reason = " ".join((opt["deprecated_reason"] or "").split())
                found.append(f"ERROR: {section}/{name} is deprecated for removal{since}" + (f": {reason}" if reason else ""))
            convert = converter(opt)
            for value in values:
                if convert is None or "$" in value:     # `$other_option` is substituted at run time
                    continue
                try:
                    convert(value)
                except (ValueError, TypeError) as e:
                    found.append(f"ERROR: {section}/{name} = {value!r} is not a valid {opt['type']}: {e}")
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("service", choices=["cinder", "glance", "nova"])
    ap.add_argument("file")
    ap.add_argument("--opt-data", help="opt data YAML (default: <this virtualenv>/opt-data/SERVICE.yaml)")
    args = ap.parse_args()
    with open(args.opt_data or OPT_DATA / f"{args.service}.yaml") as f:
        data = yaml.load(f, Loader=LOADER)
    try:
        sections = parse(args.file)
    except cfg.ParseError as e:
        print(f"ERROR: {e}")
        return 1
    problems: list[str] = []
    templates = template_groups(args.service, sections, data, problems)
    opt_data = group_data(data, sections, templates)
    problems += stock_validator(args.file, opt_data)
    problems += value_problems(sections, opt_data)
    for line in problems:
        print(line)
    version = importlib.metadata.version(args.service)
    print(f"{args.file}: {len(problems)} problem(s) against {args.service} {version}"
          + (f"; template groups {templates}" if templates else ""), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
