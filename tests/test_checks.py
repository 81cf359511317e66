"""The one validation path (components/config/checks.py, run by config.load): host keys parsed, monitor addresses in every
form Ceph writes, and the checks that used to wait for plan() (image files, NFS export ids) raised by load() itself,
with or without a ceph section."""
import base64
import runpy
import shlex

import pulumi
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from components.ceph.cli import cli as ceph_cli
from components.config import ConfigError, NfsExport, load
from conftest import without_ceph
from harness import ROOT, config_error, encode, plan, stack_config


def public_line(private) -> str:
    return private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                             serialization.PublicFormat.OpenSSH).decode()


REAL_KEYS = {"ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
             "rsa": lambda: rsa.generate_private_key(65537, 2048),
             **{f"ecdsa-{c.name}": (lambda c=c: ec.generate_private_key(c))
                for c in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1())}}


@pytest.mark.parametrize("kind", REAL_KEYS)
def test_real_host_keys_of_every_pinned_type_are_accepted(dev, kind):
    line = public_line(REAL_KEYS[kind]())
    dev["hosts"]["compute1"]["host_key"] = line
    assert plan(dev).cfg.hosts["compute1"].host_key == line


def _blob(*fields: bytes) -> str:
    return base64.b64encode(b"".join(len(f).to_bytes(4, "big") + f for f in fields)).decode()


ED25519 = "ssh-ed25519 " + _blob(b"ssh-ed25519", b"\x07" * 32)
BAD_KEYS = [
    ("the issue's ssh-rsa AAAA", "ssh-rsa AAAA", "the ssh-rsa key is cut short"),
    ("not base64", "ssh-ed25519 AAAA!!!!", "the key after ssh-ed25519 is not base64"),
    ("no key", "ssh-ed25519 ", "no key after ssh-ed25519"),
    ("truncated blob", ED25519[:-8], "the ssh-ed25519 key is cut short"),
    ("truncated mid-quad", ED25519[:-1], "the key after ssh-ed25519 is not base64"),
    ("blob short by a field", "ssh-ed25519 " + _blob(b"ssh-ed25519"), "the blob is not a whole ssh-ed25519 key"),
    ("length beyond the blob", "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
                                                                 + b"\x07" * 30).decode(),
     "the ssh-ed25519 key is cut short"),
    ("another type inside", "ssh-rsa " + ED25519.split()[1], "the blob holds a 'ssh-ed25519' key, not ssh-rsa"),
    ("unknown type", "ssh-dss " + _blob(b"ssh-dss", b"p", b"q", b"g", b"y"), "key type 'ssh-dss' is not one of"),
    ("a comment", ED25519 + " root@compute1", "the key after ssh-ed25519 is not base64"),
    ("ecdsa of another curve", "ecdsa-sha2-nistp256 " + _blob(b"ecdsa-sha2-nistp256", b"nistp384", b"\x04" + b"\1" * 96),
     "the blob is not a whole ecdsa-sha2-nistp256 key"),
]


@pytest.mark.parametrize("line,expected", [b[1:] for b in BAD_KEYS], ids=[b[0] for b in BAD_KEYS])
def test_a_malformed_host_key_names_its_key(dev, line, expected):
    dev["hosts"]["compute1"]["host_key"] = line
    message = config_error(dev)
    assert message.startswith(f"openstack-storage:hosts.compute1.host_key: {expected}"), message
    assert "/etc/ssh/ssh_host_*_key.pub" in message


def test_bastion_host_keys_are_parsed_too(dev):
    dev["ssh"]["proxy"] = {"address": "198.51.100.7", "host_key": "ssh-rsa AAAA"}
    assert config_error(dev).startswith("openstack-storage:ssh.proxy.host_key: the ssh-rsa key is cut short")
    dev["ssh"].pop("proxy")
    dev["hosts"]["compute2"]["ssh"] = {"proxy": {"address": "198.51.100.7", "host_key": ED25519[:-4] + "AAA="}}
    assert config_error(dev).startswith("openstack-storage:hosts.compute2.ssh.proxy.host_key: ")


MONITORS = [   # mon_host as given -> (the monitors, each as written, plain addresses for libvirt)
    (["203.0.113.30"], ["203.0.113.30"], ["203.0.113.30"]),
    ("10.0.0.1", ["10.0.0.1"], ["10.0.0.1"]),
    (["10.0.0.1:6789", "10.0.0.2:6789"], ["10.0.0.1:6789", "10.0.0.2:6789"], ["10.0.0.1", "10.0.0.2"]),
    ("v2:10.0.0.1:3300", ["v2:10.0.0.1:3300"], ["10.0.0.1"]),
    ("[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]", ["[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]"], ["10.0.0.1"]),
    ("[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0],[v2:10.0.0.2:3300/0,v1:10.0.0.2:6789/0]",
     ["[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]", "[v2:10.0.0.2:3300/0,v1:10.0.0.2:6789/0]"], ["10.0.0.1", "10.0.0.2"]),
    ("[::1]:6789", ["[::1]:6789"], ["::1"]),
    ("[v2:[fd00::1]:3300,v1:[fd00::1]:6789] fd00::2", ["[v2:[fd00::1]:3300,v1:[fd00::1]:6789]", "fd00::2"],
     ["fd00::1", "fd00::2"]),
    ("10.0.0.1, 10.0.0.2 10.0.0.3", ["10.0.0.1", "10.0.0.2", "10.0.0.3"], ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    (["mon1.example", "mon2.example:6789"], ["mon1.example", "mon2.example:6789"], ["mon1.example", "mon2.example"]),
]


@pytest.mark.parametrize("given,monitors,addresses", MONITORS, ids=[str(m[0]) for m in MONITORS])
def test_monitor_addresses_in_every_form_ceph_writes(dev, given, monitors, addresses):
    dev["ceph"]["mon_host"] = given
    p = plan(dev)
    assert p.cfg.ceph.mon_host == monitors
    for conf in p.ceph_conf.values():
        assert f"mon_host = {','.join(monitors)}" in conf.splitlines()
    assert p.cfg.ceph.mon_addresses() == addresses
    # the bounded ceph/rbd prelude names the monitors as the stack gives them
    assert f"mons={shlex.quote(', '.join(monitors))}\n" in ceph_cli(p.cfg.ceph)
    assert 'the Ceph monitors ($mons) did not answer' in ceph_cli(p.cfg.ceph)


BAD_MONITORS = [
    ("10.0.0.256", "'10.0.0.256' is not a monitor address as Ceph writes them ('10.0.0.256' does not appear"),
    ("v3:10.0.0.1", "'v3:10.0.0.1' is not a monitor address as Ceph writes them; write 10.0.0.1, 10.0.0.1:6789"),
    ("10.0.0.1:70000", "'10.0.0.1:70000' is not a monitor address as Ceph writes them (port 70000 is not between"),
    ("[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0", "'[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0' has a bracket too many"),
    ("[v2:fd00::1:3300]", "'[v2:fd00::1:3300]' is not a monitor address as Ceph writes them"),
    ("mon_1.example", "'mon_1.example' is not a monitor address"),
    ("[]", "'[]' names no address"),
]


@pytest.mark.parametrize("given,expected", BAD_MONITORS, ids=[m[0] for m in BAD_MONITORS])
def test_a_monitor_address_ceph_would_not_read_names_mon_host(dev, given, expected):
    dev["ceph"]["mon_host"] = given
    message = config_error(dev)
    assert message.startswith(f"openstack-storage:ceph.mon_host: {expected}"), message


def colliding_exports() -> list[dict]:
    """Two NFS exports whose export ids collide (found by trying names: ids are a hash modulo 60000)."""
    seen = {}
    for n in range(5000):
        e = {"name": f"share{n}", "host": "storage2", "path": f"/srv/nfs/share{n}", "clients": ["203.0.113.0/24"]}
        other = seen.setdefault(NfsExport(**e).export_id(), e)
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
