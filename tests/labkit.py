"""The lab's real hosts for the tests that use them: bring them up once per session, converge a fresh stack with
the real engine, read host state without SSH (lab/exec.sh)."""
import json
import os
import pathlib
import subprocess
import threading
import time

import yaml

from components import program
from scripts.pulumi_env import pulumi_env

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN = ROOT / "lab" / "run"
CLIENTS = ("cinder", "glance", "cinder-backup")


def sh(host: str, script: str, check: bool = True) -> str:
    r = subprocess.run(["bash", str(ROOT / "lab" / "exec.sh"), host, "bash", "-c", script], capture_output=True,
                       text=True, timeout=60)
    if check:
        assert r.returncode == 0, f"{host}: {script!r} failed: {r.stderr[-500:]}"
    return r.stdout


def pool_detail(name: str) -> dict:
    pools = json.loads(sh("storage1", "ceph osd pool ls detail -f json"))
    return next(p for p in pools if p["pool_name"] == name)


class CommandLines(threading.Thread):
    """Every process command line on the machine (the lab's hosts included), sampled while it runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen: set[str] = set()
        self.running = True

    def run(self):
        deadline = time.monotonic() + 600
        while self.running and time.monotonic() < deadline:
            for d in os.listdir("/proc"):
                if d.isdigit():
                    try:
                        self.seen.add(open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace"))
                    except OSError:
                        pass
            time.sleep(0.02)


class Lab:
    def __init__(self):
        self.outputs: list[str] = []
        self.env = pulumi_env(PULUMI_CONFIG_PASSPHRASE_FILE=str(RUN / "passphrase"), PULUMI_CONFIG_PASSPHRASE=None)

    def pulumi(self, *args: str, ok: bool = True) -> str:
        r = subprocess.run(["pulumi", "--non-interactive", *args, "--stack", "lab"], cwd=ROOT, env=self.env,
                           capture_output=True, text=True, timeout=900)
        self.outputs.append(r.stdout + r.stderr)
        if ok:
            assert r.returncode == 0, f"pulumi {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}"
        return r.stdout

    def changes(self, *args: str) -> dict[str, str]:
        """Resource name -> operation, for every step of a preview that is not `same`."""
        plan = json.loads(self.pulumi("preview", "--json", *args))
        return {s["urn"].rsplit("::", 1)[1]: s["op"] for s in plan.get("steps", []) if s["op"] not in ("same", "read")}

    def config(self):
        raw = yaml.safe_load((ROOT / "Pulumi.lab.yaml").read_text())["config"]
        values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items() if "secure" not in str(v)}
        return values

    def secret_keys(self) -> set[str]:
        raw = yaml.safe_load((ROOT / "Pulumi.lab.yaml").read_text())["config"]
        return {k.split(":", 1)[1] for k, v in raw.items() if isinstance(v, dict) and "secure" in v}

    def plan(self):
        return program.plan(self.config(), self.secret_keys(), root=ROOT)

    def cfg(self):
        return self.plan().cfg

    def keys(self) -> dict[str, str]:
        return {c: sh("storage1", f"ceph auth get-key client.{c}").strip() for c in CLIENTS}

    def sshd_logins(self) -> int:
        return sum(self.sshd_logins_by_host().values())

    def sshd_logins_by_host(self) -> dict[str, int]:
        return {p.parent.parent.name: p.read_text().count("Accepted publickey")
                for p in RUN.glob("hosts/*/log/sshd.log")}


def hosts_up() -> bool:
    """Bring the lab up unless it is, and its OpenStack services (idempotent: a lab left by make demo has them);
    True when this call started the lab (and so should stop it)."""
    started = not (RUN / "lab.json").exists()
    if started:
        subprocess.run(["bash", str(ROOT / "lab/openstack/install.sh")], check=True, timeout=1800)
        subprocess.run(["bash", str(ROOT / "lab/lab.sh"), "up"], check=True, timeout=300)
    subprocess.run(["bash", str(ROOT / "lab/openstack/up.sh")], check=True, timeout=600, stdout=subprocess.DEVNULL)
    return started


def hosts_down() -> None:
    subprocess.run(["bash", str(ROOT / "lab" / "lab.sh"), "down"], check=True, timeout=300)


def converged(sample: bool = False) -> "Lab":
    """A fresh lab stack, converged by `pulumi up`; with `sample`, every command line seen meanwhile is kept."""
    lab = Lab()
    subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "lab" / "stack.py"), "--fresh"], check=True,
                   env=lab.env, timeout=600)
    lab.sampler = CommandLines()
    if sample:
        lab.sampler.start()
    t = time.monotonic()
    lab.first_up = lab.pulumi("up", "--yes", "--skip-preview")
    lab.first_up_seconds = time.monotonic() - t
    lab.sampler.running = False
    return lab
