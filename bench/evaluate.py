"""Program evaluation time under Pulumi mocks as the number of computes grows (the example environment plus N
computes, every compute a full one: keyring, libvirt secret, nova.conf, migration certificates). Each size runs in
a fresh process, so one size's registrations do not slow the next.

  python bench/evaluate.py [N ...]      default 10 100 300 1000; prints seconds and the ratios 300/100, 1000/300
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

ONE = """
import copy, json, sys, time
sys.path[:0] = [{root!r}, {root!r} + "/tests"]
import pulumi, yaml
from harness import Mocks, deploy, settled
# the SDK's own mock monitor: what is timed is the program and the SDK, not the tests' recording of every input
pulumi.runtime.set_mocks(Mocks(), project="openstack-storage", stack="bench", preview=False)
dev = {{k.split(":", 1)[1]: v for k, v in yaml.safe_load(open({root!r} + "/Pulumi.dev.yaml"))["config"].items()
        if "secure" not in str(v)}}
dev["images"] = [{{"name": "blank", "file": "examples/dev-cloud-ca.pem", "disk_format": "raw"}}]
template = dev["hosts"]["compute2"]
for i in range({n}):
    dev["hosts"][f"c{{i:04d}}"] = {{**template, "address": f"10.{{100 + i // 250}}.{{i % 250}}.10"}}
t = time.monotonic()

@pulumi.runtime.test
def run():
    _, d = deploy(dev)
    return settled(d.resources)

run()
print(json.dumps({{"seconds": time.monotonic() - t}}))
"""


def measure(n: int) -> float:
    r = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", ONE.format(root=str(ROOT), n=n)], cwd=ROOT,
                       capture_output=True, text=True, timeout=3600)
    if r.returncode:
        raise SystemExit(f"{n} computes: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 300, 1000]
    seconds = {}
    for n in sizes:
        seconds[n] = measure(n)
        print(f"  {n + 2:5} computes  {seconds[n]:7.2f} s", flush=True)
    for a, b in ((100, 300), (300, 1000)):
        if a in seconds and b in seconds:
            print(f"  ratio {b}/{a}: {seconds[b] / seconds[a]:.2f}  (linear: {b / a:.2f})")


if __name__ == "__main__":
    main()
