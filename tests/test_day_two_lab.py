"""Day two on the lab (issue 30): retiring a compute and adding it back, each one reviewed `pulumi up` whose preview
touches exactly the compute's own resources, the record of every host's secrets and the other compute's /etc/hosts;
retiring a compute that no longer answers; and a release switch caught at preview. The cephx key rotation:
tests/test_rotation_lab.py; removing a Cinder backend: tests/test_backend_removal_lab.py."""
import json
import os
import signal
import subprocess
import time

import pytest

from labkit import ROOT, RUN, converged, sh

pytestmark = pytest.mark.lab
PYTHON = str(ROOT / ".venv/bin/python")
STEADY = {"controller": ["cinder-volume", "glance-api"], "compute1": ["nova-compute", "libvirtd"]}
KNOWS_THE_OTHERS = {"host-secrets", "compute1-migration-hosts"}    # what the rest of the stack updates


@pytest.fixture(scope="module")
def lab(lab_hosts):
    lab = converged()
    yield lab
    computes(lab, None)
    lab.pulumi("up", "--yes", "--skip-preview")


def computes(lab, k):
    """The stack with the lab's first `k` computes (all with None), the rest of it unchanged."""
    subprocess.run([PYTHON, "lab/stack.py", *(["--computes", str(k)] if k else [])], cwd=ROOT, env=lab.env,
                   check=True, timeout=300, capture_output=True)


def own(lab, host: str) -> set[str]:
    """The names of the resources the stack holds for `host` alone."""
    state = json.loads(lab.pulumi("stack", "export"))["deployment"]["resources"]
    names = {r["urn"].rsplit("::", 1)[1] for r in state}
    return {n for n in names if n.startswith(f"{host}-") or n == f"instances-ids-read-{host}"}


def peers(host: str) -> str:
    """The computes `host` knows from the program (its block of /etc/hosts; the lab's own lines are outside it)."""
    return sh(host, "sed -n '/^# BEGIN openstack-storage computes$/,/^# END/p' /etc/hosts")


def pids() -> dict:
    return {(h, s): sh(h, f"supervisorctl pid {s}").strip() for h, names in STEADY.items() for s in names}


def timed_up(lab) -> tuple[float, dict[str, int]]:
    before, t = lab.sshd_logins_by_host(), time.monotonic()
    lab.pulumi("up", "--yes", "--skip-preview")
    seconds, after = time.monotonic() - t, lab.sshd_logins_by_host()
    return seconds, {h: after[h] - before.get(h, 0) for h in after if after[h] != before.get(h, 0)}


def has_secrets(lab, host: str) -> tuple[bool, bool]:
    uuid = lab.cfg().ceph.libvirt_secret_uuid
    keyring = sh(host, "ls /etc/ceph/").split()
    secrets = sh(host, "virsh -c qemu:///system secret-list").split()
    return "ceph.client.cinder.keyring" in keyring, str(uuid) in secrets


def test_retire_a_compute_then_add_it_back(lab):
    assert has_secrets(lab, "compute2") == (True, True)
    mine, before = own(lab, "compute2"), pids()
    assert len(mine) > 15

    computes(lab, 1)
    changes = lab.changes()
    assert {n for n, op in changes.items() if op == "delete"} == mine
    assert {n for n, op in changes.items() if op != "delete"} == KNOWS_THE_OTHERS, changes
    retire_s, retire_ssh = timed_up(lab)
    assert has_secrets(lab, "compute2") == (False, False)          # its keyring and libvirt secret are gone
    assert "compute1" in peers("compute1") and "compute2" not in peers("compute1")
    assert json.loads(lab.pulumi("stack", "output", "--json"))["left_behind"] == {}

    computes(lab, 2)
    changes = lab.changes()
    assert {n for n, op in changes.items() if op == "create"} == mine
    # and the agreement of nova's ids across the computes, which it joins (its ids are read only in the up)
    assert {n for n, op in changes.items() if op != "create"} == KNOWS_THE_OTHERS | {"instances-ids-agreed"}, changes
    add_s, add_ssh = timed_up(lab)
    assert has_secrets(lab, "compute2") == (True, True)
    assert "compute2" in peers("compute1")
    assert pids() == before, "a service outside compute2 restarted"
    print(f"\nat 2 computes: retire {retire_s:.1f} s, {len(mine) + 2} resources, SSH sessions {retire_ssh}; "
          f"add {add_s:.1f} s, {len(mine) + 3} resources, SSH sessions {add_ssh}")


def test_retire_a_compute_that_does_not_answer(lab):
    """compute2's sshd is stopped (SIGSTOP: connections open and then hang, as to a machine that froze): the up
    converges the rest, says what it left on compute2, and ends within the connect timeout's bound."""
    sshd = int((RUN / "hosts/compute2/pids/sshd").read_text())
    computes(lab, None)
    lab.pulumi("up", "--yes", "--skip-preview")
    cfg = lab.cfg()
    bound = cfg.ssh.connect_timeout * cfg.ssh.connect_attempts
    computes(lab, 1)
    os.kill(sshd, signal.SIGSTOP)
    try:
        t = time.monotonic()
        out = lab.pulumi("up", "--yes", "--skip-preview")
        seconds = time.monotonic() - t
    finally:
        os.kill(sshd, signal.SIGCONT)
    left = json.loads(lab.pulumi("stack", "output", "--json"))["left_behind"]
    assert list(left) == ["compute2"]
    assert left["compute2"]["left"] == ["/etc/ceph/ceph.client.cinder.keyring",
                                        f"libvirt secret {cfg.ceph.libvirt_secret_uuid}"]
    assert "host compute2 left the stack, but /etc/ceph/ceph.client.cinder.keyring" in out
    assert seconds < bound + 60, seconds
    assert has_secrets(lab, "compute2") == (True, True)            # left behind indeed, and said so
    print(f"\nretiring an unreachable compute: {seconds:.1f} s (bound {bound} s): {left['compute2']['why'][:120]}")
    computes(lab, 2)
    lab.pulumi("up", "--yes", "--skip-preview")


def test_a_release_switch_is_caught_at_preview_with_the_replacement(lab):
    """An option 2026.2 has under its new name: switching the stack to 2026.1 stops the preview on it, naming the
    key and 2026.1's name; with that name, the preview re-renders only cinder.conf."""
    key = "cinder.options.DEFAULT.image_introspection_cpu_limit"
    lab.pulumi("config", "set", "--path", key, "4")
    lab.pulumi("up", "--yes", "--skip-preview")
    try:
        lab.pulumi("config", "set", "release", "2026.1")
        r = subprocess.run(["pulumi", "--non-interactive", "preview", "--stack", "lab"], cwd=ROOT, env=lab.env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode != 0
        assert f"openstack-storage:{key}" in r.stdout + r.stderr and "image_conversion_cpu_limit" in r.stdout + r.stderr
        lab.pulumi("config", "rm", "--path", key)
        lab.pulumi("config", "set", "--path", "cinder.options.DEFAULT.image_conversion_cpu_limit", "4")
        changes = lab.changes()
        assert {n for n, op in changes.items() if op == "update"} == {"controller-cinder-config-file"}, changes
    finally:
        lab.pulumi("config", "rm", "--path", "cinder.options.DEFAULT.image_conversion_cpu_limit", ok=False)
        lab.pulumi("config", "rm", "--path", key, ok=False)
        lab.pulumi("config", "rm", "release", ok=False)
        lab.pulumi("up", "--yes", "--skip-preview")
