import copy
import logging
import os
import pathlib
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "lab"))      # lab/cloud.py: the lab's cloud, as the lab tests and make demo read it

from harness import use_mocks  # noqa: E402  (mocks are set before any test imports the program)

# `make unit` sets UNIT_ONLY=1: its tests need nothing but Python. A test it selects that reaches for the lab, the
# engine, .venv-validate or a local service fails naming what it started, instead of starting it.
UNIT_ONLY = os.environ.get("UNIT_ONLY") == "1"
NOT_UNIT = {"pulumi", "make", "unshare", "supervisord", "sshd", "mount", "umount"}
NOT_UNIT_SCRIPTS = ("scripts/env.sh", "scripts/toolchain.sh", "lab/", "validate/build.sh")   # env.sh: the engine's


def not_unit(what: str) -> None:
    if UNIT_ONLY:
        pytest.fail(f"make unit: this test needs {what}; mark it engine, lab, validate or host", pytrace=False)


def _unit_guard(event, args):
    if event == "subprocess.Popen":
        argv = [str(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
        relative = [a.removeprefix(f"{ROOT}/") for a in argv]
        if argv and (os.path.basename(argv[0]) in NOT_UNIT or any(a.startswith(NOT_UNIT_SCRIPTS) for a in relative)):
            not_unit(f"`{' '.join(argv)[:200]}`")


if UNIT_ONLY:
    sys.addaudithook(_unit_guard)


def pytest_sessionfinish(session, exitstatus):
    # The Outputs a test's expected failure left are collected at exit, and asyncio prints each one's traceback
    # ("Future exception was never retrieved": 6,000 lines) after pytest's summary, where CI's tail shows only them.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)


@pytest.fixture(autouse=True)
def sdk_debug_kept(monkeypatch):
    """__main__.py drops the SDK's debug messages for its whole process; after a test that runs it, the next test has
    them again."""
    import pulumi
    monkeypatch.setattr(pulumi.log, "debug", pulumi.log.debug)


@pytest.fixture(scope="session")
def lab_hosts():
    """The lab's hosts, up for the session's lab tests; stopped at the end if this session started them."""
    not_unit("the lab")
    import labkit
    started = labkit.hosts_up()
    yield
    if started:
        labkit.hosts_down()

_DEV = {k.split(":", 1)[1]: v for k, v in
        yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"].items() if "secure" not in str(v)}


@pytest.fixture
def monitor():
    return use_mocks()


CLOUD_KEYS = ("openstack", "qos_specs", "volume_types", "images", "migration")


@pytest.fixture
def dev():
    """The example environment's Ceph RBD core (Pulumi.dev.yaml without its cloud and migration parts), as
    plain data to use or vary."""
    return {k: copy.deepcopy(v) for k, v in _DEV.items() if k not in CLOUD_KEYS}


@pytest.fixture
def dev_full():
    """The whole example environment."""
    return copy.deepcopy(_DEV)


STORAGE_KEYS = {
    "storage1": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBs3kTw7M5hfvnA2bC4pYbUZ2WgbmHcIa8vDeIRBvXcV",
    "storage2": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9cO2kq1+5TJvB0JtBvQ9Yf2sPbHc3S8yQ0rjVqJd8m",
}


@pytest.fixture
def shared(dev):
    """The example environment plus two storage hosts serving Gluster and NFS, and all four cinder backends."""
    dev["hosts"]["storage1"] = {"address": "203.0.113.41", "host_key": STORAGE_KEYS["storage1"],
                                "roles": ["gluster-server"]}
    dev["hosts"]["storage2"] = {"address": "203.0.113.42", "host_key": STORAGE_KEYS["storage2"],
                                "roles": ["gluster-server", "nfs-server"]}
    dev["gluster"] = {"volumes": [{"name": "cinder-vol", "replica": 2, "force": True, "owner_uid": 165,
                                   "owner_gid": 165, "bricks": [{"host": "storage1", "path": "/srv/gluster/b1"},
                                                                {"host": "storage2", "path": "/srv/gluster/b1"}]}]}
    dev["nfs_exports"] = [
        {"name": "instances", "host": "storage2", "path": "/srv/nfs/instances", "clients": ["203.0.113.0/24"],
         "owner": "nova:nova", "all_squash": True, "anonymous_uid": 64060, "anonymous_gid": 64060},
        {"name": "cinder-nfs", "host": "storage2", "server": "kernel", "path": "/srv/nfs/cinder",
         "clients": ["203.0.113.0/24", "198.51.100.0/24"]},
        {"name": "cinder-gluster", "host": "storage2", "gluster_volume": "cinder-vol", "clients": ["203.0.113.0/24"]},
    ]
    dev["cinder"]["backends"] += [
        {"type": "nfs", "name": "nfs", "export": "cinder-nfs", "mount_options": "vers=4.1"},
        {"type": "glusterfs", "name": "gluster", "volume": "cinder-vol"},
        {"type": "lvm", "name": "lvm", "volume_group": "cinder-volumes", "target_helper": "tgtadm"},
    ]
    dev["cinder"]["file_volume_group"] = {"gid": 165}
    dev["instances_share"] = {"export": "instances", "idmap_domain": "cloud.example"}
    dev["migration"] = {"transport": "tls"}
    return dev


@pytest.fixture
def lab():
    """The lab stack as lab/stack.py writes it for a two-compute lab, with the lab's fixed addresses (lab/lab.sh) and
    the example stack's host key for every host (the running lab's are generated); its image is left out, as it
    writes no host file."""
    import stack
    key = next(iter(_DEV["hosts"].values()))["host_key"]
    addresses = {"controller": "10.77.0.10", "compute1": "10.77.0.21", "compute2": "10.77.0.22",
                 "storage1": "10.77.0.31", "storage2": "10.77.0.32"}
    lab = {"hosts": {h: {"address": a, "host_key": key} for h, a in addresses.items()},
           "ceph": {"fsid": "0b7ef1c4-3f55-4d0e-9d61-1f0c3b2a9e11", "mon_host": ["10.77.0.31"]},
           "cinder_ids": {"uid": 999, "gid": 995}, "nova_ids": {"uid": 994, "gid": 993}}
    lab["hosts"]["compute2"]["bastion"] = "compute1"
    config = {k.split(":", 1)[1]: v for k, v in stack.stack_config(lab).items()}
    config.pop("images", None)
    return config


def without_ceph(shared: dict) -> dict:
    """NFS and Gluster backends only: no ceph section, nothing that uses Ceph."""
    for key in ("ceph", "glance", "nova"):
        shared.pop(key)
    shared["cinder"] = {"backends": [b for b in shared["cinder"]["backends"] if b.get("type") in ("nfs", "glusterfs")],
                        "file_volume_group": shared["cinder"]["file_volume_group"]}
    shared["openstack"] = {"auth_url": "https://keystone.example:5000/v3"}
    shared["volume_types"] = [{"name": "nfs", "backend": "nfs"}]
    return shared


def validate_releases() -> dict[str, tuple[pathlib.Path, pathlib.Path]]:
    """validate/releases: release -> (its locked pins, its virtualenv), the lab's release first."""
    rows = [line.split("#")[0].split() for line in (ROOT / "validate" / "releases").read_text().splitlines()]
    return {r[0]: (ROOT / "validate" / r[1], ROOT / r[2]) for r in rows if len(r) == 3}


@pytest.fixture(scope="session")
def validate_tooling() -> dict[str, pathlib.Path]:
    """release -> its virtualenv, with its pins and option data (validate/build.sh, every release of
    validate/releases; seconds when built)."""
    not_unit(".venv-validate")
    import subprocess
    r = subprocess.run(["bash", str(ROOT / "validate" / "build.sh")], capture_output=True, text=True, timeout=2400)
    if r.returncode:
        pytest.fail(f"validate/build.sh failed (exit {r.returncode}):\n{r.stdout}{r.stderr}", pytrace=False)
    print(r.stdout)
    return {release: venv for release, (_, venv) in validate_releases().items()}
