"""Faults an operator meets, injected on the lab: each gives one clear, bounded error naming what failed and where,
and the rerun after the fault is gone converges. (A config put back from drift restarting its service is in
test_lab.py's drift test.)"""
import os
import pathlib
import re
import signal
import time

import pytest

from components.core.remote import sha256
from labkit import ROOT, RUN, converged, sh

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(lab_hosts):
    return converged()


def test_a_hung_host_fails_bounded_naming_it_and_the_rerun_converges(lab):
    cfg = lab.cfg()
    sshd = int(sh("compute1", "cat /run/sshd.pid"))
    lab.pulumi("config", "set", "--path", "nova.options.DEFAULT.debug", "true")
    os.kill(sshd, signal.SIGSTOP)             # the host answers TCP but its sshd never speaks
    try:
        t = time.monotonic()
        out = lab.pulumi("up", "--yes", "--skip-preview", ok=False)
        seconds = time.monotonic() - t
        out += lab.outputs[-1]
    finally:
        os.kill(sshd, signal.SIGCONT)
    bound = cfg.ssh.connect_attempts * (cfg.ssh.connect_timeout + 4) + 30
    print(f"hung compute1: failed after {seconds:.0f} s (bound {bound} s)")
    assert seconds < bound
    assert (f"cannot reach host compute1 ({cfg.hosts['compute1'].address}:22) over SSH as root: no SSH answer "
            f"within {cfg.ssh.connect_timeout} s") in out, out[-3000:]
    assert "Traceback" not in out and "Error reading SSH protocol banner" not in out
    # compute2 is reached through compute1 (its bastion): its error names that way in
    assert "cannot reach the bastion of compute2" in out
    lab.pulumi("up", "--yes", "--skip-preview")
    assert "debug = true" in sh("compute1", "cat /etc/nova/nova.conf")
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")


def test_a_service_that_does_not_come_back_is_named_with_its_log_and_a_fixed_stack_converges(lab):
    # a valid option with a value the host cannot honour (a value of the wrong type stops at preview:
    # tests/test_passthrough.py)
    lab.pulumi("config", "set", "--path", "cinder.options.DEFAULT.log_dir", "/var/log/cinder/no-such-dir")
    try:
        out = lab.pulumi("up", "--yes", "--skip-preview", ok=False) + lab.outputs[-1]
        # supervisord keeps retrying it: STARTING, BACKOFF or FATAL
        assert re.search(r"cinder-volume did not come back after its restart on controller \([A-Z]+\); "
                         r"the end of its log:", out), out[-3000:]
        assert "/var/log/cinder/no-such-dir" in out, "the log tail does not show the cause"
    finally:
        lab.pulumi("config", "rm", "--path", "cinder.options.DEFAULT.log_dir")
        lab.pulumi("up", "--yes", "--skip-preview")
    assert sh("controller", "supervisorctl status cinder-volume").split()[1] == "RUNNING"
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")


def test_ceph_that_does_not_answer_fails_the_step_naming_the_monitors(lab):
    cfg = lab.cfg()
    mon = int((RUN / "hosts/storage1/pids/ceph-mon").read_text())
    lab.pulumi("config", "set", "--path", "ceph.connect_timeout", "5")
    lab.pulumi("config", "set", "--path", "ceph.pools[1].pg_num", "32")      # images: a pool step must run
    os.kill(mon, signal.SIGSTOP)
    try:
        t = time.monotonic()
        out = lab.pulumi("up", "--yes", "--skip-preview", ok=False) + lab.outputs[-1]
        seconds = time.monotonic() - t
        # a refresh cannot read the cephx users: it says so, rather than taking them for deleted ones
        lab.pulumi("preview", "--refresh", ok=False)
        refresh = lab.outputs[-1]
    finally:
        os.kill(mon, signal.SIGCONT)
    # (the refresh reads with the settings in state, the timeout the users were made with)
    assert re.search(r"did not answer within \d+ s \(ceph auth get client\.", refresh), refresh[-2000:]
    print(f"frozen ceph-mon: failed after {seconds:.0f} s")
    mons = ", ".join(cfg.ceph.mon_host)
    assert f"the Ceph monitors ({mons}) did not answer within 5 s (ceph osd pool ls detail) from storage1" in out, out[-3000:]
    assert seconds < 60
    lab.pulumi("up", "--yes", "--skip-preview")
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_a_killed_up_recovers_as_the_readme_says_with_nothing_duplicated(lab):
    """`pulumi up` killed (SIGKILL, its whole process group, by PID) part-way through a converge from nothing; the
    README's recovery, scripts/recover.sh: the stack usable again, then `pulumi up --refresh`."""
    import subprocess
    from cloud import openstack
    subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "lab/stack.py"), "--fresh"], check=True, env=lab.env,
                   timeout=600, stdout=subprocess.DEVNULL)
    before = lab.sshd_logins()
    up = subprocess.Popen(["pulumi", "--non-interactive", "up", "--yes", "--skip-preview", "--stack", "lab"],
                          cwd=ROOT, env=lab.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True)
    try:
        deadline = time.monotonic() + 120       # part-way: once it has reached some hosts
        while lab.sshd_logins() < before + 10 and time.monotonic() < deadline and up.poll() is None:
            time.sleep(0.2)
        assert up.poll() is None, "the up finished before it could be killed: this test would prove nothing"
    finally:
        # the engine's plugins run in sessions of their own: they are found by parentage and killed by PID too
        # (they lingered as orphans otherwise)
        family = descendants(up.pid)
        os.killpg(up.pid, signal.SIGKILL)
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        up.wait(timeout=30)
    stuck = lab.pulumi("up", "--yes", "--skip-preview", ok=False) + lab.outputs[-1]
    # locked; or, when the kill hit the checkpoint's write, "failed to load checkpoint: EOF"
    assert "pulumi cancel" in stuck or "failed to load checkpoint" in stuck, stuck
    r = subprocess.run(["bash", str(ROOT / "scripts/recover.sh"), "lab"], cwd=ROOT, env=lab.env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")
    names = [t["Name"] for t in openstack("volume", "type", "list")]
    assert sorted(names) == sorted(["__DEFAULT__", *(t.name for t in lab.cfg().volume_types)])
    assert [i["Name"] for i in openstack("image", "list")] == ["lab-raw"]
    # no half-written file: every file the program owns has the content it rendered
    p = lab.plan()
    assert sh("compute1", "sha256sum /etc/nova/nova.conf").split()[0] == sha256(p.configs["nova"])
    assert sh("controller", "sha256sum /etc/cinder/cinder.conf").split()[0] == sha256(p.configs["cinder"])
    assert not sh("compute1", "ls -a /etc/nova /etc/ceph /etc/libvirt | grep openstack-storage || true").strip()
