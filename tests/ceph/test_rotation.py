"""Rotating a cephx user's key (`ceph.clients[].key_generation`): the rotation script against recording stand-ins,
the provider running it only when the generation rises, and which services restart for it. The real rotation on the
lab's Ceph, with the old key refused and a running server unharmed: tests/test_rotation_lab.py."""
import subprocess

import pulumi

from components.ceph.client import rotate_script
from components.core import hoststate
from harness import deploy, plain, settled

OLD, NEW = "AQBvbGQta2V5LTAwMDAwMDAwMDAwMDAwMDAwMA==", "AQBuZXcta2V5LTAwMDAwMDAwMDAwMDAwMDAwMA=="
STUB = f"""
ceph() {{
  echo "ceph $*" >> "$CALLS"
  case "$1 $2" in
    "auth get") printf '[client.cinder]\\n\\tkey = {OLD}\\n\\tcaps mon = "profile rbd"\\n\\tcaps osd = "profile rbd pool=volumes"\\n' ;;
    "auth import") cat > "$IMPORTED" ;;
  esac
}}
ceph-authtool() {{ echo "ceph-authtool $*" >> "$CALLS"; echo {NEW}; }}
"""


def test_the_rotation_imports_a_new_key_with_the_same_caps_and_no_key_on_a_command_line(tmp_path):
    calls, imported = tmp_path / "calls", tmp_path / "imported"
    r = subprocess.run(["bash", "-eu", "-c", STUB + rotate_script("", "cinder")], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "CALLS": str(calls), "IMPORTED": str(imported)}, timeout=30)
    assert r.returncode == 0, r.stderr
    assert imported.read_text() == (f'[client.cinder]\n\tkey = {NEW}\n\tcaps mon = "profile rbd"\n'
                                    f'\tcaps osd = "profile rbd pool=volumes"\n')
    argv = calls.read_text()
    assert "auth import -i -" in argv and NEW not in argv and OLD not in argv


def test_the_provider_rotates_only_when_the_generation_rises(monkeypatch):
    ran = []
    monkeypatch.setattr(hoststate, "checked", lambda conn, script, stdin="", what="": ran.append(what) or f"{NEW}\n")
    provider = hoststate.CephClientProvider()
    props = {"connection": {"host": "h"}, "name": "cinder", "caps": {}, "actual_caps": {}, "script": "ensure",
             "rotate": "rotate"}
    provider.update("client.cinder", {**props, "generation": 0}, {**props, "generation": 1})
    assert ran == ["rotating the key of client.cinder", "ensuring client.cinder"]
    ran.clear()
    provider.update("client.cinder", {**props, "generation": 2}, {**props, "generation": 1})
    assert ran == ["ensuring client.cinder"]
    assert provider.diff("client.cinder", {**props, "generation": 1}, {**props, "generation": 2}).changes
    assert not provider.diff("client.cinder", props, {**props, "generation": 0}).changes   # states before it


def restart_triggers(monitor) -> dict[str, list]:
    return {r.name: plain(r.inputs["triggers"]) for r in monitor.of_kind("step") if "-restart-" in r.name}


@pulumi.runtime.test
def test_a_rotated_key_restarts_only_the_services_that_connect_as_its_user(monitor, dev_full):
    dev_full["ceph"]["clients"][0]["key_generation"] = 1      # cinder: cinder-volume and nova-compute use it
    assert dev_full["ceph"]["clients"][0]["name"] == "cinder"
    _, d = deploy(dev_full)

    def check(_):
        rotated = {name for name, triggers in restart_triggers(monitor).items() if "cinder#1" in triggers}
        assert rotated == {"controller1-cinder-config-restart-cinder-volume", "compute1-nova-config-restart-nova-compute",
                           "compute2-nova-config-restart-nova-compute"}, rotated
        ensure = plain(monitor.named("ceph-client-cinder-ensure").inputs)
        assert ensure["generation"] == 1 and "ceph auth import -i -" in ensure["rotate"]
        assert "generation" not in plain(monitor.named("ceph-client-glance-ensure").inputs)
        # after the new keyring is written
        assert monitor.depends_on("controller1-cinder-config-restart-cinder-volume", "controller1-ceph-files")
    return settled(d.resources).apply(check)
