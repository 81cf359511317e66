"""The scripts kept in templates/scripts/: the bash functions the program's scripts share (prelude.sh) and the
scripts a step runs whole (supervisord's restart, a Ceph monitor command). Their comments are for the reader of the
template and are left out of what runs: every step's script is kept in the Pulumi state, and a function no script
calls is too."""
from __future__ import annotations

import functools
import re
from pathlib import Path

# Here, not in render.py: the provider process imports this module (hoststate.py's scripts) and render.py would
# bring jinja2 and the config models with it.
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@functools.cache
def template(name: str) -> str:
    """templates/scripts/`name` without its comment lines."""
    text = (TEMPLATES / "scripts" / name).read_text()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@functools.cache
def functions() -> dict[str, str]:
    """prelude.sh's functions: name -> its block (the definition and what goes with it, as put's trap)."""
    blocks = [b.strip("\n") for b in template("prelude.sh").split("\n\n") if b.strip()]
    return {re.match(r"(\w+)\(\)", b).group(1): b for b in blocks}


def prelude(*names: str) -> str:
    """The definitions of the prelude's functions `names`, in that order."""
    return "\n".join(functions()[n] for n in names)
