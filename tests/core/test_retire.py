"""A host leaving the stack (components/core/retire.py): its keyrings and libvirt secret are removed when it answers,
and reported as left behind, without failing the run, when it does not. On the lab: tests/test_day_two_lab.py."""
import subprocess

import pulumi

from components.core import retire
from components.core.ssh import RemoteError, Unreachable
from harness import deploy, plain, settled

RECORD = {"connection": {"host": "10.0.0.2", "name": "host compute2"}, "files": ["/etc/ceph/ceph.client.cinder.keyring"],
          "secret": "5b3c1d7e-9f42-4a8e-b6d1-2c7f0e9a4b31", "uri": None}


def test_the_cleanup_removes_the_keyrings_and_the_libvirt_secret(tmp_path):
    keyring, calls = tmp_path / "k.keyring", tmp_path / "calls"
    keyring.write_text("[client.cinder]\n")
    stub = f'virsh() {{ echo "virsh $*" >> {calls}; }}\n'
    script = retire.cleanup_script([str(keyring), str(tmp_path / "never-there")], RECORD["secret"], None)
    r = subprocess.run(["bash", "-eu", "-c", stub + script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert not keyring.exists()
    assert r.stdout.splitlines() == [f"removed {keyring}", f"undefined libvirt secret {RECORD['secret']}"]
    assert calls.read_text().splitlines() == [f"virsh secret-dumpxml {RECORD['secret']}",
                                              f"virsh secret-undefine {RECORD['secret']}"]


def test_a_host_that_leaves_is_cleaned_and_one_that_does_not_answer_is_reported(monkeypatch):
    ran = []

    def checked(conn, script, stdin="", what=""):
        ran.append(conn["host"])
        if conn["host"] == "10.0.0.3":
            raise Unreachable(conn, "timed out after 10 s (3 attempts)")
        return ""
    monkeypatch.setattr(retire, "checked", checked)
    provider = retire.HostSecretsProvider()
    gone = {**RECORD, "connection": {"host": "10.0.0.3", "name": "host compute3"}}
    olds = {"hosts": {"compute1": {**RECORD, "connection": {"host": "10.0.0.1"}}, "compute2": RECORD, "compute3": gone}}
    news = {"hosts": {"compute1": olds["hosts"]["compute1"]}}
    assert provider.diff("host-secrets", olds, news).changes
    outs = provider.update("host-secrets", olds, news).outs
    assert ran == ["10.0.0.2", "10.0.0.3"]                        # the hosts that left, not compute1
    assert list(outs["left_behind"]) == ["compute3"]
    left = outs["left_behind"]["compute3"]
    assert left["left"] == [*RECORD["files"], f"libvirt secret {RECORD['secret']}"] and "timed out" in left["why"]
    ran.clear()
    provider.update("host-secrets", news, {"hosts": {**news["hosts"], "compute4": RECORD}})     # a host joins
    assert ran == [] and not provider.diff("host-secrets", news, news).changes


def test_a_failed_removal_is_reported_not_raised(monkeypatch):
    def checked(conn, script, stdin="", what=""):
        raise RemoteError(f"{what} on {conn['host']} failed (exit 1): rm: cannot remove")
    monkeypatch.setattr(retire, "checked", checked)
    outs = retire.HostSecretsProvider().update("host-secrets", {"hosts": {"compute2": RECORD}}, {"hosts": {}}).outs
    assert "cannot remove" in outs["left_behind"]["compute2"]["why"]


@pulumi.runtime.test
def test_every_host_with_a_keyring_or_the_libvirt_secret_is_recorded_with_its_connection_secret(monitor, dev):
    _, d = deploy(dev)

    def check(_):
        r = monitor.named("host-secrets")
        hosts = r.inputs["hosts"]
        assert sorted(hosts) == ["compute1", "compute2", "controller1"]
        record = plain(hosts["compute1"])
        assert record["files"] == ["/etc/ceph/ceph.client.cinder.keyring"] and record["secret"]
        assert plain(hosts["controller1"])["secret"] is None
        assert "PRIVATE KEY" in record["connection"]["privateKey" if "privateKey" in record["connection"]
                                                     else "private_key"]
        assert all(plain(h["connection"]) != h["connection"] for h in hosts.values())    # secret, not plain
    return settled(d.resources).apply(check)
