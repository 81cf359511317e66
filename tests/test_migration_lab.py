"""A guest on Ceph moves between the lab's computes over TLS, on nothing but what `pulumi up` converged: the
libvirt secret holding the cinder user's key, ceph.conf, libvirtd.conf (listen_tls) and the certificates of
components/libvirt/pki.py. The guest is defined the way nova-compute defines one (a network disk, protocol rbd,
<auth username=...> with the stack's secret UUID), TCG (no KVM here), 64 MiB and no OS: qemu runs it all the same.
"""
import json
import subprocess
import time
import uuid

import pytest

from labkit import ROOT, RUN, converged, sh

pytestmark = pytest.mark.lab

DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='writeback' discard='unmap'/>
      <auth username='{user}'><secret type='ceph' uuid='{secret}'/></auth>
      <source protocol='rbd' name='{pool}/{image}'>{hosts}</source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'/>
  </devices>
</domain>
"""


def virsh(host: str, *args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
    r = subprocess.run(["timeout", str(timeout), "bash", str(ROOT / "lab/exec.sh"), host, "virsh", *args],
                       capture_output=True, text=True)
    if check:
        assert r.returncode == 0, f"{host}: virsh {' '.join(args)}: {r.stderr.strip()}"
    return r


def watched_from(image: str, host: str) -> bool:
    """Whether `host` (by its address on the lab bridge, where its Ceph traffic goes) has `image` open."""
    address = json.loads((RUN / "lab.json").read_text())["hosts"][host]["service_address"]
    return f"watcher={address}:" in sh("storage1", f"rbd status {image}")


@pytest.fixture(scope="module")
def guest(lab_hosts):
    lab = converged()
    cfg = lab.cfg()
    name, image = "lab-guest", f"{cfg.nova.images_rbd_pool}/lab-guest_disk"
    sh("storage1", f"rbd rm {image} >/dev/null 2>&1 || true; rbd create --size 64 {image}")
    hosts = "".join(f"<host name='{h}' port='6789'/>" for h in cfg.ceph.mon_addresses())
    xml = DOMAIN.format(name=name, uuid=uuid.uuid4(), user=cfg.nova.rbd_user, secret=cfg.ceph.libvirt_secret_uuid,
                        pool=cfg.nova.images_rbd_pool, image="lab-guest_disk", hosts=hosts)
    sh("compute1", f"cat > /root/{name}.xml <<'EOF'\n{xml}EOF\nvirsh define /root/{name}.xml >/dev/null")
    yield lab, cfg, name, image
    for h in ("compute1", "compute2"):
        virsh(h, "destroy", name, check=False)
        virsh(h, "undefine", name, check=False)
    sh("storage1", f"rbd rm {image} >/dev/null 2>&1 || true", check=False)


def test_the_guest_starts_reading_its_disk_from_ceph_through_the_libvirt_secret(guest):
    _, cfg, name, image = guest
    virsh("compute1", "start", name)
    assert "running" in virsh("compute1", "domstate", name).stdout
    # qemu opened the image as the stack's rbd_user: the compute is its watcher
    assert watched_from(image, "compute1")


def test_live_migration_is_refused_without_the_certificates(guest):
    """The TLS path is really the one used: without compute1's client certificate libvirt cannot connect."""
    lab, _, name, _ = guest
    sh("compute1", "rm /etc/pki/libvirt/clientcert.pem")
    try:
        r = virsh("compute1", "migrate", "--live", "--tls", name, "qemu+tls://compute2/system", check=False)
        # compute2's libvirtd logs "Unable to verify TLS peer: No certificate was found" and drops the connection
        assert r.returncode != 0 and "TLS" in r.stderr, r.stderr
        assert "running" in virsh("compute1", "domstate", name).stdout
        # the program sees the missing file on refresh
        assert lab.changes("--refresh").get("compute1-libvirt-pki-files") == "update"
    finally:
        lab.pulumi("up", "--yes", "--skip-preview", "--refresh")     # and puts it back
    assert sh("compute1", "test -s /etc/pki/libvirt/clientcert.pem && echo back").strip() == "back"


def test_the_guest_live_migrates_to_the_other_compute_over_tls(guest):
    _, cfg, name, image = guest
    t = time.monotonic()
    virsh("compute1", "migrate", "--live", "--tls", "--persistent", "--undefinesource", "--verbose", name,
          "qemu+tls://compute2/system", timeout=180)
    seconds = time.monotonic() - t
    print(f"live migration over TLS (libvirt + qemu native TLS) took {seconds:.1f} s")
    assert "running" in virsh("compute2", "domstate", name).stdout
    assert name not in virsh("compute1", "list", "--all", "--name").stdout
    assert watched_from(image, "compute2") and not watched_from(image, "compute1")
