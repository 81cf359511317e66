"""The real engine (scripts/toolchain.sh) on a tiny program: up creates, a second up changes nothing."""
import pathlib
import re
import shutil
import subprocess
import time

import pytest

from scripts.pulumi_env import backend_in, default_signals, pulumi_env

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / ".toolchain" / "bin"

pytestmark = pytest.mark.engine


def engine_on(tmp_path, program: str):
    """`pulumi` running the program tests/`program` with its own local state in tmp_path."""
    if not (BIN / "pulumi").exists():
        pytest.fail("the engine is not built: run `make toolchain` (make test does it first)")
    env = pulumi_env(PULUMI_BACKEND_URL=backend_in(tmp_path / "state"), PULUMI_CONFIG_PASSPHRASE="engine-test",
                     PULUMI_CONFIG_PASSPHRASE_FILE=None, PYTHONPATH=str(ROOT))
    (tmp_path / "state").mkdir()
    work = tmp_path / "program"
    shutil.copytree(ROOT / "tests" / program, work)

    def pulumi(*args: str) -> str:
        r = subprocess.run(["pulumi", "--non-interactive", *args], cwd=work, env=env, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, f"pulumi {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
        return r.stdout
    return pulumi


@pytest.fixture
def engine(tmp_path):
    return engine_on(tmp_path, "engine_program"), tmp_path


def test_up_then_a_second_up_reports_no_changes(engine):
    pulumi, tmp = engine
    target = tmp / "written-by-the-engine"
    assert pulumi("version").strip() == "v3.259.0"
    pulumi("stack", "init", "check")
    pulumi("config", "set", "target", str(target))
    first = pulumi("up", "--yes", "--skip-preview")
    assert "+ 2 created" in first and target.read_text() == "engine-check\n"
    target.unlink()
    second = pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert "2 unchanged" in second
    assert not target.exists(), "the second up ran the step again"
    assert pulumi("stack", "output", "stdout").strip() == str(target)
    # the state was written with no sidecar (scripts/env.sh: metadata=skip)
    stacks = list((tmp / "state").rglob("check.json"))
    assert stacks and not list((tmp / "state").rglob("*.attrs")), sorted((tmp / "state").rglob("*"))
    # and no automatic log of the runs (scripts/env.sh: the engine finds a file where its log directory would go)
    logs = BIN.parent / "home" / "logs"
    assert logs.is_file() and logs.stat().st_size == 0, (
        sorted(p.name for p in logs.iterdir())[-5:] if logs.is_dir() else f"{logs} missing")


def test_a_run_from_a_background_job_ends_as_quickly_as_in_the_foreground(tmp_path):
    """A background job of a script starts with SIGINT ignored, and so did the dynamic provider, which the engine
    stops with SIGINT: every run waited 5 s more for the engine to kill it. components/core/runtime.py undoes the
    ignore in the provider: a no-op `pulumi up` from a background job takes about as long as in the foreground."""
    env = pulumi_env(PULUMI_BACKEND_URL=backend_in(tmp_path / "state"), PULUMI_CONFIG_PASSPHRASE="engine-test",
                     PULUMI_CONFIG_PASSPHRASE_FILE=None, PYTHONPATH=str(ROOT))
    (tmp_path / "state").mkdir()
    work = tmp_path / "program"
    shutil.copytree(ROOT / "tests" / "engine_signal", work)
    up = "pulumi --non-interactive up --yes --skip-preview"

    def run(script: str) -> float:
        start = time.monotonic()
        r = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=120,
                           preexec_fn=default_signals)
        assert r.returncode == 0, f"{script} failed:\n{r.stdout}\n{r.stderr}"
        return time.monotonic() - start
    run(f"pulumi --non-interactive stack init signal && {up}")
    foreground = sorted(run(up) for _ in range(3))[1]
    background = sorted(run(f"{up} & wait $!") for _ in range(3))[1]    # the job starts with SIGINT ignored
    print(f"no-op up: foreground {foreground:.2f} s, background job {background:.2f} s")
    assert background <= 1.5 * foreground, (foreground, background)


def test_preview_of_the_example_stack_runs_offline():
    """`make preview-dev` in a network namespace of its own with only loopback up: the whole plan of the example
    environment (host steps and OpenStack resources) is previewed without reaching any host or cloud."""
    r = subprocess.run(["unshare", "--net", "bash", "-c", "ip link set lo up && make -s preview-dev"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"make preview-dev failed offline:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}"
    out = r.stdout
    for kind in ("pulumi:providers:openstack", "openstack:blockstorage/volumeTypeV3:VolumeTypeV3",
                 "openstack:blockstorage/qosV3:QosV3", "openstack:blockstorage/qosAssociationV3:QosAssociationV3",
                 "openstack:images/image:Image", "openstack-storage:ceph:Pool", "openstack-storage:libvirt:Secret"):
        assert f"+ {kind}: (create)" in out, f"the preview has no {kind}"
    assert "password         : [secret]" in out
    assert re.search(r"Resources:\n\s+\+ \d+ to create\n", out), out[-1000:]


@pytest.fixture
def sshd(tmp_path):
    """A root sshd of its own on a loopback port, for one key pair; /run/sshd (its privilege separation directory)
    in a mount namespace of its own, so this machine's /run is left as it is. -> (port, private key, host key)."""
    import os
    import socket
    if os.geteuid() != 0:
        pytest.skip("the local sshd logs in as root: run as root")
    d = tmp_path / "sshd"
    d.mkdir()
    for key in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True, timeout=30)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (d / "config").write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\nAuthorizedKeysFile {d}/client.pub\n"
                              "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\nStrictModes no\n"
                              f"PidFile {d}/pid\n")
    proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "bash", "-c",
                             f"mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec /usr/sbin/sshd -D -e -f {d}/config"],
                            stdout=subprocess.DEVNULL, stderr=open(d / "log", "w"))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"sshd did not start: {(d / 'log').read_text()}")
                time.sleep(0.1)
        host_key = " ".join((d / "host.pub").read_text().split()[:2])
        yield port, (d / "client").read_text(), host_key
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.host        # starts an sshd
def test_a_hand_edit_previews_as_the_hosts_text_against_the_wanted_text(tmp_path, sshd):
    """File resources written over SSH, then edited by hand: `pulumi preview --refresh --diff` shows the drifted
    config's host text in the refresh step and the host's text against the wanted one, line by line, in the update
    step; a keyring's text shows nowhere and is kept nowhere in the clear (ceph.conf beside it is shown); after
    `pulumi refresh` the next preview shows the same, and `pulumi up --refresh` puts every file back."""
    port, private_key, host_key = sshd
    pulumi, files = engine_on(tmp_path, "engine_drift"), tmp_path / "files"
    pulumi("stack", "init", "drift")
    pulumi("config", "set-all", "--plaintext", f"dir={files}", "--plaintext", f"port={port}", "--plaintext",
           f"host_key={host_key}", "--secret", f"private_key={private_key}")
    pulumi("up", "--yes", "--skip-preview")
    wanted = {p.name: p.read_text() for p in files.iterdir()}
    assert "debug = false" in wanted["nova.conf"] and "AQBWANTED" in wanted["ceph.client.glance.keyring"]
    (files / "nova.conf").write_text(wanted["nova.conf"].replace("debug = false", "debug = true"))
    (files / "ceph.conf").write_text("[global]\nmon_host = 10.0.0.9\n")
    (files / "ceph.client.glance.keyring").write_text("[client.glance]\n\tkey = AQBBYHAND==\n")

    def shows_the_drift(out: str, refreshed: bool = True) -> None:
        assert "AQBBYHAND" not in out and "AQBWANTED" not in out, out
        refresh, _, update = out.partition("pulumi:pulumi:Stack: (same)")
        if refreshed:
            assert 'nova.conf: "[DEFAULT]\\ndebug = true\\n' in refresh, refresh           # the host's text
            assert 'ceph.conf: "[global]\\nmon_host = 10.0.0.9\\n"' in refresh, refresh
        assert re.search(r"^ +- debug = true\n +\+ debug = false$", update, re.M), update     # against the wanted
        assert "api-paste.ini" in update and "ceph.client.glance.keyring: [secret]" in update, update
    first = pulumi("preview", "--refresh", "--diff")
    shows_the_drift(first)
    pulumi("refresh", "--yes")
    state = next((tmp_path / "state").rglob("drift.json")).read_text()
    assert "AQBBYHAND" not in state and "AQBWANTED" not in state and "debug = true" in state
    # the refresh's outputs and inputs are in the state: the next previews show the same update, and a refresh
    # again finds nothing new (it neither loses the drift nor reads it as one more)
    shows_the_drift(pulumi("preview", "--diff"), refreshed=False)
    again = pulumi("preview", "--refresh", "--diff")
    shows_the_drift(again, refreshed=False)
    assert not re.search(r"^ *[-+~] *drift +:", again.partition("pulumi:pulumi:Stack: (same)")[0], re.M), again
    pulumi("up", "--refresh", "--yes", "--skip-preview")
    assert {p.name: p.read_text() for p in files.iterdir()} == wanted
    pulumi("preview", "--refresh", "--expect-no-changes")
