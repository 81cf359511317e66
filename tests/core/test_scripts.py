"""The shared bash functions (templates/scripts/prelude.sh, through components/core/scripts.py), run in real bash on
this machine: `put`'s atomic replace, `dir` and `caps_lines` on what `ceph auth get` prints."""
import grp
import os
import pwd
import subprocess

import pytest

from components.core.scripts import functions, prelude, template

ME = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def bash(script: str, stdin: str = "") -> subprocess.CompletedProcess:
    r = subprocess.run(["bash", "-euc", script], input=stdin, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r


def put(path, content: str, mode: str = "0640") -> str:
    """`put` one file as the prelude's callers do (hoststate.write_files_script); what it printed."""
    call = f"put '{path}' {ME[0]} {ME[1]} {mode} {len(content.encode())} {int(mode, 8):o}"
    return bash(prelude("put") + "\n" + call, content).stdout


def test_put_replaces_only_what_differs_and_leaves_no_temporary_file(tmp_path):
    f = tmp_path / "etc" / "x.conf"
    assert put(f, "a = 1") == f"changed {f}\n"          # its directory made; content without a final newline
    assert f.read_bytes() == b"a = 1" and oct(f.stat().st_mode & 0o777) == "0o640"
    inode = f.stat().st_ino
    assert put(f, "a = 1") == f"unchanged {f}\n"
    assert f.stat().st_ino == inode                      # left alone, not renamed over
    assert put(f, "a = 1", "0600") == f"changed {f}\n"   # the mode alone differs
    assert oct(f.stat().st_mode & 0o777) == "0o600" and f.read_bytes() == b"a = 1"
    inode = f.stat().st_ino
    assert put(f, "a = 1\n", "0600") == f"changed {f}\n"  # a newline more is a change
    assert f.read_bytes() == b"a = 1\n" and f.stat().st_ino != inode    # a new file renamed over it
    assert os.listdir(f.parent) == ["x.conf"]


def test_put_takes_its_own_bytes_of_a_shared_stdin(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    out = bash(f"{prelude('put')}\nput {a} {ME[0]} {ME[1]} 0644 3 644\nput {b} {ME[0]} {ME[1]} 0644 4 644",
               "héyou\n").stdout
    assert out == f"changed {a}\nchanged {b}\n"
    assert a.read_text() == "hé" and b.read_text() == "you\n"   # a length in bytes: é is two of them


def test_dir_makes_a_missing_directory_and_never_takes_over_one_that_is_there(tmp_path):
    d = tmp_path / "run" / "guests"
    call = f"{prelude('dir')}\ndir {d} nobody nogroup 0750"
    assert bash(call).stdout == f"dir {d}\n" and oct(d.stat().st_mode & 0o777) == "0o750"
    assert (d.stat().st_uid, d.stat().st_gid) == (pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    assert bash(call).stdout == ""
    # one that was there (a system directory named by mistake, another service's): its owner and mode stay
    os.chown(d, 0, 0)
    d.chmod(0o700)
    assert bash(call).stdout == "" and oct(d.stat().st_mode & 0o777) == "0o700" and d.stat().st_uid == 0


# `ceph auth get client.cinder` (Ceph 18), with the caps the OpenStack guide gives, as the program's steps read it
CEPH_AUTH_GET = """[client.cinder]
\tkey = AQBmG2ZmAAAAABAA5X3ZzqfB+8oKZ8u0Qm7Vcw==
\tcaps mgr = "profile rbd pool=volumes, profile rbd pool=vms"
\tcaps mon = "profile rbd"
\tcaps osd = "profile rbd pool=volumes, profile rbd pool=vms, profile rbd-read-only pool=images"
"""


def test_caps_lines_reads_the_caps_of_ceph_auth_get():
    out = bash(prelude("caps_lines") + "\ncaps_lines", "exported keyring for client.cinder\n" + CEPH_AUTH_GET).stdout
    assert out == ("mgr=profile rbd pool=volumes, profile rbd pool=vms\nmon=profile rbd\n"
                   "osd=profile rbd pool=volumes, profile rbd pool=vms, profile rbd-read-only pool=images\n")
    assert bash(prelude("caps_lines") + "\ncaps_lines", "[client.x]\n\tkey = AQ==\n").stdout == ""


def test_a_script_gets_only_the_functions_it_names_and_no_comments():
    assert set(functions()) == {"dir", "put", "caps_lines"}
    only = prelude("caps_lines")
    assert only.startswith("caps_lines() {") and "put()" not in only and "dir()" not in only
    both = prelude("dir", "put")
    assert both.index("dir() {") < both.index("put() {") and "trap" in both
    assert not [line for line in template("prelude.sh").splitlines() if line.lstrip().startswith("#")]
    with pytest.raises(KeyError):
        prelude("nothing")
