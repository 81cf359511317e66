"""Cinder's LVM iSCSI backend in the lab (issue 28): as far as this machine goes, and the error that stops the rest.
The controller has the volume group `cinder-volumes` on a loop device (lab/host.sh) and tgtd (Debian's tgt, user
space) under supervisord; the stack's `lvm` backend is thick (`lvm_type: default`, lab/stack.yaml). This kernel has
no device-mapper, so lvcreate cannot make a logical volume, and every volume of type lvm ends in `error`."""
import time

import pytest

from labkit import converged, sh

from cloud import backend_up, delete_volume, final_status, openstack, wait_for

pytestmark = pytest.mark.lab

DM_ERROR = "striped: Required device-mapper target(s) not detected in your kernel."


@pytest.fixture(scope="module")
def lab(lab_hosts):
    return converged()


def test_cinder_volume_starts_the_lvm_backend_and_reports_the_groups_capacity(lab):
    wait_for("cinder-volume@lvm up", lambda: backend_up("lvm"), tries=60, interval=2)
    size = float(sh("controller", "vgs --noheadings --units g --nosuffix -o vg_size cinder-volumes 2>/dev/null"))
    pools = {p["Name"]: p["Capabilities"] for p in openstack("volume", "backend", "pool", "list", "--long")}
    lvm = pools["controller@lvm#lvm"]
    assert lvm["volume_backend_name"] == "lvm" and lvm["storage_protocol"] == "iSCSI", lvm
    assert abs(lvm["total_capacity_gb"] - size) < 0.1 and lvm["free_capacity_gb"] == lvm["total_capacity_gb"], lvm


def test_tgtd_loads_the_targets_the_programs_include_names(lab):
    """The program's /etc/tgt/conf.d/cinder.conf includes cinder's volumes_dir, where cinder's tgtadm helper writes a
    file per target; here one written by hand, backed by a plain file, is loaded and served, then removed."""
    assert sh("controller", "grep -v '^#' /etc/tgt/conf.d/cinder.conf").strip() == "include /var/lib/cinder/volumes/*"
    iqn = "iqn.2010-10.org.openstack:volume-lab-probe"
    sh("controller", f"""truncate -s 16M /tmp/lvm-probe.img
mkdir -p /var/lib/cinder/volumes
printf '<target {iqn}>\\n  backing-store /tmp/lvm-probe.img\\n  driver iscsi\\n</target>\\n' \
  > /var/lib/cinder/volumes/volume-lab-probe""")
    try:
        sh("controller", "tgt-admin --update ALL -c /etc/tgt/targets.conf")
        shown = sh("controller", "tgtadm --lld iscsi --mode target --op show")
        assert f"Target 1: {iqn}" in shown and "Backing store path: /tmp/lvm-probe.img" in shown, shown
        assert ":3260" in sh("controller", "ss -ltn")
    finally:
        sh("controller", f"tgt-admin --delete {iqn} --force; rm -f /var/lib/cinder/volumes/volume-lab-probe "
                         "/tmp/lvm-probe.img", check=False)
    assert iqn not in sh("controller", "tgtadm --lld iscsi --mode target --op show")


def test_a_volume_of_type_lvm_stops_at_device_mapper(lab):
    wait_for("cinder-volume@lvm up", lambda: backend_up("lvm"), tries=60, interval=2)
    t = time.monotonic()
    vol = openstack("volume", "create", "--size", "1", "--type", "lvm", "lvm-probe")
    try:
        assert final_status("volume", vol["id"]) == "error"
        log = sh("controller", f"grep -A4 'lvcreate -n volume-{vol['id']}' /var/log/cinder/cinder-volume.log")
        assert DM_ERROR in log, log[-1500:]
    finally:
        delete_volume(vol["id"])
    print(f"\nlvm volume: error after {time.monotonic() - t:.1f} s: {DM_ERROR}")
