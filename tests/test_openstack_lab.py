"""The cloud half on the lab's real OpenStack (Keystone, Glance API, Cinder API, scheduler, volume, backup on MariaDB
and RabbitMQ; lab/openstack/): `pulumi up --stack lab` creates the volume types, the QoS spec and the image through
pulumi-openstack, and the services it restarted on the rendered configs store real data in Ceph.

The tests run in file order against one stack; the last one destroys it.
"""
import json
import time

import pytest

from labkit import converged, sh

from cloud import (backend_up, create_volume, delete_volume, final_status, openstack, rbd_images, rbd_parent,
                   wait_for)

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(lab_hosts):
    return converged()


def outputs(lab) -> dict:
    return json.loads(lab.pulumi("stack", "output", "--json"))


def flex(value) -> str:
    s = str(value).lower()
    return {"yes": "true", "no": "false"}.get(s, s)


def qos_of(type_name: str):
    return next((q for q in openstack("volume", "qos", "list") if type_name in (q["Associations"] or [])), None)


def test_types_qos_and_image_are_in_the_cloud_with_the_stacks_settings(lab):
    p, out = lab.plan(), outputs(lab)
    cfg = p.cfg
    assert set(out["volume_type_ids"]) == {t.name for t in cfg.volume_types} == {b.name for b in cfg.cinder.backends}
    for t in cfg.volume_types:
        got = openstack("volume", "type", "show", out["volume_type_ids"][t.name])
        assert got["name"] == t.name and got["description"] == t.description and got["is_public"]
        # the backend name the program rendered into t.backend's cinder.conf section
        assert got["properties"] == {"volume_backend_name": p.backend_names[t.backend]}
        spec = qos_of(t.name)
        if t.qos:
            want = next(q for q in cfg.qos_specs if q.name == t.qos)
            assert spec["Name"] == want.name and spec["Consumer"] == want.consumer
            assert spec["Properties"] == {k: str(v) for k, v in want.specs.items()}
        else:
            assert spec is None, f"{t.name} has a QoS association the stack does not ask for"
    for i in cfg.images:
        img = openstack("image", "show", out["image_ids"][i.name])
        assert img["status"] == "active" and img["disk_format"] == "raw" and img["name"] == i.name
        # glance keeps os_require_quiesce as a boolean; nova reads yes/true alike
        assert {k: flex(img["properties"].get(k)) for k in i.properties} == {k: flex(v) for k, v in i.properties.items()}


def test_services_run_on_the_rendered_configs(lab):
    rows = openstack("volume", "service", "list")
    for binary, host in (("cinder-scheduler", "controller"), ("cinder-volume", "controller@ceph"),
                         ("cinder-backup", "controller")):
        assert any(r["Binary"] == binary and r["Host"] == host for r in rows), f"no {binary} on {host}: {rows}"
    assert "enabled_backends = ceph,gluster,nfs" in sh("controller", "cat /etc/cinder/cinder.conf")


def test_the_image_is_in_the_images_pool_and_a_volume_from_it_is_a_clone(lab):
    image = outputs(lab)["image_ids"]["lab-raw"]
    assert image in rbd_images("images")
    assert "snap" in sh("storage1", f"rbd snap ls images/{image}")
    vol = create_volume(f"from-image-{int(time.time())}", "ceph", image=image)
    try:
        assert f"volume-{vol['id']}" in rbd_images("volumes")
        assert rbd_parent(f"volumes/volume-{vol['id']}") == f"images/{image}@snap"
    finally:
        delete_volume(vol["id"])


def test_a_backup_lands_in_the_backups_pool_as_cinder_backup(lab):
    vol = create_volume(f"to-back-up-{int(time.time())}", "ceph")
    backup = None
    try:
        backup = openstack("volume", "backup", "create", "--name", f"b-{vol['id'][:8]}", vol["id"])["id"]
        assert final_status("volume backup", backup) == "available", openstack("volume", "backup", "show", backup).get("fail_reason")
        assert f"volume-{vol['id']}.backup.{backup}" in rbd_images("backups")
        # of the keys on the controller, only client.cinder-backup may write the backups pool (and no admin key)
        keys = sh("controller", "ls /etc/ceph").split()
        assert not any("admin" in k for k in keys)
        clients = [k[len("ceph."):-len(".keyring")] for k in keys if k.startswith("ceph.client.")]
        writers = [c for c in clients if "profile rbd pool=backups" in sh("storage1", f"ceph auth get {c} 2>/dev/null")]
        assert writers == ["client.cinder-backup"]
    finally:
        if backup:
            openstack("volume", "backup", "delete", backup, parse=False)
            wait_for("backup deleted", lambda: backup not in {b["ID"] for b in openstack("volume", "backup", "list")})
        delete_volume(vol["id"])


def test_every_backend_starts_without_a_configuration_error(lab):
    """Every backend is up, the file backends with their shares mounted (through the lab's NFS client, lab/nfs/),
    and nothing cinder-volume logs is a configuration error."""
    for backend in ("ceph", "nfs", "gluster"):
        wait_for(f"cinder-volume@{backend} up", lambda b=backend: backend_up(b), tries=60, interval=2)
    mounts = sh("controller", "cat /proc/mounts")
    for share in sh("controller", "cat /etc/cinder/nfs_shares_gluster /etc/cinder/nfs_shares_nfs").split():
        assert f"{share} /var/lib/cinder/mnt/" in mounts, share
    log = sh("controller", "cat /var/log/cinder/cinder-volume.log")
    for bad in ("NoSuchOptError", "ConfigFileValueError", "RequiredOptError", "DuplicateOptError",
                "Unknown option", "unrecognized arguments"):
        assert bad not in log, f"cinder-volume logged a configuration error: {bad}"


def test_changed_specs_and_properties_are_updated_in_place(lab):
    before = outputs(lab)
    lab.pulumi("config", "set", "--path", "volume_types[0].extra_specs.multiattach", "<is> True")
    lab.pulumi("config", "set", "--path", "qos_specs[0].specs.total_iops_sec", "800")
    lab.pulumi("config", "set", "--path", "images[0].properties.hw_disk_bus", "virtio")
    assert lab.changes() == {"volume-type-ceph-type": "update", "qos-lab-iops-qos": "update",
                             "image-lab-raw-image": "update"}
    lab.pulumi("up", "--yes", "--skip-preview")
    assert outputs(lab) == before, "an ID changed: something was replaced"
    ceph = openstack("volume", "type", "show", before["volume_type_ids"]["ceph"])
    assert ceph["properties"] == {"volume_backend_name": "ceph", "multiattach": "<is> True"}
    assert qos_of("ceph")["Properties"]["total_iops_sec"] == "800"
    assert openstack("image", "show", before["image_ids"]["lab-raw"])["properties"]["hw_disk_bus"] == "virtio"
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")


def test_destroy_removes_the_cloud_objects_and_keeps_the_data_pools(lab):
    out, cfg = outputs(lab), lab.plan().cfg
    lab.pulumi("destroy", "--yes", "--skip-preview")
    assert not {t["ID"] for t in openstack("volume", "type", "list")} & set(out["volume_type_ids"].values())
    assert openstack("volume", "qos", "list") == []
    assert not {i["ID"] for i in openstack("image", "list")} & set(out["image_ids"].values())
    assert out["image_ids"]["lab-raw"] not in rbd_images("images")
    pools = sh("storage1", "ceph osd pool ls").split()
    assert {p.name for p in cfg.ceph.pools if not p.allow_delete} <= set(pools)
