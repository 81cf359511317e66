"""Real OpenStack (Keystone, Glance API, Cinder API, scheduler, volume, backup; lab/openstack/) on the configs
`pulumi up` rendered on the lab's controller: the rendered configs carry real data.

The volume type and the image are created with the openstack CLI here: `pulumi up` cannot create them, because the
pulumi-openstack provider plugin cannot be built on this project's machines (see README, Status).
"""
import subprocess

import pytest

from labkit import ROOT, converged, sh

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def openstack(lab_hosts):
    converged()
    for script in ("install.sh", "up.sh"):
        r = subprocess.run(["bash", str(ROOT / "lab/openstack" / script)], capture_output=True, text=True,
                           timeout=900)
        assert r.returncode == 0, f"lab/openstack/{script} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}"
    r = subprocess.run(["bash", str(ROOT / "lab/openstack/verify.sh")], capture_output=True, text=True, timeout=900)
    return r


def passed(run, text: str) -> None:
    lines = run.stdout.splitlines()
    checks = "\n".join(l for l in lines if l.startswith(("PASS", "FAIL")))
    assert any(l.startswith(f"PASS {text}") for l in lines), f"no PASS {text!r}:\n{checks}"


def test_services_run_on_the_rendered_configs(openstack):
    passed(openstack, "cinder-scheduler up")
    passed(openstack, "cinder-volume@ceph up")
    passed(openstack, "cinder-backup up")
    # the services read the program's files: cinder.conf on the controller is the one it rendered
    assert "enabled_backends = ceph,gluster,nfs" in sh("controller", "cat /etc/cinder/cinder.conf")


def test_a_ceph_volume_is_an_rbd_image_in_the_volumes_pool(openstack):
    passed(openstack, "volume on ceph available")
    passed(openstack, "rbd ls volumes has volume-")


def test_an_image_is_stored_in_the_images_pool(openstack):
    passed(openstack, "image active")
    passed(openstack, "rbd ls images has")
    passed(openstack, "image has its protected snap")


def test_a_volume_from_the_image_is_a_copy_on_write_clone(openstack):
    passed(openstack, "volume from image available")
    passed(openstack, "volume from image is a clone of images/")


def test_a_backup_lands_in_the_backups_pool_as_cinder_backup(openstack):
    passed(openstack, "backup available")
    passed(openstack, "rbd ls backups has volume-")
    passed(openstack, "backup written as client.cinder-backup")


def test_every_backend_starts_without_a_configuration_error(openstack):
    """gluster and nfs cannot mount here (this kernel has no NFS client, so volumes on them are out of reach),
    but nothing cinder-volume logs is a configuration error."""
    log = sh("controller", "cat /var/log/supervisor/cinder-volume*.log /var/log/cinder/*.log 2>/dev/null || true")
    assert log, "no cinder-volume log to read"
    # both file backends were set up from the shares files the program rendered, and tried to mount them
    for share in sh("controller", "cat /etc/cinder/nfs_shares_gluster /etc/cinder/nfs_shares_nfs").split():
        assert f"Failed to mount {share}, reason: mount.nfs: No such device" in log, share
    for bad in ("NoSuchOptError", "ConfigFileValueError", "RequiredOptError", "DuplicateOptError",
                "Unknown option", "unrecognized arguments"):
        assert bad not in log, f"cinder-volume logged a configuration error: {bad}"
    assert openstack.returncode == 0 and openstack.stdout.splitlines()[-1].endswith(" 0 failed"), openstack.stdout[-2000:]
