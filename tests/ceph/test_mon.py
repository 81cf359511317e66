"""`mon` of config.Ceph.cli: templates/scripts/ceph_mon.py run by the interpreter of `ceph` (here a stand-in whose
shebang is this Python) against a stand-in `rados` module that records what it was asked and answers as librados
does; the real one against a real cluster is every pool and cephx step of tests/test_lab.py."""
import json
import subprocess
import sys

import pytest

from components.ceph.cli import cli as ceph_cli
from components.config.ceph import Ceph, CephPool

RADOS = '''
import json, os
class Error(Exception): pass
class Rados:
    def __init__(self, clustername, name):
        self.seen = {"cluster": clustername, "name": name, "set": {}}
    def conf_read_file(self):
        self.seen["conf"] = "default search path"
    def conf_set(self, option, value):
        self.seen["set"][option] = value
    def connect(self):      # librados gives up after client_mount_timeout
        if os.environ.get("DOWN"):
            raise Error("[errno 110] RADOS timed out (error connecting to the cluster)")
    def mon_command(self, cmd, inbuf):
        self.seen["command"] = json.loads(cmd)
        if self.seen["command"].get("entity") == "client.gone":
            return -2, b"", "failed to find client.gone in keyring"
        if self.seen["command"].get("entity") == "client.slow":     # past rados_mon_op_timeout
            return -110, b"", ""
        return 0, b"[client.glance]\\n\\tkey = AQ==\\n", ""
    def shutdown(self):
        with open(os.environ["SEEN"], "w") as f:
            json.dump(self.seen, f)
'''


@pytest.fixture
def mon(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "bin/ceph").write_text(f"#!{sys.executable}\n")
    (tmp_path / "bin/ceph").chmod(0o755)
    (tmp_path / "lib/rados.py").write_text(RADOS)
    cli = ceph_cli(Ceph(cluster="lab", fsid="6d3e2c3a-8f0e-4d2b-9a55-3c1f5f0f0a11", mon_host=["10.77.0.31"],
               admin_host="storage1", libvirt_secret_uuid="5b0a3c7e-7f55-4c8e-b1a3-2d9d1c9f0e42",
               pools=[CephPool(name="volumes")], connect_timeout=7))

    def run(*args: str, down: bool = False):
        r = subprocess.run(["bash", "-c", cli + 'mon "$@"', "mon", *args], capture_output=True, text=True, timeout=60,
                           env={"PATH": f"{tmp_path}/bin:/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "lib"),
                                "SEEN": str(tmp_path / "seen"), **({"DOWN": "1"} if down else {})})
        return r, json.loads((tmp_path / "seen").read_text())
    return run


def test_one_monitor_command_with_its_arguments_answered_as_the_cli(mon):
    r, seen = mon("auth get", "entity=client.glance")
    assert (r.returncode, r.stdout) == (0, "[client.glance]\n\tkey = AQ==\n")
    assert seen == {"cluster": "lab", "name": "client.admin", "conf": "default search path",
                    "set": {"client_mount_timeout": "7", "rados_mon_op_timeout": "7"},
                    "command": {"prefix": "auth get", "entity": "client.glance"}}


def test_a_missing_user_exits_2_as_the_cli_does(mon):
    r, _ = mon("auth get", "entity=client.gone")
    assert r.returncode == 2 and r.stdout == ""
    assert "Error ENOENT: failed to find client.gone in keyring" in r.stderr


def test_monitors_that_do_not_answer_are_named_with_the_cli_command(mon):
    r, seen = mon("osd pool get", "pool=volumes", "var=crush_rule", down=True)
    assert r.returncode != 0 and r.returncode != 2 and "command" not in seen     # not "no such pool"
    assert seen["set"]["client_mount_timeout"] == "7"        # what makes librados give up (connect() ignores its own)
    assert ("the Ceph monitors (10.77.0.31) did not answer within 7 s (ceph osd pool get volumes crush_rule) from"
            in r.stderr), r.stderr
    assert "Traceback" not in r.stderr


def test_a_command_the_monitors_do_not_answer_in_time_names_them_too(mon):
    r, _ = mon("auth get", "entity=client.slow")
    assert r.returncode == 110
    assert "did not answer within 7 s (ceph auth get client.slow)" in r.stderr, r.stderr
