"""Day two on the lab: rotating the cephx key that cinder-volume, nova-compute and libvirt use, in one `pulumi up`
(issue 30). Ceph then refuses the old key; every keyring and libvirt secret holds the new one; only the services that
connect as that user restart; a server that was running keeps reading and writing its RBD disk, and a new server boots
and a new volume attaches with the new key."""
import json
import time

import pytest

from cloud import (FLAVOR, computes_ready, create_volume, delete_volume, ensure_flavor, nova, server_settled, status,
                   wait_for)
from labkit import converged, sh

pytestmark = pytest.mark.lab

SERVICES = {"controller": ["cinder-volume", "cinder-backup", "glance-api"], "compute1": ["nova-compute", "libvirtd"],
            "compute2": ["nova-compute", "libvirtd"], "storage2": ["nfs-ganesha"]}


@pytest.fixture(scope="module")
def lab(lab_hosts):
    lab = converged()
    wait_for("both nova-computes up and mapped", computes_ready, tries=90, interval=2)
    ensure_flavor()
    made = []
    lab.boot = lambda name: made.append(server_settled(nova("server", "create", "--flavor", FLAVOR, "--image",
                                                             "lab-raw", "--nic", "none", name)["id"])) or made[-1]
    yield lab
    for s in made:
        nova("server", "delete", "--wait", s["id"], parse=False)


def pids() -> dict:
    return {(h, s): sh(h, f"supervisorctl pid {s}").strip() for h, names in SERVICES.items() for s in names}


def keyring_key(host: str, user: str) -> str:
    return sh(host, f"sed -n 's/^[[:space:]]*key = //p' /etc/ceph/ceph.client.{user}.keyring").strip()


def rbd_as(user: str, key: str) -> bool:
    """Whether Ceph lets `user` list the volumes pool with `key` (given on stdin, into a 0600 file)."""
    script = (f"umask 077; k=$(mktemp); printf '[client.{user}]\\n\\tkey = %s\\n' \"$(cat)\" > $k; "
              f"timeout 30 rbd -n client.{user} -k $k --rados-mon-op-timeout 10 ls volumes >/dev/null 2>&1; "
              f"rc=$?; rm -f $k; exit $rc")
    import subprocess
    from labkit import ROOT
    r = subprocess.run(["bash", str(ROOT / "lab/exec.sh"), "storage1", "bash", "-c", script], input=key,
                       capture_output=True, text=True, timeout=60)
    return r.returncode == 0


def hmp(s: dict, command: str) -> str:
    return sh(s["OS-EXT-SRV-ATTR:host"], f"virsh -c qemu:///system qemu-monitor-command --hmp "
              f"{s['OS-EXT-SRV-ATTR:instance_name']} '{command}'")


def root_drive(s: dict) -> str:
    out = sh(s["OS-EXT-SRV-ATTR:host"], f"virsh -c qemu:///system qemu-monitor-command "
             f"{s['OS-EXT-SRV-ATTR:instance_name']} '{{\"execute\":\"query-block\"}}'")
    return next(b["qdev"] for b in json.loads(out)["return"] if "rbd" in b.get("inserted", {}).get("file", ""))


def qemu_pid(s: dict) -> str:
    return sh(s["OS-EXT-SRV-ATTR:host"], f"cat /run/libvirt/qemu/{s['OS-EXT-SRV-ATTR:instance_name']}.pid").strip()


def test_rotating_a_key_in_one_up(lab):
    cfg = lab.cfg()
    user = cfg.nova.rbd_user
    index = [c.name for c in cfg.ceph.clients].index(user)
    running = lab.boot("rotation-before")
    assert running["status"] == "ACTIVE", running.get("fault")
    drive, pid = root_drive(running), qemu_pid(running)
    hmp(running, f'qemu-io -d {drive} "write -P 0x5a 32M 1M"')
    old, before = keyring_key("controller", user), pids()
    assert rbd_as(user, old)

    lab.pulumi("config", "set", "--path", f"ceph.clients[{index}].key_generation", "1")
    changes = lab.changes()
    restarts = {n for n in changes if "-restart-" in n}
    assert restarts == {"controller-cinder-config-restart-cinder-volume", "compute1-nova-config-restart-nova-compute",
                        "compute2-nova-config-restart-nova-compute"}, changes
    assert changes[f"ceph-client-{user}-ensure"] == "update"
    assert {"compute1-libvirt-secret-set", "compute2-libvirt-secret-set"} <= set(changes)
    t = time.monotonic()
    lab.pulumi("up", "--yes", "--skip-preview")
    seconds = time.monotonic() - t

    new = keyring_key("controller", user)
    assert new and new != old
    assert rbd_as(user, new) and not rbd_as(user, old)          # Ceph refuses the old key
    for host in cfg.keyrings():
        if user in cfg.keyrings()[host]:
            assert keyring_key(host, user) == new, host
    for host in ("compute1", "compute2"):
        # the secret is private (virsh will not print it): its persistent value, as libvirtd keeps it
        assert sh(host, f"cat /etc/libvirt/secrets/{cfg.ceph.libvirt_secret_uuid}.base64").strip() == new, host
    after = pids()
    restarted = {k for k in before if before[k] != after[k]}
    assert restarted == {("controller", "cinder-volume"), ("compute1", "nova-compute"), ("compute2", "nova-compute")}

    # the running server keeps running on its RBD disk: the same qemu, reading what it wrote and writing more
    assert qemu_pid(running) == pid and nova("server", "show", running["id"])["status"] == "ACTIVE"
    assert "verification failed" not in hmp(running, f'qemu-io -d {drive} "read -P 0x5a 32M 1M"').lower()
    hmp(running, f'qemu-io -d {drive} "write -P 0xa5 33M 1M"')
    assert "verification failed" not in hmp(running, f'qemu-io -d {drive} "read -P 0xa5 33M 1M"').lower()

    # a new server boots and a new volume attaches, both through the new key
    wait_for("both nova-computes up again", computes_ready, tries=90, interval=2)
    fresh = lab.boot("rotation-after")
    assert fresh["status"] == "ACTIVE", fresh.get("fault")
    vol = create_volume("rotation-vol", "ceph")
    try:
        nova("server", "add", "volume", fresh["id"], vol["id"], parse=False)
        wait_for("volume in-use", lambda: status("volume", vol["id"]) == "in-use", tries=90)
        nova("server", "remove", "volume", fresh["id"], vol["id"], parse=False)
        wait_for("volume available", lambda: status("volume", vol["id"]) == "available", tries=90)
    finally:
        delete_volume(vol["id"])

    logins = lab.sshd_logins()
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")     # fails the test on any change
    assert lab.sshd_logins() == logins
    print(f"\nrotation of client.{user}: {seconds:.1f} s, {len(restarted)} restarts: {sorted(restarted)}")
