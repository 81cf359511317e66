"""Every stack config mistake is one ConfigError that names the key and says what to do."""
import pytest

from components.config import load
from harness import config_error, encode


def client(cfg, name):
    return next(c for c in cfg["ceph"]["clients"] if c["name"] == name)


def test_example_environment_is_valid(dev_full):
    cfg = load(encode(dev_full), {"ssh_private_key", "openstack_password"})
    assert sorted(cfg.hosts) == ["ceph1", "compute1", "compute2", "controller1"]
    assert cfg.hosts_with("nova-compute") == ["compute1", "compute2"]
    assert [t.backend for t in cfg.volume_types] == ["ceph"] and cfg.images[0].disk_format == "qcow2"


CASES = [
    ("unknown top-level key",
     lambda c: c.update(pool_defaults={}), "openstack-storage:pool_defaults: unknown key"),
    ("misspelled nested key",
     lambda c: c["ceph"]["pools"][0].update(pgnum=64), "openstack-storage:ceph.pools[volumes].pgnum: unknown key"),
    ("missing required key",
     lambda c: c["ceph"].pop("fsid"), "openstack-storage:ceph.fsid: missing"),
    ("bad secret uuid",
     lambda c: c["ceph"].update(libvirt_secret_uuid="457eb676-not-a-uuid"),
     "openstack-storage:ceph.libvirt_secret_uuid: Input should be a valid UUID"),
    ("unknown role",
     lambda c: c["hosts"]["compute1"].update(roles=["nova-compute", "nova-api"]),
     "openstack-storage:hosts.compute1.roles[1]: Input should be"),
    ("host key not pinned",
     lambda c: c["hosts"]["compute1"].pop("host_key"), "openstack-storage:hosts.compute1.host_key: missing"),
    ("malformed host key",
     lambda c: c["hosts"]["compute1"].update(host_key="AAAA"), "openstack-storage:hosts.compute1.host_key: key type 'AAAA' is not one of ssh-ed25519"),
    ("bad port",
     lambda c: c["hosts"]["compute1"].update(ssh={"port": 70000}), "openstack-storage:hosts.compute1.ssh.port"),
    ("admin host missing",
     lambda c: c["ceph"].update(admin_host="ceph9"), "openstack-storage:ceph.admin_host: host 'ceph9' is not defined"),
    ("client names undefined pool",
     lambda c: client(c, "cinder")["caps"].update(volumez="rbd"),
     "openstack-storage:ceph.clients[cinder].caps.volumez: pool 'volumez' is not defined in ceph.pools"),
    ("client keyring on missing host",
     lambda c: client(c, "glance").update(hosts=["controller2"]),
     "openstack-storage:ceph.clients[glance].hosts: host 'controller2' is not defined"),
    ("duplicate pool",
     lambda c: c["ceph"]["pools"].append({"name": "images"}),
     "openstack-storage:ceph.pools[images]: pool 'images' is defined twice"),
    ("duplicate client",
     lambda c: c["ceph"]["clients"].append(dict(client(c, "glance"))),
     "openstack-storage:ceph.clients[glance]: client 'glance' is defined twice"),
    ("duplicate host address",
     lambda c: c["hosts"]["compute2"].update(address="203.0.113.21"),
     "openstack-storage:hosts.compute2.address: 203.0.113.21:22 is already used by host compute1"),
    ("client. prefix",
     lambda c: client(c, "glance").update(name="client.glance"),
     "openstack-storage:ceph.clients[client.glance].name: write 'glance', without the 'client.' prefix"),
    ("pg_num fights autoscaler",
     lambda c: c["ceph"]["pools"][0].update(pg_num=128, autoscale=True),
     "openstack-storage:ceph.pools[volumes]: pg_num with autoscale: true would fight the autoscaler"),
    ("glance user undefined",
     lambda c: c["glance"].update(rbd_user="glancy"),
     "openstack-storage:glance.rbd_user: client 'glancy' is not defined in ceph.clients"),
    ("glance pool undefined",
     lambda c: c["glance"].update(pool="imagez"), "openstack-storage:glance.pool: pool 'imagez' is not defined"),
    ("read-only caps where the service writes",
     lambda c: client(c, "glance")["caps"].update(images="rbd-read-only"),
     "openstack-storage:ceph.clients[glance].caps.images: glance writes to pool 'images' as client.glance"),
    ("keyring not on the service's hosts",
     lambda c: client(c, "cinder-backup").update(roles=[]),
     "openstack-storage:ceph.clients[cinder-backup].roles: cinder-backup on controller1 needs the keyring"),
    ("nova rbd pool missing",
     lambda c: c["nova"].pop("images_rbd_pool"), "openstack-storage:nova: images_type rbd needs images_rbd_pool"),
    ("cinder and nova disagree on the libvirt user",
     lambda c: c["cinder"]["backends"][0].update(rbd_user="glance") or client(c, "glance")["caps"].update(volumes="rbd")
     or client(c, "glance")["roles"].append("cinder-volume"),
     "openstack-storage:cinder.backends[ceph].rbd_user: 'glance' differs from nova.rbd_user 'cinder'"),
    ("duplicate backend",
     lambda c: c["cinder"]["backends"].append(dict(c["cinder"]["backends"][0])),
     "openstack-storage:cinder.backends[ceph]: backend 'ceph' is defined twice"),
    ("option set twice",
     lambda c: c["cinder"].update(options={"DEFAULT": {"enabled_backends": "lvm"}}),
     "openstack-storage:cinder.options.DEFAULT.enabled_backends: is already set by the program"),
    ("wrong type",
     lambda c: c["ceph"]["pools"][1].update(size="three"),
     "openstack-storage:ceph.pools[images].size: Input should be a valid integer"),
]


@pytest.mark.parametrize("mutate,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_is_one_clear_error(dev, mutate, expected):
    mutate(dev)
    message = config_error(dev)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_missing_ssh_key_secret(dev):
    message = config_error(dev, {})
    assert message.startswith("openstack-storage:ssh_private_key: missing; set it as a secret"), message

