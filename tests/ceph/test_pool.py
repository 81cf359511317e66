"""The pool's ensure script (components/ceph/pool.py), run by bash against `mon` (reads), `ceph` (changes) and `rbd`
stand-ins that record their calls and answer from an `osd pool ls detail` text as Ceph prints it; the real script
on a real cluster is in tests/test_lab.py."""
import subprocess

from components.ceph.pool import ensure_script
from components.config.ceph import CephPool

# as `ceph osd pool ls detail` prints pools (Ceph 18), the mgr's own pool first
MGR = ("pool 1 '.mgr' replicated size 1 min_size 1 crush_rule 0 object_hash rjenkins pg_num 1 pgp_num 1 "
       "autoscale_mode on last_change 8 flags hashpspool stripe_width 0 pg_num_max 32 pg_num_min 1 application mgr")
VOLUMES = ("pool 6 'volumes' replicated size 3 min_size 2 crush_rule 0 object_hash rjenkins pg_num 16 pgp_num 16 "
           "autoscale_mode off last_change 20 flags hashpspool,selfmanaged_snaps stripe_width 0 application rbd")
STUB = """
mon() {
  echo "mon $*" >> "$CALLS"
  case "$*" in
    "osd pool ls detail=detail") [ -z "${DOWN:-}" ] || { echo "the Ceph monitors did not answer" >&2; return 1; }
                                 cat "$DETAIL" ;;
    "osd pool get pool="*" var=crush_rule") echo "crush_rule: replicated_rule" ;;
  esac
}
ceph() {
  echo "ceph $*" >> "$CALLS"
  case "$*" in
    "osd pool create "*) echo "pool 9 '$4' replicated size 1 min_size 1 crush_rule 0 object_hash rjenkins pg_num 32 pgp_num 32 autoscale_mode on last_change 30 flags hashpspool stripe_width 0" >> "$DETAIL"
                         echo "pool '$4' created" >&2 ;;
  esac
}
rbd() { echo "rbd $*" >> "$CALLS"; }
"""
LS = "mon osd pool ls detail=detail"


def run(tmp_path, pool: CephPool, detail: str, down: bool = False):
    calls, listing = tmp_path / "calls", tmp_path / "detail"
    listing.write_text(detail + "\n")
    r = subprocess.run(["bash", "-eu", "-c", STUB + ensure_script("", pool)], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "CALLS": str(calls), "DETAIL": str(listing),
                            **({"DOWN": "1"} if down else {})}, timeout=30)
    if down:
        return r, calls.read_text().splitlines()
    assert r.returncode == 0, r.stderr
    return r.stdout, calls.read_text().splitlines()


def test_a_pool_as_wanted_costs_one_call(tmp_path):
    out, calls = run(tmp_path, CephPool(name="volumes", pg_num=16, size=3, min_size=2), f"{MGR}\n{VOLUMES}")
    assert calls == [LS]
    assert out == ""


def test_settings_that_differ_are_set_and_only_those(tmp_path):
    detail = VOLUMES.replace("pg_num 16 pgp_num 16", "pg_num 16 pgp_num 16 pg_num_target 8").replace("size 3", "size 2")
    out, calls = run(tmp_path, CephPool(name="volumes", pg_num=16, size=3, min_size=2), f"{MGR}\n{detail}")
    assert calls == [LS, "ceph osd pool set volumes pg_num 16", "ceph osd pool set volumes size 3"]
    assert out.splitlines() == ["set pg_num 16", "set size 3"]


def test_a_missing_pool_is_made_then_set_and_rbd_initialised(tmp_path):
    out, calls = run(tmp_path, CephPool(name="vms", crush_rule="fast"), MGR)
    assert calls == [LS, "ceph osd pool create vms", LS,
                     "mon osd pool get pool=vms var=crush_rule", "ceph osd pool set vms crush_rule fast",
                     "ceph osd pool application enable vms rbd", "rbd pool init vms"]
    assert out.splitlines() == ["created pool vms", "set crush_rule fast", "enabled application rbd"]


def test_another_pools_application_or_name_prefix_does_not_count(tmp_path):
    # '.mgr' has an application, 'volumes2' is another pool: neither makes 'volumes' look enabled or present
    other = VOLUMES.replace("'volumes'", "'volumes2'")
    out, calls = run(tmp_path, CephPool(name="volumes"), f"{MGR}\n{other}")
    assert "ceph osd pool create volumes" in calls and "rbd pool init volumes" in calls


def test_a_cluster_that_does_not_answer_stops_the_step_before_any_change(tmp_path):
    r, calls = run(tmp_path, CephPool(name="volumes"), f"{MGR}\n{VOLUMES}", down=True)
    assert r.returncode != 0 and "did not answer" in r.stderr
    assert calls == [LS]     # no create of a pool that may well exist
