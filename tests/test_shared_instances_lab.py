"""Nova's instances on shared storage (issue 28): the same two computes converged to lab/designs.yaml's `nfs` design
(qcow2 disks on the NFS export `instances`, every user acting as nova there) and then its `gluster` design (on the
GlusterFS volume `instances-vol`, mounted with GlusterFS's FUSE client). In each a server boots on compute1 with a
file disk on the share, qemu writes a pattern into it, and `openstack server migrate --live-migration` moves it to
compute2 without block migration: the disk file is the same file on the server, and qemu reads the pattern back on
compute2. The module ends in make demo's design (rbd).

Lab stand-ins (lab/nfs/README.md): the NFS mounts are fuse-nfs; libvirtd sees them as NFS through nfs-statfs.so,
as it sees the kernel client's. GlusterFS's mounts are GlusterFS's own client, as in production."""
import json
import subprocess
import time

import pytest

from labkit import ROOT, converged, sh

from cloud import FLAVOR, CloudError, computes_ready, ensure_flavor, nova, server_settled, wait_for

pytestmark = pytest.mark.lab

# design -> (the instances mount's source and type on the computes, where a server's directory is on the servers)
SHARES = {"nfs": ("10.77.0.32:/instances", "fuse.fuse-nfs", [("storage2", "/srv/nfs/instances")]),
          "gluster": ("10.77.0.31:/instances-vol", "fuse.glusterfs",
                      [("storage1", "/srv/gluster/brick2"), ("storage2", "/srv/gluster/brick2")])}
PATTERN = "0xcd"
TIMES: dict[str, float] = {}


def design(lab, name: str) -> None:
    subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "lab" / "stack.py"), "--design", name], check=True,
                   env=lab.env, timeout=120, stdout=subprocess.DEVNULL)
    t = time.monotonic()
    lab.pulumi("up", "--yes", "--skip-preview")
    TIMES[f"converge {name}"] = time.monotonic() - t
    # nova-compute restarted on both computes (nova.conf changed): wait until both report
    wait_for("both nova-computes up and mapped", computes_ready, tries=90, interval=2)


@pytest.fixture(scope="module")
def lab(lab_hosts):
    lab = converged()
    ensure_flavor()
    yield lab
    design(lab, "rbd")


def qemu_io(s: dict, qdev: str, command: str) -> str:
    """A qemu-io command on the guest's own drive, in the running qemu (HMP); what it printed, which this qemu
    (7.2) writes to the guest's log rather than the monitor."""
    host, name = s["OS-EXT-SRV-ATTR:host"], s["OS-EXT-SRV-ATTR:instance_name"]
    log = f"/var/log/libvirt/qemu/{name}.log"
    seen = int(sh(host, f"wc -l < {log}"))
    sh(host, f"virsh -c qemu:///system qemu-monitor-command --hmp {name} {json.dumps(f'qemu-io -d {qdev} {command}')}")
    return sh(host, f"tail -n +{seen + 1} {log}")


def root_disk(s: dict) -> tuple[str, str]:
    """(qdev id, file) of the guest's root disk, as the running qemu has it (QMP query-block)."""
    out = sh(s["OS-EXT-SRV-ATTR:host"], f"virsh -c qemu:///system qemu-monitor-command "
             f"{s['OS-EXT-SRV-ATTR:instance_name']} '{{\"execute\":\"query-block\"}}'")
    disks = [(b["qdev"], b["inserted"]["file"]) for b in json.loads(out)["return"] if "inserted" in b]
    assert len(disks) == 1, disks
    return disks[0]


def on_servers(name: str, server_id: str, script: str) -> list[str]:
    return [sh(host, f"d={where}/{server_id}\n{script}").strip() for host, where in SHARES[name][2]]


@pytest.mark.parametrize("name", ["nfs", "gluster"])
def test_a_server_on_shared_instances_live_migrates_and_keeps_its_disk(lab, name):
    design(lab, name)
    source, fstype, _ = SHARES[name]
    for compute in ("compute1", "compute2"):
        assert sh(compute, "findmnt -no SOURCE,FSTYPE /var/lib/nova/instances").split() == [source, fstype]
    t = time.monotonic()
    made = nova("server", "create", "--flavor", FLAVOR, "--image", "lab-raw", "--nic", "none",
                "--availability-zone", "nova:compute1", f"shared-{name}-vm")
    try:
        s = server_settled(made["id"])
        TIMES[f"boot {name}"] = time.monotonic() - t
        assert s["status"] == "ACTIVE" and s["OS-EXT-SRV-ATTR:host"] == "compute1", s.get("fault")
        qdev, path = root_disk(s)
        assert path == f"/var/lib/nova/instances/{made['id']}/disk", path      # a file disk, not RBD
        inode = on_servers(name, made["id"], 'stat -c %i "$d/disk"')
        wrote = qemu_io(s, qdev, f'"write -P {PATTERN} 0 1M"')
        assert "wrote 1048576/1048576 bytes" in wrote, wrote

        t = time.monotonic()
        nova("server", "migrate", "--live-migration", "--host", "compute2", made["id"], parse=False)
        after = server_settled(made["id"])
        TIMES[f"migrate {name}"] = time.monotonic() - t
        assert after["status"] == "ACTIVE" and after["OS-EXT-SRV-ATTR:host"] == "compute2", after.get("fault")
        assert nova("server", "migration", "list", "--server", made["id"])[0]["Status"] == "completed"
        assert s["OS-EXT-SRV-ATTR:instance_name"] not in sh("compute1", "virsh -c qemu:///system list --all --name")
        # the same file, where it was: nothing was copied
        assert root_disk(after) == (qdev, path)
        assert on_servers(name, made["id"], 'stat -c %i "$d/disk"') == inode
        # and qemu on compute2 reads what qemu on compute1 wrote
        read = qemu_io(after, qdev, f'"read -P {PATTERN} 0 1M"')
        assert "read 1048576/1048576 bytes" in read and "verification failed" not in read, read
    finally:
        nova("server", "delete", "--wait", made["id"], parse=False)
    with pytest.raises(CloudError):
        nova("server", "show", made["id"])
    assert on_servers(name, made["id"], '[ -e "$d" ] && echo there || echo gone') == ["gone"] * len(SHARES[name][2])
    print(f"\n{name}: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items() if name in k))
