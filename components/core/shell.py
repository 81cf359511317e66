"""Shell quoting, the one way a value enters a script: as one word, never inside another string."""
from __future__ import annotations

import shlex


def q(value) -> str:
    """`value` as one shell word, whatever characters it holds."""
    return shlex.quote(str(value))
