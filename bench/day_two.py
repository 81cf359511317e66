"""The blast radius of adding and retiring a compute (issue 30), at 2 and at 8 computes, on one lab with 8 computes:

  LAB_COMPUTES=8 make demo
  python bench/day_two.py [--sizes 2,8]      prints a table and writes bench/day_two.json

At size K the stack holds the lab's first K computes (`lab/stack.py --computes K`, the stack kept). Then the last of
them is retired (K-1 in the stack) and added back (K): for each, the preview's counts by operation (what it touches),
the names it updates outside the compute's own resources, the seconds of `pulumi up`, the SSH logins it made per
host (a login through compute1, the lab's bastion for compute2.., counts on compute1 too) and the services outside
the compute that restarted (their supervisord pids on the controller and the first compute).
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from computes import PYTHON, logins, pulumi, run, summary, wait_quiet  # noqa: E402

STEADY = {"controller": ["cinder-volume", "cinder-backup", "glance-api"], "compute1": ["nova-compute", "libvirtd"]}


def per_host_logins() -> dict[str, int]:
    return {p.parent.parent.name: p.read_text(errors="replace").count("Accepted publickey")
            for p in (ROOT / "lab/run/hosts").glob("*/log/sshd.log")}


def pids() -> dict:
    out = {}
    for host, services in STEADY.items():
        for s in services:
            _, r = run("bash", "lab/exec.sh", host, "supervisorctl", "pid", s, check=False)
            out[f"{host}/{s}"] = r.stdout.strip()
    return out


def stack(k: int) -> None:
    run(PYTHON, "lab/stack.py", "--computes", str(k))


def change(k: int, host: str) -> dict:
    """Set the stack to `k` computes; the preview and the up of that change."""
    stack(k)
    _, r = pulumi("preview", "--json")
    plan = json.loads(r.stdout)
    others = sorted(s["urn"].rsplit("::", 1)[1] for s in plan["steps"] if s["op"] not in ("same", "read")
                    and not s["urn"].rsplit("::", 1)[1].startswith(f"{host}-")
                    and s["urn"].rsplit("::", 1)[1] != f"instances-ids-read-{host}")
    wait_quiet()
    before_logins, before_pids = per_host_logins(), pids()
    seconds, r = pulumi("up", "--yes", "--skip-preview")
    after_logins, after_pids = per_host_logins(), pids()
    return {"preview": plan["changeSummary"], "outside_the_compute": others, "seconds": round(seconds, 1),
            "up": summary(r.stdout),
            "ssh_logins": {h: n - before_logins.get(h, 0) for h, n in after_logins.items()
                           if n != before_logins.get(h, 0)},
            "restarted_elsewhere": sorted(k for k in before_pids if before_pids[k] != after_pids[k])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2,8")
    args = parser.parse_args()
    rows = {}
    for k in [int(s) for s in args.sizes.split(",")]:
        stack(k)
        pulumi("up", "--yes", "--skip-preview")
        host = f"compute{k}"
        rows[k] = {"retire": change(k - 1, host), "add": change(k, host)}
        before = logins()
        pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")
        rows[k]["noop_logins_after"] = logins() - before
        for what in ("retire", "add"):
            r = rows[k][what]
            print(f"{k} computes, {what} {host}: touches {r['preview']}, outside it {r['outside_the_compute']}, "
                  f"{r['seconds']} s, SSH logins {r['ssh_logins']}, restarted elsewhere {r['restarted_elsewhere']}")
    (ROOT / "bench/day_two.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
