"""The cephx user's ensure script (components/ceph/client.py), run by bash against `mon` (the read) and `ceph`
stand-ins that record their calls and answer as a cluster would: the real script on a real cluster is in
tests/test_lab.py."""
import subprocess

from components.ceph.client import ensure_script
from components.config.ceph import CephClient

CLIENT = CephClient(name="cinder", caps={"volumes": "rbd", "images": "rbd-read-only"}, group="cinder")
KEYRING = """[client.cinder]
\tkey = AQBkZXRlcm1pbmlzdGljLWtleS0wMDAwMDAwMA==
\tcaps mgr = "profile rbd pool=volumes"
\tcaps mon = "profile rbd"
\tcaps osd = "profile rbd-read-only pool=images, profile rbd pool=volumes"
"""
STUB = """
mon() {
  echo "mon $*" >> "$CALLS"
  case "$1" in
    "auth get") [ -f "$HAVE" ] || { echo "Error ENOENT: failed to find ${2#entity=} in keyring" >&2; return 2; }
                cat "$HAVE" ;;
  esac
}
ceph() {
  echo "$*" >> "$CALLS"
  case "$1 $2" in
    "auth get-or-create") printf '[client.cinder]\\n\\tkey = AQBuZXcta2V5LTAwMDAwMDAwMDAwMDAwMDA=\\n' ;;
    "auth caps") echo "updated caps for $3" >&2 ;;
  esac
}
"""


def run(tmp_path, have):
    calls, keyring = tmp_path / "calls", tmp_path / "have"
    if have is not None:
        keyring.write_text(have)
    r = subprocess.run(["bash", "-eu", "-c", STUB + ensure_script("", CLIENT)], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "CALLS": str(calls), "HAVE": str(keyring)}, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr, calls.read_text().splitlines()


def test_a_user_as_wanted_costs_one_call_and_prints_only_its_key(tmp_path):
    out, err, calls = run(tmp_path, KEYRING)
    assert out == "AQBkZXRlcm1pbmlzdGljLWtleS0wMDAwMDAwMA==\n"
    assert calls == ["mon auth get entity=client.cinder"]
    assert "reconciled" not in err and "created" not in err


def test_caps_changed_by_hand_are_put_back_and_the_key_kept(tmp_path):
    out, err, calls = run(tmp_path, KEYRING.replace('"profile rbd-read-only pool=images, ', '"allow rwx, '))
    assert out == "AQBkZXRlcm1pbmlzdGljLWtleS0wMDAwMDAwMA==\n"
    assert calls[0] == "mon auth get entity=client.cinder" and calls[1].startswith("auth caps client.cinder mon profile rbd osd ")
    assert len(calls) == 2 and "reconciled caps of client.cinder" in err


def test_a_missing_user_is_created_and_its_new_key_printed(tmp_path):
    out, err, calls = run(tmp_path, None)
    assert out == "AQBuZXcta2V5LTAwMDAwMDAwMDAwMDAwMDA=\n"
    assert [c.split()[:3] for c in calls] == [["mon", "auth", "get"], ["auth", "get-or-create", "client.cinder"]]
    assert "created client.cinder" in err


def test_a_cluster_that_fails_otherwise_makes_no_user(tmp_path):
    # not ENOENT: the monitors or librados failed, and the user may well exist
    calls = tmp_path / "calls"
    down = '[ -z "${DOWN:-}" ] || { echo down >&2; return 110; }\n                [ -f "$HAVE" ]'
    stub = STUB.replace('[ -f "$HAVE" ]', down, 1)
    assert stub != STUB
    env = {"PATH": "/usr/bin:/bin", "CALLS": str(calls), "HAVE": str(tmp_path / "none"), "DOWN": "1"}
    r = subprocess.run(["bash", "-eu", "-c", stub + ensure_script("", CLIENT)], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 110 and r.stdout == "" and "down" in r.stderr
    assert calls.read_text().splitlines() == ["mon auth get entity=client.cinder"]
