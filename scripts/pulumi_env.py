"""The Pulumi environment of scripts/env.sh, for the Python that runs pulumi (the tests, bench/): the project's
engine and plugins, its local state, offline. env.sh stays the one definition (make sources it); this reads what
it exports and applies the caller's changes (None removes a variable)."""
import os
import pathlib
import signal
import subprocess
from typing import Optional

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pulumi_env(**changes: Optional[str]) -> dict[str, str]:
    out = subprocess.run(["bash", "-c", '. "$1" && env -0', "env", str(ROOT / "scripts/env.sh")], env=os.environ,
                         capture_output=True, check=True, timeout=30).stdout.decode()
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def backend_in(directory: pathlib.Path) -> str:
    """env.sh's local backend URL, with its options, for state kept in `directory` (a test's, a bench's)."""
    url = pulumi_env()["PULUMI_BACKEND_URL"]
    return f"file://{directory}" + (url[url.index("?"):] if "?" in url else "")


def default_signals() -> None:
    """`preexec_fn` for pulumi: a background job (`cmd &` in a script) starts with SIGINT ignored, and so would
    pulumi's plugins; the engine's SIGINT at the end of a run would not stop them, and every run would wait their
    grace period (4-5 s) longer."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
