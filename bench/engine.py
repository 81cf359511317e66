"""The engine's own cost as a stack grows: `pulumi up` of N resources that do nothing (bench/engine/), each about the
size of the lab stack's average resource in state, on the project's engine and local backend (scripts/env.sh's, in
a directory of its own), with the engine's checkpoints (the default: the whole state is written after every step's
start and end) and without them (PULUMI_SKIP_CHECKPOINTS, which keeps no state if the run dies). bench/evaluate.py
times the program under mocks; this is the part it cannot see.

  python bench/engine.py [N ...]     default 100 200 400; prints seconds and the growth for each doubling of N

The lab stack at 8 computes has 210 resources and about 5 KB of state per resource (`pulumi stack export`); a
compute adds about 19 resources.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.pulumi_env import backend_in, default_signals, pulumi_env  # noqa: E402

BYTES = 5000


def up(n: int, checkpoints: bool) -> tuple[float, int]:
    """Seconds of a fresh stack's `pulumi up` with `n` resources, and the size of the state it left."""
    state = pathlib.Path(tempfile.mkdtemp(prefix="engine-bench-"))
    env = pulumi_env(PULUMI_BACKEND_URL=backend_in(state), PULUMI_CONFIG_PASSPHRASE="bench",
                     PULUMI_CONFIG_PASSPHRASE_FILE=None, ENGINE_BENCH_N=str(n), ENGINE_BENCH_BYTES=str(BYTES),
                     PULUMI_SKIP_CHECKPOINTS=None if checkpoints else "true")
    run = dict(cwd=ROOT / "bench/engine", env=env, capture_output=True, text=True, timeout=3600,
               preexec_fn=default_signals)
    try:
        subprocess.run(["pulumi", "stack", "init", "bench", "--non-interactive"], check=True, **run)
        t = time.monotonic()
        r = subprocess.run(["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", "bench"], **run)
        seconds = time.monotonic() - t
        if r.returncode or f"{n + 1} created" not in r.stdout:   # and the stack
            sys.exit(f"bench/engine.py: {n} resources: up failed\n{(r.stdout + r.stderr)[-2000:]}")
        size = sum(p.stat().st_size for p in state.rglob("bench.json"))
        return seconds, size
    finally:   # the state, and the stack's config file that `stack init` writes beside the program
        shutil.rmtree(state)
        (ROOT / "bench/engine/Pulumi.bench.yaml").unlink(missing_ok=True)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 200, 400]
    print(f"{'resources':>9} {'state MB':>8} {'checkpoints s':>13} {'none s':>7}")
    rows = {}
    for n in sizes:
        (on, size), (off, _) = up(n, True), up(n, False)
        rows[n] = on, off
        print(f"{n:9} {size / 1e6:8.1f} {on:13.2f} {off:7.2f}", flush=True)
    for a, b in zip(sizes, sizes[1:]):
        print(f"  {a} -> {b} resources ({b / a:.0f}x): with checkpoints {rows[b][0] / rows[a][0]:.2f}x, "
              f"without {rows[b][1] / rows[a][1]:.2f}x")


if __name__ == "__main__":
    main()
