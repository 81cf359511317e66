"""Write the option data the program ships (components/config/optdata/<release>/<service>.json) from the pinned releases'
`oslo-config-generator --format yaml` output that validate/build.sh makes.

    <venv>/bin/python validate/optdata.py [--release RELEASE] [--check]      (`make optdata`: every release)

Run by a release's virtualenv (validate/releases: .venv-validate for 2026.2, .venv-validate-2026.1 for 2026.1),
it writes that release's files from that virtualenv's opt data; `--release` stops when its pins are another one.

The program's .venv has no oslo.config and cannot install cinder, glance and nova, so it checks a stack's
pass-through options (components/config/options.py) against this extract: per group and option only what that check reads.
`--check` writes nothing and exits 1 when the shipped files differ from what this would write.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import time
from pathlib import Path

import yaml

from check import LOADER, OPT_DATA, glance_store_group

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "components" / "config" / "optdata"
SERVICES = ("cinder", "glance", "nova")
TYPES = {"string value": "str", "integer value": "int", "floating point value": "float", "boolean value": "bool",
         "port value": "port", "list value": "list", "dict value": "dict", "multi valued": "multi",
         "uri value": "uri", "host address value": "host", "host domain value": "domain",
         "IP address value": "ip", "hostname value": "hostname"}


def release() -> str:
    """The coordinated release of the pinned services: nova 27 was 2023.1, two a year since; cinder and glance
    must belong to the same one."""
    major = {s: int(importlib.metadata.version(s).split(".")[0]) for s in SERVICES}
    n = major["nova"] - 27
    if (major["cinder"], major["glance"]) != (major["nova"] - 5, major["nova"] - 1):
        sys.exit(f"optdata.py: the pins are not one release: {major}")
    return f"{2023 + n // 2}.{1 + n % 2}"


def option(opt: dict):
    """The compact form: the type name alone, or a dict with only the limits the option has."""
    kind = TYPES.get(opt["type"], "?")
    out = {"t": kind}
    choices = [c[0] for c in opt.get("choices") or [] if c[0] is not None]
    if choices:
        out["c"] = choices
    for k in ("min", "max"):
        if opt.get(k) is not None:
            out[k] = opt[k]
    if opt["deprecated_for_removal"]:
        out["rm"] = [opt.get("deprecated_since") or "", " ".join((opt.get("deprecated_reason") or "").split())]
    return out if len(out) > 1 else kind


def extract(service: str, data: dict) -> dict:
    groups: dict = {}
    renamed: dict = {}      # old group -> old name -> [new group, new name]
    for group, body in sorted(data["options"].items()):
        opts = groups.setdefault(group, {})
        for opt in body["opts"]:
            if opt.get("positional"):
                continue
            for name in dict.fromkeys((opt["name"], opt["dest"])):     # a file may spell either
                opts[name] = option(opt)
            for old in opt["deprecated_opts"]:
                renamed.setdefault(old.get("group") or group, {})[old.get("name") or opt["dest"]] = [group, opt["dest"]]
    out = {"generated": "by validate/optdata.py from the pinned release's oslo-config-generator data; do not edit",
           "service": service, "version": importlib.metadata.version(service), "groups": groups,
           "renamed": {g: dict(sorted(v.items())) for g, v in sorted(renamed.items())}}
    if service == "glance":
        eps = importlib.metadata.entry_points(group="glance_store.drivers")
        out["stores"] = {ep.name: g for ep in sorted(eps, key=lambda e: e.name) if "." not in ep.name
                         for g in [glance_store_group(ep.name, data["options"])] if g}
    return out


def render(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped files, write nothing")
    ap.add_argument("--release", help="the release this virtualenv's pins must be (validate/releases)")
    args = ap.parse_args()
    if args.release and args.release != release():
        sys.exit(f"optdata.py: {sys.prefix} has the pins of release {release()}, not {args.release}")
    started = time.monotonic()
    out_dir = OUT / release()
    stale = []
    for service in SERVICES:
        with open(OPT_DATA / f"{service}.yaml") as f:
            text = render(extract(service, yaml.load(f, Loader=LOADER)))
        path = out_dir / f"{service}.json"
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"{path.relative_to(ROOT)}: {len(text)} bytes")
    print(f"optdata.py {release()}: {'checked' if args.check else 'written'} in {time.monotonic() - started:.1f}s")
    if stale:
        print(f"stale: {', '.join(stale)}; run make optdata")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
