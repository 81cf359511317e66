"""The one validation path (components/checks.py, run by config.load): the checks that used to wait for plan()
(image files, NFS export ids) raised by load() itself, with or without a ceph section."""
import runpy

import pulumi
import pytest
from components.config import ConfigError, NfsExport, load
from components.nfs_export import export_id
from harness import ROOT, encode, stack_config
from test_shared_storage import without_ceph


def colliding_exports() -> list[dict]:
    """Two NFS exports whose export ids collide (found by trying names: ids are a hash modulo 60000)."""
    seen = {}
    for n in range(5000):
        e = {"name": f"share{n}", "host": "storage2", "path": f"/srv/nfs/share{n}", "clients": ["203.0.113.0/24"]}
        other = seen.setdefault(export_id(NfsExport(**e)), e)
        if other is not e:
            return [other, e]
    raise AssertionError("no two of 5000 export names collide")


COLLIDING = colliding_exports()


FILE_ERRORS = [   # what plan() used to find only after load(): now load() itself
    ("missing image file", lambda c: c.update(images=[{"name": "cirros", "file": "nope.qcow2", "disk_format": "qcow2",
                                                       "convert": True}]),
     f"openstack-storage:images[cirros].file: no such file: {ROOT}/nope.qcow2"),
    ("image checksum", lambda c: c.update(images=[{"name": "ca", "file": "examples/dev-cloud-ca.pem",
                                                   "disk_format": "raw", "sha256": "0" * 64}]),
     f"openstack-storage:images[ca].sha256: {ROOT}/examples/dev-cloud-ca.pem has sha256 "),
    ("missing CA bundle", lambda c: c["openstack"].update(cacert_file="nope/ca.pem"),
     "openstack-storage:openstack.cacert_file: cannot read"),
    ("export ids collide", lambda c: c["nfs_exports"].extend(COLLIDING),
     f"openstack-storage:nfs_exports[{COLLIDING[1]['name']}]: its export id collides with "
     f"{COLLIDING[0]['name']!r}'s; rename one"),
]


@pytest.mark.parametrize("ceph", [True, False], ids=["with ceph", "without ceph"])
@pytest.mark.parametrize("mutate,expected", [e[1:] for e in FILE_ERRORS], ids=[e[0] for e in FILE_ERRORS])
def test_load_runs_every_check(shared, dev_full, ceph, mutate, expected):
    cfg = shared if ceph else without_ceph(shared)
    cfg["openstack"] = dev_full["openstack"]
    mutate(cfg)
    with pytest.raises(ConfigError) as e:
        load(encode(cfg), {"ssh_private_key", "openstack_password"}, ROOT)
    assert str(e.value).startswith(expected), str(e.value)


@pytest.mark.parametrize("mutate,expected", [e[1:] for e in FILE_ERRORS], ids=[e[0] for e in FILE_ERRORS])
def test_a_file_or_export_id_error_registers_nothing(monitor, shared, dev_full, mutate, expected):
    shared["openstack"] = dev_full["openstack"]
    mutate(shared)
    stack_config(shared)

    @pulumi.runtime.test
    def run_main():
        with pytest.raises(pulumi.RunError) as e:
            runpy.run_path(str(ROOT / "__main__.py"))
        assert str(e.value).startswith(expected)
        assert monitor.registrations == []
    run_main()
