"""Removing a Cinder backend on the lab (issue 30, item 4): with a volume on the `nfs` backend, a stack without that
backend (and its volume type) fails its `pulumi up` at the backend guard, naming the backend and the one volume,
before anything else: cinder.conf on the controller still has its [nfs] section, cinder-volume was not restarted and
the type is still there. Once the volume is deleted, one `pulumi up` removes the section and the type. The module
ends with the stack as lab/stack.py wrote it, converged again (the backend and its type back)."""
import time

import pytest
import yaml

from labkit import ROOT, converged, sh

from cloud import backend_up, create_volume, delete_volume, openstack, wait_for

pytestmark = pytest.mark.lab

STACK_FILE = ROOT / "Pulumi.lab.yaml"
BACKEND = "nfs"
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab(lab_hosts):
    lab = converged()
    saved = STACK_FILE.read_text()
    try:
        yield lab
    finally:
        # whatever the test left: the stack as written, converged, the backend serving again
        STACK_FILE.write_text(saved)
        lab.pulumi("up", "--yes", "--skip-preview")
        wait_for(f"cinder-volume@{BACKEND} up", lambda: backend_up(BACKEND), tries=60, interval=2)
        lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")


def drop_backend(name: str) -> None:
    """Pulumi.lab.yaml without backend `name` and the volume types on it, as an operator edits it (its first line,
    lab/stack.py's header, and its secrets kept)."""
    text = STACK_FILE.read_text()
    header = text.splitlines(keepends=True)[0]
    doc = yaml.safe_load(text)
    config = doc["config"]
    cinder = config["openstack-storage:cinder"]
    cinder["backends"] = [b for b in cinder["backends"] if b["name"] != name]
    config["openstack-storage:volume_types"] = [t for t in config["openstack-storage:volume_types"]
                                                if t["backend"] != name]
    STACK_FILE.write_text(header + yaml.safe_dump(doc, sort_keys=False))


def cinder_conf() -> list[str]:
    return sh("controller", "cat /etc/cinder/cinder.conf").splitlines()


def enabled(conf: list[str]) -> list[str]:
    line = next(l for l in conf if l.replace(" ", "").startswith("enabled_backends="))
    return [b.strip() for b in line.split("=", 1)[1].split(",")]


def cinder_volume_pid() -> str:
    return sh("controller", "supervisorctl pid cinder-volume").strip()


def type_names() -> set[str]:
    return {t["Name"] for t in openstack("volume", "type", "list")}


def test_a_backend_with_a_volume_is_kept_and_goes_with_its_type_once_empty(lab):
    vol = create_volume("removal-nfs", "nfs")
    try:
        pid = cinder_volume_pid()
        assert f"[{BACKEND}]" in cinder_conf() and BACKEND in enabled(cinder_conf()) and BACKEND in type_names()
        drop_backend(BACKEND)
        # the preview says it all: the guard's set, cinder.conf, and the type's delete last
        changes = lab.changes()
        assert changes.get("cinder-backend-guard-check") == "update", changes
        assert changes.get("controller-cinder-config-file") == "update", changes
        assert changes.get(f"volume-type-{BACKEND}-type") == "delete", changes
        assert not {n for n, op in changes.items() if n.startswith("volume-type-") and BACKEND not in n}, changes

        t = time.monotonic()
        lab.pulumi("up", "--yes", "--skip-preview", ok=False)
        TIMES["refused up"] = time.monotonic() - t
        out = lab.outputs[-1]
        assert "error:" in out, out[-3000:]
        assert f"cinder.backends[{BACKEND}]: 1 volume still lives on backend {BACKEND}" in out, out[-3000:]
        assert vol["id"] in out and "move or delete them" in out, out[-3000:]
        # nothing behind the guard happened: the section, the process and the type are as they were
        conf = cinder_conf()
        assert f"[{BACKEND}]" in conf and BACKEND in enabled(conf)
        assert cinder_volume_pid() == pid, "cinder-volume restarted although the guard refused"
        assert BACKEND in type_names()
        assert openstack("volume", "show", vol["id"])["status"] == "available"

        delete_volume(vol["id"])
        vol = None
        t = time.monotonic()
        lab.pulumi("up", "--yes", "--skip-preview")
        TIMES["removing up"] = time.monotonic() - t
        conf = cinder_conf()
        assert f"[{BACKEND}]" not in conf and BACKEND not in enabled(conf)
        assert cinder_volume_pid() != pid, "cinder-volume did not restart on its new cinder.conf"
        assert BACKEND not in type_names()
        lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")
    finally:
        if vol:
            delete_volume(vol["id"])
    print("\n" + ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items()))
