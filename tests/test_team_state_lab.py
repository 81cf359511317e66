"""Team state on the cluster's own object store (issue 31): the lab's radosgw (lab/ceph.sh, keys in lab/run/rgw.json)
holds the lab stack's state in bucket pulumi-state, reached with Pulumi's S3 backend URL (path-style). The stack moves
there from the local backend (export, init, import: README.md's "Team state"); then two checkouts run `pulumi up` of
it at once: one proceeds, the other stops with the engine's lock message, and the state stays whole (it exports, and
a following up changes nothing)."""
import json
import pathlib
import shutil
import subprocess
import time

import pytest

from labkit import ROOT, RUN, converged
from scripts.pulumi_env import default_signals, pulumi_env

pytestmark = pytest.mark.lab

LOCKED = "the stack is currently locked"


def s3_url(rgw: dict) -> str:
    host = rgw["endpoint"].split("://", 1)[1]
    return (f"s3://{rgw['bucket']}?endpoint={host}&disableSSL=true&s3ForcePathStyle=true&region={rgw['region']}")


def team_env(rgw: dict) -> dict:
    return pulumi_env(PULUMI_BACKEND_URL=s3_url(rgw), AWS_ACCESS_KEY_ID=rgw["access_key"],
                      AWS_SECRET_ACCESS_KEY=rgw["secret_key"], PULUMI_CONFIG_PASSPHRASE=None,
                      PULUMI_CONFIG_PASSPHRASE_FILE=str(RUN / "passphrase"))


def pulumi(cwd: pathlib.Path, env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(["pulumi", "--non-interactive", *args], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=600, preexec_fn=default_signals)
    assert r.returncode == 0 or not ok, f"pulumi {' '.join(args)} in {cwd}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r


def locks(rgw: dict) -> bool:
    """Whether the bucket holds a lock of the engine (.pulumi/locks/...). The whole listing: curl 7.88's SigV4
    signs a query string the way RGW does not accept."""
    out = subprocess.run(["curl", "-K", "-", "-s", "--max-time", "5", "--aws-sigv4", f"aws:amz:{rgw['region']}:s3",
                          "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", f"{rgw['endpoint']}/{rgw['bucket']}"],
                         input=f'user = "{rgw["access_key"]}:{rgw["secret_key"]}"\n',      # not on the command line
                         capture_output=True, text=True, timeout=10).stdout
    assert "<ListBucketResult" in out, out[-500:]
    return "<Key>.pulumi/locks/" in out


@pytest.fixture(scope="module")
def checkouts(lab_hosts, tmp_path_factory):
    """The lab stack moved to the RGW backend, and two checkouts of this commit that use it."""
    lab = converged()
    rgw = json.loads((RUN / "rgw.json").read_text())
    env = team_env(rgw)
    base = tmp_path_factory.mktemp("team")
    trees = [base / "alice", base / "bob"]
    for tree in trees:
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), "HEAD"], cwd=ROOT, check=True,
                       capture_output=True, timeout=60)
        shutil.copy(ROOT / "Pulumi.lab.yaml", tree)
        (tree / "lab" / "run").symlink_to(RUN)          # the lab's image and passphrase
        (tree / ".venv").symlink_to(ROOT / ".venv")     # the same dependencies (make venv in a real checkout)
        # the image's source and prepared file are absolute paths in the state (README.md, "Team state"): every
        # checkout must resolve them alike, or its up uploads the image again
        (tree / ".cache").symlink_to(ROOT / ".cache")
    exported = base / "lab-state.json"
    lab.pulumi("stack", "export", "--file", str(exported))
    pulumi(trees[0], env, "stack", "init", "lab", "--secrets-provider", "passphrase")
    pulumi(trees[0], env, "stack", "import", "--stack", "lab", "--file", str(exported))
    yield {"trees": trees, "env": env, "rgw": rgw, "resources": len(json.loads(exported.read_text())
                                                                     ["deployment"]["resources"])}
    pulumi(trees[0], env, "stack", "rm", "lab", "--force", "--yes", ok=False)   # the bucket's copy only
    for tree in trees:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True, timeout=60)


def test_two_ups_at_once_one_proceeds_the_other_stops_at_the_lock(checkouts):
    alice, bob = checkouts["trees"]
    env, rgw = checkouts["env"], checkouts["rgw"]
    assert not locks(rgw)
    first = subprocess.Popen(["pulumi", "--non-interactive", "up", "--stack", "lab", "--yes", "--skip-preview",
                              "--refresh"], cwd=alice, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, preexec_fn=default_signals)
    try:
        deadline = time.monotonic() + 60
        while not locks(rgw):
            assert first.poll() is None and time.monotonic() < deadline, \
                f"alice's up never held the lock: {first.poll() is not None and first.stdout.read()[-3000:]}"
            time.sleep(0.2)
        second = pulumi(bob, env, "up", "--stack", "lab", "--yes", "--skip-preview", ok=False)
        out, _ = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, out[-3000:]
    assert second.returncode != 0 and LOCKED in second.stdout + second.stderr, second.stdout + second.stderr
    assert not locks(rgw)                               # released at the end of alice's up

    state = json.loads(pulumi(bob, env, "stack", "export", "--stack", "lab").stdout)
    assert len(state["deployment"]["resources"]) == checkouts["resources"]
    preview = json.loads(pulumi(bob, env, "preview", "--stack", "lab", "--json").stdout)
    changed = [s["urn"] for s in preview.get("steps", []) if s["op"] not in ("same", "read")]
    assert changed == [], changed
