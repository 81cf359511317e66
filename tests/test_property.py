"""Property-based: random and adversarial strings through every string of a stack that turns every feature on (issue
27). Each value is either refused with one ConfigError naming its key (or, when the value fits its own type, a key
that refers to it), or the plan renders every file with the structure it has with the original value. And the shell
sinks pass any text to the command they run as one word, literally.

The counts of generated cases are printed (pytest -s) and asserted: derandomized, so CI runs the same cases."""
import copy
import os
import subprocess

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from components.config import ConfigError, StackConfig
from components.config.load import _key
from components.plan import fileformats
from components.core.remote import restart_script, wrap
from components.core.shell import q
from conftest import STORAGE_KEYS
from harness import plan

SECRETS = {"ssh_private_key": "k", "nova_ssh_private_key": "k", "openstack_password": "p"}
ADVERSARIAL = [
    "$(touch /tmp/pwned)", "`id`", "a\nb", "a\rb", "x\u2028y", "a;b", "a}b{", '"', "'", "\\", "--help", "-o/etc/x",
    "/", "/etc", "/srv/../etc", "..", "relative/path", "/srv/a b", "* (rw,no_root_squash)", "*",
    "fe80::1%eth0", "10.0.0.0/24 *(rw)", "file:///etc/shadow", "a]\n[b", "x = y", "# c", "$x", "$$", "${a.b}",
    "0666", "0.0.0.0/0", "ssh-ed25519 AAAA\nssh-rsa B", "", " ", "\t", "\x00", "\x1b[31m", "\u00e9t\u00e9", "a" * 300,
]
METACHARS = "$`'\"\\;|&<>(){}[]*?#~=%!,:/ \t\n\r\x0b\x0c\x85\u2028.-_@+aZ09"
values = st.one_of(st.sampled_from(ADVERSARIAL), st.text(alphabet=METACHARS, max_size=24), st.text(max_size=12))


def full(shared: dict) -> dict:
    """The example stack with two storage hosts, every backend, and every other feature and free-text dict set."""
    c = copy.deepcopy(shared)
    c["service_names"] = {"glance-api": "openstack-glance-api"}
    c["cinder"]["options"] = {"DEFAULT": {"debug": "false", "my_ip": "203.0.113.10"}}
    c["cinder"]["backends"][0]["options"] = {"rbd_exclusive_cinder_pool": "true"}
    c["cinder"]["backends"][3]["target_ip_address"] = "203.0.113.10"
    c["cinder"]["backends"].append({"type": "nfs", "name": "nfs2", "shares": ["203.0.113.42:/srv/nfs/more"],
                                    "mount_options": "vers=3,nolock"})
    c["glance"]["options"] = {"DEFAULT": {"debug": "false"}}
    c["nova"]["options"] = {"DEFAULT": {"my_ip": "203.0.113.21"}}
    c["nova"]["libvirt_uri"] = "qemu:///system"
    c["ceph"]["client"]["options"] = {"rbd_cache_size": "33554432"}
    c["ganesha_options"] = {"NFSv4": {"Graceless": "true"}}
    c["gluster"]["volumes"][0]["options"] = {"performance.cache-size": "64MB"}
    c["instances_share"]["mount_options"] = "defaults,_netdev"
    c["migration"] = {"transport": "ssh", "nova_ssh_public_key": f"{STORAGE_KEYS['storage1']} nova@cloud"}
    c["openstack"] = {"auth_url": "https://203.0.113.10:5000/v3", "region": "RegionOne"}
    c["qos_specs"] = [{"name": "iops", "specs": {"total_iops_sec": "2000"}}]
    c["volume_types"] = [{"name": "ceph", "backend": "ceph", "description": "Ceph RBD", "qos": "iops",
                          "extra_specs": {"multiattach": "<is> True"}}]
    c["images"] = [{"name": "cirros", "url": "https://download.example/cirros.img", "disk_format": "qcow2",
                    "properties": {"hw_disk_bus": "scsi"}, "tags": ["test"]}]
    return c


def strings(node, path=()) -> list[tuple]:
    """Every place a string stands: ("value", path) for a string leaf, ("key", path) for a dict key below the top."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if path:
                out.append(("key", (*path, k)))
            out += strings(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += strings(v, (*path, i))
    elif isinstance(node, str):
        out.append(("value", path))
    return out


def base_value(cfg: dict, where: tuple) -> str:
    node = cfg
    for p in where[1]:
        if where[0] == "key" and p == where[1][-1]:
            return p
        node = node[p]
    return node


def mutate(cfg: dict, where: tuple, value: str) -> tuple:
    """`cfg` with the string at `where` replaced by `value`; returns the config key's path as it now is."""
    kind, path = where
    node = cfg
    for p in path[:-1]:
        node = node[p]
    if kind == "value":
        node[path[-1]] = value
        return path
    node[value] = node.pop(path[-1])
    return (*path[:-1], value)


PARSERS = [("/etc/ganesha/", fileformats.ganesha), ("/etc/exports.d/", fileformats.exports),
           ("/etc/libvirt/", fileformats.libvirt_conf), ("/etc/cinder/nfs_shares", fileformats.fields),
           ("/etc/glusterfs/", fileformats.fields), ("/etc/tgt/", fileformats.fields), ("/etc/", fileformats.ini)]


def shape(parsed):
    """The structure of a parse without its strings: how many sections, options, values, lines (in any order: a
    renamed section or export may sort elsewhere)."""
    return tuple(sorted((shape(p) for p in parsed), key=repr)) if isinstance(parsed, tuple) else ""


def shapes(p) -> dict:
    return {(h, path): shape(next(f for prefix, f in PARSERS if path.startswith(prefix))(spec.content))
            for h, files in p.files.items() for path, spec in files.items()}


def related(a: str, b: str) -> bool:
    return a == b or a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))


COUNTS = {"cases": 0, "refused": 0, "accepted": 0}
BASE_SHAPES: dict = {}
CASES = 2000


@settings(max_examples=CASES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                      HealthCheck.too_slow])
@given(data=st.data())
def test_every_string_of_the_config_is_refused_by_key_or_keeps_every_file_whole(shared, data):
    base = full(shared)
    where = data.draw(st.sampled_from(strings(base)), label="where")
    original = base_value(base, where)
    value = data.draw(st.one_of(values, st.text(alphabet="abcxyz019._-", min_size=1, max_size=10),
                                st.text(alphabet=METACHARS, max_size=3).map(lambda s: original + s)), label="value")
    cfg = copy.deepcopy(base)
    path = mutate(cfg, where, value)
    key, before = _key(path, cfg), _key(where[1], base)
    COUNTS["cases"] += 1
    try:
        p = plan(cfg, SECRETS)
    except ConfigError as e:
        COUNTS["refused"] += 1
        assert "\n" not in str(e) and "\r" not in str(e), str(e)
        if related(e.key, key) or related(e.key, before):    # (a renamed key: the new one unknown, the old one missing)
            return
        parent = _key(where[1][:-1], base)
        if where[0] == "key" and e.key.startswith((parent + ".", parent + "[")):
            return      # a renamed key of a backend reads as another type of backend: its object is named
        # another key's error: the value fit its own type, and a check across keys (a name it no longer matches,
        # a duplicate) stopped the plan, naming the key that refers to it
        try:
            StackConfig.model_validate({k: v for k, v in cfg.items()})
        except pydantic.ValidationError as v:
            pytest.fail(f"{key} = {value!r}: its type refuses it ({v.errors()[0]['msg']}), but the error named "
                        f"another key: {e}")
        return
    COUNTS["accepted"] += 1
    if "base" not in BASE_SHAPES:
        BASE_SHAPES["base"] = shapes(plan(base, SECRETS))
    want, got = BASE_SHAPES["base"], shapes(p)
    for f in want.keys() & got.keys():
        assert got[f] == want[f], f"{key} = {value!r} changed the structure of {f[0]}:{f[1]}"


def test_the_property_test_ran_its_cases_and_both_outcomes():
    """After the property test (pytest runs a module's tests in order): how many cases, refused and accepted."""
    print(f"\nproperty test: {COUNTS['cases']} generated cases, {COUNTS['refused']} refused with a key, "
          f"{COUNTS['accepted']} accepted with every file whole")
    if COUNTS["cases"] == 0:
        pytest.skip("the property test did not run in this session (run the module)")
    assert COUNTS["cases"] >= CASES and COUNTS["refused"] > CASES // 4 and COUNTS["accepted"] > CASES // 20, COUNTS


texts = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(name=texts)
def test_a_service_name_reaches_systemctl_as_one_literal_word(tmp_path_factory, name):
    """Whatever reaches the restart script (past the config's refusal): systemctl gets it byte for byte."""
    d = tmp_path_factory.mktemp("restart")
    (d / "systemctl").write_text('#!/bin/bash\nprintf "%s\\0" "${@: -1}" >> "$LOG"\ncase "$1" in is-failed) exit 0;; is-*) exit 1;; esac\n')
    (d / "sleep").write_text("#!/bin/sh\n")      # the restart's settling waits are not what is tested here
    for stub in ("systemctl", "sleep"):
        (d / stub).chmod(0o755)
    env = {**os.environ, "PATH": f"{d}:{os.environ['PATH']}", "LOG": str(d / "log")}
    r = subprocess.run(["bash", "-c", wrap(restart_script(name, "systemd", ["/etc/x"]))], env=env,
                       capture_output=True, timeout=30)
    assert r.returncode == 1
    assert set((d / "log").read_bytes().split(b"\0")[:-1]) == {name.encode()}
    assert sorted(p.name for p in d.iterdir()) == ["log", "sleep", "systemctl"]     # nothing else was made


@settings(max_examples=50, derandomize=True, deadline=None)
@given(words=st.lists(texts, min_size=1, max_size=20))
def test_quoting_gives_bash_each_value_back_literally(words):
    script = "".join(f"printf '%s\\0' {q(w)}\n" for w in words)
    out = subprocess.run(["bash", "-euc", script], capture_output=True, timeout=30).stdout
    assert out.split(b"\0")[:-1] == [w.encode() for w in words]


def test_the_full_stack_plans(shared):
    assert plan(full(shared), SECRETS).files
