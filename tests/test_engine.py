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


@pytest.fixture
def engine(tmp_path):
    if not (BIN / "pulumi").exists():
        pytest.fail("the engine is not built: run `make toolchain` (make test does it first)")
    env = pulumi_env(PULUMI_BACKEND_URL=backend_in(tmp_path / "state"), PULUMI_CONFIG_PASSPHRASE="engine-test",
                     PULUMI_CONFIG_PASSPHRASE_FILE=None, PYTHONPATH=str(ROOT))
    (tmp_path / "state").mkdir()
    work = tmp_path / "program"
    shutil.copytree(ROOT / "tests" / "engine_program", work)

    def pulumi(*args: str) -> str:
        r = subprocess.run(["pulumi", "--non-interactive", *args], cwd=work, env=env, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, f"pulumi {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
        return r.stdout
    return pulumi, tmp_path


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
