"""Program evaluation time under Pulumi mocks as the number of computes grows: the example environment with every
feature on (the tests' `shared` stack: two storage hosts, a gluster volume, NFS exports with the instances share on
one, the nfs, glusterfs and lvm cinder backends, cinder's file volume group, migration over TLS with nova's SSH keys
and /etc/hosts) plus N computes, every compute a full one. Costs that grow with the square of the computes (every
compute waiting on every other's step, every compute's files naming every other) show only with these features on.
Each size runs in a fresh process, so one size's registrations do not slow the next.

  python bench/evaluate.py [N ...]      default 10 100 300 1000; prints seconds and the ratios 300/100, 1000/300
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBs3kTw7M5hfvnA2bC4pYbUZ2WgbmHcIa8vDeIRBvXcV"
CLIENTS = ["203.0.113.0/24", "10.0.0.0/8"]     # the example computes' and the bench's
# tests/conftest.py's `shared` fixture, copied: this script runs without pytest
FEATURES = {
    "gluster": {"volumes": [{"name": "cinder-vol", "replica": 2, "force": True, "owner_uid": 165, "owner_gid": 165,
                             "bricks": [{"host": "storage1", "path": "/srv/gluster/b1"},
                                        {"host": "storage2", "path": "/srv/gluster/b1"}]}]},
    "nfs_exports": [
        {"name": "instances", "host": "storage2", "path": "/srv/nfs/instances", "clients": CLIENTS,
         "owner": "nova:nova", "all_squash": True, "anonymous_uid": 64060, "anonymous_gid": 64060},
        {"name": "cinder-nfs", "host": "storage2", "server": "kernel", "path": "/srv/nfs/cinder", "clients": CLIENTS},
        {"name": "cinder-gluster", "host": "storage2", "gluster_volume": "cinder-vol", "clients": CLIENTS},
    ],
    "instances_share": {"export": "instances", "idmap_domain": "cloud.example",
                        "align_ids": {"nova": {"uid": 64060, "gid": 64060}}},
    "migration": {"transport": "tls", "nova_ssh_public_key": f"{KEY} nova@cloud"},
}
STORAGE_HOSTS = {"storage1": {"address": "203.0.113.41", "host_key": KEY, "roles": ["gluster-server"]},
                 "storage2": {"address": "203.0.113.42", "host_key": KEY, "roles": ["gluster-server", "nfs-server"]}}
BACKENDS = [{"type": "nfs", "name": "nfs", "export": "cinder-nfs", "mount_options": "vers=4.1"},
            {"type": "glusterfs", "name": "gluster", "volume": "cinder-vol"},
            {"type": "lvm", "name": "lvm", "volume_group": "cinder-volumes", "target_helper": "tgtadm"}]
SECRETS = {"ssh_private_key": "k", "openstack_password": "p", "nova_ssh_private_key": "NOVA-PRIVATE-KEY"}

ONE = """
import json, sys, time
sys.path[:0] = [{root!r}, {root!r} + "/tests"]
import pulumi, yaml
from harness import Mocks, deploy, settled
# the SDK's own mock monitor: what is timed is the program and the SDK, not the tests' recording of every input
pulumi.runtime.set_mocks(Mocks(), project="openstack-storage", stack="bench", preview=False)
dev = {{k.split(":", 1)[1]: v for k, v in yaml.safe_load(open({root!r} + "/Pulumi.dev.yaml"))["config"].items()
        if "secure" not in str(v)}}
dev["images"] = [{{"name": "blank", "file": "examples/dev-cloud-ca.pem", "disk_format": "raw"}}]
dev.update({features!r})
dev["hosts"].update({storage!r})
dev["cinder"]["backends"] += {backends!r}
dev["cinder"]["file_volume_group"] = {{"gid": 165}}
template = dev["hosts"]["compute2"]
for i in range({n}):
    dev["hosts"][f"c{{i:04d}}"] = {{**template, "address": f"10.{{100 + i // 250}}.{{i % 250}}.10"}}
t = time.monotonic()

@pulumi.runtime.test
def run():
    _, d = deploy(dev, {secrets!r})
    return settled(d.resources)

run()
print(json.dumps({{"seconds": time.monotonic() - t}}))
"""


def measure(n: int) -> float:
    code = ONE.format(root=str(ROOT), n=n, features=FEATURES, storage=STORAGE_HOSTS, backends=BACKENDS,
                      secrets=SECRETS)
    # this interpreter: a worktree has no .venv of its own
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=3600)
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
