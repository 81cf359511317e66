"""Converge times on the lab, as ratios measured in one run (field notes: serial plays and minutes for a one-line
change are what operators hate). Needs a lab that is up (`bash lab/lab.sh up`) and the toolchain.

  python bench/converge.py        prints a table and bench/results.json

Each full converge starts from a fresh stack on already-converged hosts (a warm-up run first; `lab/stack.py --fresh`
destroys the previous stack's cloud objects, so each full run creates the volume types, QoS and image again), so
serial and parallel do the same work: every host step connects, checks state and finds nothing to do. The SSH
logins of the parallel full converge are counted in the hosts' sshd logs; the no-op must open none.
"""
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.pulumi_env import default_signals, pulumi_env  # noqa: E402
ENV = pulumi_env(PULUMI_CONFIG_PASSPHRASE_FILE=str(ROOT / "lab/run/passphrase"), PULUMI_CONFIG_PASSPHRASE=None)


def run(*args: str) -> float:
    t = time.monotonic()
    subprocess.run(list(args), cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   preexec_fn=default_signals)
    return time.monotonic() - t


def fresh_stack() -> None:
    run(str(ROOT / ".venv/bin/python"), "lab/stack.py", "--fresh")


def logins() -> int:
    return sum(p.read_text().count("Accepted publickey") for p in (ROOT / "lab/run/hosts").glob("*/log/sshd.log"))


def up(*extra: str) -> float:
    return run("pulumi", "--non-interactive", "up", "--stack", "lab", "--yes", "--skip-preview", *extra)


def main() -> None:
    if not (ROOT / "lab/run/lab.json").exists():
        raise SystemExit("the lab is down: bash lab/lab.sh up")
    fresh_stack()
    up()                                   # warm-up: the hosts converge once
    fresh_stack()
    serial = up("--parallel", "1")
    fresh_stack()
    before = logins()
    parallel = up()
    sessions = logins() - before
    noop = up()
    noop_sessions = logins() - before - sessions
    run("pulumi", "config", "set", "--stack", "lab", "--path", "cinder.options.DEFAULT.debug", "true")
    one_line = up()
    resources = json.loads(subprocess.run(["pulumi", "stack", "export", "--stack", "lab"], cwd=ROOT, env=ENV,
                                          capture_output=True, text=True, check=True).stdout)
    count = len(resources["deployment"]["resources"])
    results = {
        "resources": count,
        "ssh_logins": {"full_parallel": sessions, "noop": noop_sessions},
        "seconds": {"full_serial": round(serial, 2), "full_parallel": round(parallel, 2), "noop": round(noop, 2),
                    "one_cinder_option": round(one_line, 2)},
        "ratios": {"serial_over_parallel": round(serial / parallel, 2),
                   "noop_over_full": round(noop / parallel, 3),
                   "one_line_change_over_full": round(one_line / parallel, 3)},
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"{count} resources on 5 hosts; SSH logins: full converge {sessions}, no-op {noop_sessions}")
    for k, v in results["seconds"].items():
        print(f"  {k:22} {v:7.2f} s")
    for k, v in results["ratios"].items():
        print(f"  {k:28} {v}")


if __name__ == "__main__":
    main()
