"""Cinder on the lab's file backends, through the real services on the program's settings (issue 28): type `nfs` on
NFS-Ganesha's VFS export, type `gluster` on the GlusterFS volume through NFS-Ganesha's GLUSTER FSAL (the runbook's
route since the native driver left). cinder-volume's os-brick mounts them with `mount -t nfs` as on a production
host; the lab's hosts answer that through fuse-nfs (lab/nfs/README.md says what that stand-in changes).

Each volume is checked where the data lives: the export's directory on storage2, the gluster bricks on storage1 and
storage2 (the GlusterFS runbook's own check)."""
import hashlib
import json
import time

import pytest

from labkit import converged, sh

from cloud import (FLAVOR, computes_ready, create_volume, delete_volume, ensure_flavor, nova, openstack, server_settled,
                   status, wait_for)
from stack import IMAGE

pytestmark = pytest.mark.lab

# where a volume's file lives on the servers, per volume type
PLACES = {"nfs": [("storage2", "/srv/nfs/cinder")],
          "gluster": [("storage1", "/srv/gluster/brick1"), ("storage2", "/srv/gluster/brick1")]}
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab(lab_hosts):
    return converged()


def on_servers(vtype: str, volume_id: str, script: str) -> list[str]:
    """`script` with $f the volume's file, on every server that holds it."""
    return [sh(host, f"f={where}/volume-{volume_id}\n{script}").strip() for host, where in PLACES[vtype]]


@pytest.mark.parametrize("vtype", ["nfs", "gluster"])
def test_a_volume_of_each_file_type_is_a_file_on_its_servers(lab, vtype):
    t = time.monotonic()
    vol = create_volume(f"file-{vtype}", vtype)
    TIMES[f"create {vtype}"] = time.monotonic() - t
    assert vol["status"] == "available" and vol["type"] == vtype
    # a 1 GiB file, owned by cinder's uid (root squashed: cinder's operations run as cinder), mode 0660
    stats = on_servers(vtype, vol["id"], 'stat -c "%s %a" "$f"')
    assert stats == [f"{1 << 30} 660"] * len(PLACES[vtype]), stats
    delete_volume(vol["id"])
    assert on_servers(vtype, vol["id"], '[ -e "$f" ] && echo there || echo gone') == ["gone"] * len(PLACES[vtype])


@pytest.mark.parametrize("vtype", ["nfs", "gluster"])
def test_a_volume_from_the_stacks_image_holds_its_bytes_on_the_servers(lab, vtype):
    image = IMAGE.read_bytes()
    t = time.monotonic()
    vol = create_volume(f"file-{vtype}-image", vtype, image="lab-raw")
    TIMES[f"create {vtype} from image"] = time.monotonic() - t
    sums = on_servers(vtype, vol["id"], f'head -c {len(image)} "$f" | sha256sum | cut -d" " -f1')
    assert sums == [hashlib.sha256(image).hexdigest()] * len(PLACES[vtype])
    delete_volume(vol["id"])
    print(f"\n{vtype}: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items() if vtype in k))


@pytest.fixture(scope="module")
def server(lab):
    """A server on the RBD computes (the lab's first design), to attach file volumes to."""
    wait_for("both nova-computes up and mapped", computes_ready, tries=90, interval=2)
    ensure_flavor()
    made = nova("server", "create", "--flavor", FLAVOR, "--image", "lab-raw", "--nic", "none", "file-vm")
    s = server_settled(made["id"])
    assert s["status"] == "ACTIVE", s.get("fault")
    yield s
    nova("server", "delete", "--wait", made["id"], parse=False)


def qemu_disks(s: dict) -> dict[str, str]:
    """qdev id -> the file qemu has open, for every disk of the running guest (QMP query-block)."""
    out = sh(s["OS-EXT-SRV-ATTR:host"], f"virsh -c qemu:///system qemu-monitor-command "
             f"{s['OS-EXT-SRV-ATTR:instance_name']} '{{\"execute\":\"query-block\"}}'")
    return {b["qdev"]: b["inserted"]["file"] for b in json.loads(out)["return"] if "inserted" in b}


@pytest.mark.parametrize("vtype", ["nfs", "gluster"])
def test_a_file_volume_attaches_qemu_writes_it_on_the_server_and_it_detaches(server, vtype):
    """The domain gets a file disk on the compute's mount of the share; qemu writes 1 MiB through it (qemu-io on
    the guest's own drive) and the bytes are on the servers; then it detaches."""
    vol = create_volume(f"file-{vtype}-attached", vtype)
    host, name = server["OS-EXT-SRV-ATTR:host"], server["OS-EXT-SRV-ATTR:instance_name"]
    try:
        t = time.monotonic()
        nova("server", "add", "volume", server["id"], vol["id"], parse=False)
        wait_for(f"{vtype} volume in-use", lambda: status("volume", vol["id"]) == "in-use", tries=90)
        TIMES[f"attach {vtype}"] = time.monotonic() - t
        qdev = f"ua-{vol['id']}"
        path = qemu_disks(server)[qdev]
        assert path.startswith("/var/lib/nova/mnt/") and path.endswith(f"/volume-{vol['id']}"), path
        assert f"<source file='{path}'" in sh(host, f"virsh -c qemu:///system dumpxml {name}")
        hmp = f"virsh -c qemu:///system qemu-monitor-command --hmp {name}"
        sh(host, f"{hmp} 'qemu-io -d {qdev} \"write -P 0xab 0 1M\"' && {hmp} 'qemu-io -d {qdev} flush'")
        want = hashlib.sha256(b"\xab" * (1 << 20)).hexdigest()
        assert on_servers(vtype, vol["id"], 'head -c 1M "$f" | sha256sum | cut -d" " -f1') == \
            [want] * len(PLACES[vtype])
        t = time.monotonic()
        nova("server", "remove", "volume", server["id"], vol["id"], parse=False)
        wait_for(f"{vtype} volume available", lambda: status("volume", vol["id"]) == "available", tries=90)
        TIMES[f"detach {vtype}"] = time.monotonic() - t
        assert qdev not in qemu_disks(server)
    finally:
        delete_volume(vol["id"])
    print(f"\n{vtype}: attach {TIMES[f'attach {vtype}']:.1f} s, detach {TIMES[f'detach {vtype}']:.1f} s")


@pytest.mark.parametrize("vtype", ["nfs", "gluster"])
def test_a_snapshot_is_refused_by_the_driver_and_both_delete(lab, vtype):
    """Cinder's NFS driver supports snapshots only without secure file operations, which a root-squashed share needs
    (the program refuses nfs_snapshot_support there): the snapshot ends in error with the driver's reason, and the
    snapshot and the volume still delete."""
    vol = create_volume(f"file-{vtype}-snap", vtype)
    try:
        snap = openstack("volume", "snapshot", "create", "--volume", vol["id"], f"file-{vtype}-snap")
        settled = wait_for("snapshot settled", lambda: (s := status("volume snapshot", snap["id"])) in
                           ("available", "error") and s, tries=60)
        assert settled == "error"
        log = sh("controller", "grep -F 'snapshot support is disabled' /var/log/cinder/cinder-volume.log || true")
        assert "NFS driver snapshot support is disabled in cinder.conf." in log
        openstack("volume", "snapshot", "delete", snap["id"], parse=False)
        wait_for("snapshot deleted", lambda: snap["id"] not in {s["ID"] for s in openstack("volume", "snapshot",
                                                                                           "list")}, tries=60)
    finally:
        delete_volume(vol["id"])
    assert on_servers(vtype, vol["id"], '[ -e "$f" ] && echo there || echo gone') == ["gone"] * len(PLACES[vtype])
