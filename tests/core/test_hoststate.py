"""The read-back resources' providers' own logic: what is an update, what is a replace, what a read reports."""
from unittest import mock

import pytest

from components.core import hoststate, ssh
from components.core.hoststate import CephClientProvider, RemoteFilesProvider, parse_caps, sha256

CONN = {"host": "10.77.0.10", "port": 22, "user": "root", "private_key": "k", "host_key": "ssh-ed25519 AAAA"}


def files(**attrs):
    """Two files; `attrs` overrides the first one's owner, group or mode."""
    return {"connection": CONN, "files": {"/etc/x": {"owner": "root", "group": "root", "mode": "0644", **attrs},
                                          "/etc/y": {"owner": "root", "group": "cinder", "mode": "0640"}},
            "contents": {"/etc/x": "a\n", "/etc/y": "b\n"}}


def written(**attrs):
    return {**files(**attrs), "sha256": {"/etc/x": sha256("a\n"), "/etc/y": sha256("b\n")}}


def test_files_diff_compares_what_refresh_reads_back():
    p = RemoteFilesProvider()
    assert not p.diff("id", written(), files()).changes
    assert p.diff("id", {**written(), "sha256": {"/etc/x": sha256("a\n"), "/etc/y": "edited-by-hand"}}, files()).changes
    assert p.diff("id", written(mode="0666"), files()).changes
    assert p.diff("id", written(), {**files(), "contents": {"/etc/x": "a\n", "/etc/y": "c\n"}}).changes
    d = p.diff("id", written(), {**files(), "connection": {**CONN, "host": "10.77.0.11"}})
    assert d.replaces == ["connection"]


def test_files_read_reports_owner_mode_and_hash_but_never_the_content():
    with mock.patch.object(ssh, "ssh", return_value=(0, "cinder cinder 600 abc123\nroot cinder 640 def456\n", "")) as s:
        r = RemoteFilesProvider().read("id", written())
    assert s.call_count == 1                   # both files in one session
    assert r.outs["files"]["/etc/x"] == {"owner": "cinder", "group": "cinder", "mode": "0600"}
    assert r.outs["sha256"] == {"/etc/x": "abc123", "/etc/y": "def456"}
    assert r.outs["contents"] == {"/etc/x": "a\n", "/etc/y": "b\n"}    # the desired content; the host's is not stored
    with mock.patch.object(ssh, "ssh", return_value=(0, "MISSING\nroot cinder 640 def456\n", "")):
        r = RemoteFilesProvider().read("id", written())
    assert r.id == "id" and r.outs["sha256"]["/etc/x"] == "missing"       # one deleted: a drift, rewritten by up
    assert RemoteFilesProvider().diff("id", r.outs, files()).changes
    with mock.patch.object(ssh, "ssh", return_value=(0, "MISSING\nMISSING\n", "")):
        assert RemoteFilesProvider().read("id", written()).id is None


def on_this_machine(calls: list, printed: list | None = None):
    """ssh() as a stand-in that runs each script here with bash, as ssh() runs it on a host (set -eu, its output
    decoded as UTF-8), and keeps the scripts in `calls` (one per SSH session) and what they print in `printed`."""
    import subprocess

    def run(_conn, script, stdin=""):
        calls.append(script)
        r = subprocess.run(["bash", "-c", "set -eu\n" + script], input=stdin.encode(), capture_output=True, timeout=30)
        (printed if printed is not None else []).append(r.stdout.decode())
        return r.returncode, r.stdout.decode(), r.stderr.decode()
    return run


def local_files(tmp_path, secret: tuple = (), **contents):
    """RemoteFiles' inputs for files in tmp_path (name -> content), owned by whoever runs the test; the names in
    `secret` are secret files (their content an Output in the program: a keyring)."""
    import grp
    import os
    import pwd
    owner, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    paths = {name: str(tmp_path / name) for name in contents}
    return {"kind": "file", "connection": CONN,
            "files": {paths[n]: {"owner": owner, "group": group, "mode": "0644"} for n in contents},
            "contents": {paths[n]: c for n, c in contents.items()},
            **({"secret": sorted(paths[n] for n in secret)} if secret else {})}


NOVA = "[DEFAULT]\ndebug = false\nlog_dir = /var/log/nova\n"
EDITED = "[DEFAULT]\ndebug = true\nlog_dir = /var/log/nova\n"


def test_a_refresh_of_files_as_written_is_one_session():
    """Whatever the files' attributes read back as, a host whose contents are as the last write left them is read
    in one SSH session: no text is read, and the outputs are the write's."""
    out = {**written(), "secret": []}
    line = f"root root 644 {sha256('a' + chr(10))}  -\nroot cinder 640 {sha256('b' + chr(10))}  -\n"
    with mock.patch.object(ssh, "ssh", return_value=(0, line, "")) as s:
        r = RemoteFilesProvider().read("id", out)
    assert s.call_count == 1 and r.inputs is None and r.outs == out
    with mock.patch.object(ssh, "ssh", return_value=(0, line.replace("644", "666", 1), "")) as s:
        r = RemoteFilesProvider().read("id", out)     # a mode changed by hand: a drift, still no text
    assert s.call_count == 1 and r.inputs is None and "drift" not in r.outs
    assert r.outs["files"]["/etc/x"]["mode"] == "0666" and RemoteFilesProvider().diff("id", r.outs, files()).changes


def test_a_drifted_file_that_is_not_secret_is_read_back_as_the_hosts_text(tmp_path):
    """Written by the provider's script, edited by hand, read back: the refresh's outputs hold the host's text of the
    drifted file (`drift`, which the refresh step of a preview shows), and its inputs the host's text of every file,
    which the update step shows against the wanted one line by line. A `pulumi refresh` in between (the next read
    starts from this one's outputs) hides nothing; a file put back by hand is no drift."""
    props, calls = local_files(tmp_path, **{"nova.conf": NOVA, "other.conf": "b\n"}), []
    nova, other = sorted(props["files"])
    with mock.patch.object(ssh, "ssh", side_effect=on_this_machine(calls)):
        out = RemoteFilesProvider().create(props).outs
        assert out["secret"] == []                  # the write says which files are secret: none
        (tmp_path / "nova.conf").write_text(EDITED)
        calls.clear()
        r = RemoteFilesProvider().read("id", out)
        assert len(calls) == 2 and "base64" in calls[1]
        assert r.outs["drift"] == {nova: EDITED} and r.outs["sha256"] == {nova: sha256(EDITED), other: sha256("b\n")}
        assert r.outs["wrote"] == {nova: sha256(NOVA)}
        assert r.inputs == {**props, "contents": {nova: EDITED, other: "b\n"}}     # the same keys as RemoteFiles'
        assert RemoteFilesProvider().diff("id", r.outs, props).changes             # and `up` puts NOVA back
        again = RemoteFilesProvider().read("id", r.outs)
        assert (again.outs, again.inputs) == (r.outs, r.inputs)
        (tmp_path / "nova.conf").write_text(NOVA)
        calls.clear()
        back = RemoteFilesProvider().read("id", r.outs)
    assert len(calls) == 1 and back.inputs is None and back.outs == out


def test_a_secret_files_drift_is_read_back_as_its_hash_only(tmp_path):
    """A keyring edited by hand: its refresh opens one session and returns its hash, never its text, nor inputs
    holding it; beside it, ceph.conf's drift is read as text. A state written before reads knew which files are
    secret (no `secret` in its outputs) reads every file as secret."""
    key, rotated = "[client.glance]\n\tkey = AQBOLD==\n", "[client.glance]\n\tkey = AQBNEW==\n"
    props, calls = local_files(tmp_path, secret=("glance.keyring",), **{"glance.keyring": key}), []
    keyring = str(tmp_path / "glance.keyring")
    with mock.patch.object(ssh, "ssh", side_effect=on_this_machine(calls)):
        out = RemoteFilesProvider().create(props).outs
        assert out["secret"] == [keyring]
        (tmp_path / "glance.keyring").write_text(rotated)
        calls.clear()
        r = RemoteFilesProvider().read("id", out)
        assert len(calls) == 1 and r.inputs is None and "drift" not in r.outs
        assert r.outs["sha256"] == {keyring: sha256(rotated)} and "AQBNEW" not in repr(r.outs)
        assert RemoteFilesProvider().diff("id", r.outs, props).changes
        mixed = local_files(tmp_path, secret=("glance.keyring",), **{"glance.keyring": key, "ceph.conf": NOVA})
        out = RemoteFilesProvider().create(mixed).outs
        (tmp_path / "glance.keyring").write_text(rotated)
        (tmp_path / "ceph.conf").write_text(EDITED)
        calls.clear()
        r = RemoteFilesProvider().read("id", out)
        assert len(calls) == 2 and keyring not in calls[1] and "AQBNEW" not in repr(r.outs)
        assert r.outs["drift"] == {str(tmp_path / "ceph.conf"): EDITED} and r.inputs is None
        old = {k: v for k, v in out.items() if k != "secret"}      # as an older write left it
        calls.clear()
        r = RemoteFilesProvider().read("id", old)
    assert len(calls) == 1 and r.inputs is None and "drift" not in r.outs and "secret" not in r.outs


def test_a_drifted_file_over_the_limit_is_reported_by_its_size(tmp_path):
    """A file larger than the text a refresh reads back (64 KiB) shows as its size, and is not sent over SSH; the
    inputs stay the wanted ones (an unchanged one too large to read: the same). A file that is not UTF-8 shows its
    bytes escaped."""
    props, calls, printed = local_files(tmp_path, **{"nova.conf": NOVA, "big.conf": "b\n"}), [], []
    nova, big = sorted(props["files"], reverse=True)
    with mock.patch.object(ssh, "ssh", side_effect=on_this_machine(calls, printed)):
        out = RemoteFilesProvider().create(props).outs
        (tmp_path / "big.conf").write_text("x" * hoststate.TEXT_LIMIT + "\n")
        (tmp_path / "nova.conf").write_bytes(b"debug = \xff\n")
        r = RemoteFilesProvider().read("id", out)
        assert r.outs["drift"] == {
            big: f"(not shown: the host's file is {hoststate.TEXT_LIMIT + 1} bytes, over the 65536 a refresh reads)",
            nova: "debug = \\xff\n"}
        assert r.inputs is None and len(printed[-1]) < 100
        (tmp_path / "big.conf").write_text("x" * hoststate.TEXT_LIMIT)        # at the limit: read
        assert RemoteFilesProvider().read("id", out).outs["drift"][big] == "x" * hoststate.TEXT_LIMIT
        big_out = RemoteFilesProvider().create({**props, "contents": {nova: NOVA, big: "y" * 70000}}).outs
        (tmp_path / "nova.conf").write_text(EDITED)
        r = RemoteFilesProvider().read("id", big_out)
    assert r.outs["drift"] == {nova: EDITED} and r.inputs is None


def test_a_deleted_file_stays_missing_and_is_not_read(tmp_path):
    """A file deleted by hand reads as "missing" with no second session; beside a drifted one, the inputs hold it
    as empty (the update step shows every wanted line as added)."""
    props, calls = local_files(tmp_path, **{"nova.conf": NOVA, "other.conf": "b\n"}), []
    nova, other = sorted(props["files"])
    with mock.patch.object(ssh, "ssh", side_effect=on_this_machine(calls)):
        out = RemoteFilesProvider().create(props).outs
        (tmp_path / "other.conf").unlink()
        calls.clear()
        r = RemoteFilesProvider().read("id", out)
        assert len(calls) == 1 and r.outs["sha256"][other] == "missing" and "drift" not in r.outs
        assert r.outs["wrote"] == {other: sha256("b\n")}
        (tmp_path / "nova.conf").write_text(EDITED)
        r = RemoteFilesProvider().read("id", r.outs)
    assert r.outs["drift"] == {nova: EDITED} and r.outs["sha256"][other] == "missing"
    assert r.inputs["contents"] == {nova: EDITED, other: ""}


def test_files_write_sends_every_content_on_stdin_in_one_session():
    with mock.patch.object(ssh, "ssh", return_value=(0, "", "")) as s:
        out = RemoteFilesProvider().create(files())
    (conn, script, stdin), _ = s.call_args
    assert s.call_count == 1 and stdin == "a\nb\n"
    assert "a\n" not in script.replace("\\n", "") and "put /etc/x root root 0644 2 644" in script
    assert out.id == "10.77.0.10:/etc/x" and out.outs["sha256"]["/etc/y"] == sha256("b\n")


def test_caps_read_back_and_diffed():
    text = "mgr=profile rbd pool=images\nmon=profile rbd\nosd=profile rbd pool=images\n"
    caps = parse_caps(text)
    assert caps == {"mgr": "profile rbd pool=images", "mon": "profile rbd", "osd": "profile rbd pool=images"}
    props = {"connection": CONN, "cluster": "ceph", "name": "glance", "caps": caps, "script": "s"}
    p = CephClientProvider()
    assert not p.diff("id", {**props, "actual_caps": caps}, props).changes
    assert p.diff("id", {**props, "actual_caps": {**caps, "osd": "allow *"}}, props).changes
    with mock.patch.object(ssh, "ssh", return_value=(0, "mon=allow r\n", "")):
        assert CephClientProvider().read("client.glance", props).outs["actual_caps"] == {"mon": "allow r"}


def test_a_state_from_before_mon_reads_caps_through_its_ceph(tmp_path, monkeypatch):
    """A cephx user's state written before config.Ceph.cli had `mon` holds a `cli` with `ceph` only: its refresh
    reads the caps through that `ceph` (`ceph auth get client.glance`), and a missing user still reads as gone."""
    import subprocess

    def bash(_conn, script, stdin=""):
        r = subprocess.run(["bash", "-c", script], input=stdin, capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr
    old_cli = ('ceph() { echo "$*" >> "$CALLS"; [ "$*" = "auth get client.glance" ] || return 2; '
               "printf '[client.glance]\\n\\tcaps mon = \"profile rbd\"\\n'; }")
    props = {"connection": CONN, "cluster": "ceph", "cli": old_cli, "caps": {}, "script": "s"}
    monkeypatch.setenv("CALLS", str(tmp_path / "calls"))
    with mock.patch.object(ssh, "ssh", side_effect=bash):
        assert CephClientProvider().read("client.glance", {**props, "name": "glance"}).outs["actual_caps"] == {
            "mon": "profile rbd"}
        assert CephClientProvider().read("client.gone", {**props, "name": "gone"}).id is None
    assert (tmp_path / "calls").read_text().splitlines() == ["auth get client.glance", "auth get client.gone"]


def test_file_diff_with_content_not_yet_known_is_a_change():
    from pulumi.output import Unknown  # what a preview hands the provider for a pending output
    assert RemoteFilesProvider().diff("id", written(), {**files(), "contents": Unknown()}).changes
    assert RemoteFilesProvider().diff("id", written(), {**files(), "contents": {"/etc/x": "a\n", "/etc/y": Unknown()}}).changes


@pytest.mark.host        # mounts a tmpfs (root)
def test_a_write_that_fails_leaves_the_old_file_intact(tmp_path):
    """The file script writes a temporary file beside the target and renames it: on a full file system the write
    fails and the old file is untouched (nor is a temporary file left behind)."""
    import subprocess
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        target = mnt / "nova.conf"
        target.write_text("old\n")
        (mnt / "filler").write_bytes(b"x" * 60000)
        script = hoststate.write_files_script([(str(target), "root", "root", "0640", 80000)])
        r = subprocess.run(["bash", "-c", "set -eu\n" + script], input="new\n" * 20000, capture_output=True,
                           text=True)
        assert r.returncode != 0 and "No space left on device" in r.stderr, r.stderr
        assert target.read_text() == "old\n"
        assert sorted(p.name for p in mnt.iterdir()) == ["filler", "nova.conf"]
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_files_and_dirs_scripts_write_then_find_nothing_to_do_and_read_back(tmp_path):
    """The scripts the file provider runs, here on this machine: a first run writes (multi-byte content and an
    empty file included), a second changes nothing, and the read-back sees owner, mode, hash and a missing file."""
    import os
    import subprocess
    files = [(f"{tmp_path}/etc/a.conf", "héllo\n", "root", "root", "0640"), (f"{tmp_path}/b", "", "root", "root", "0600"),
             (f"{tmp_path}/c", "x\n" * 3, "nobody", "nogroup", "0644")]
    dirs = [(f"{tmp_path}/run/guests", "nobody", "nogroup", "0755")]
    script = hoststate.write_files_script([(p, o, g, m, len(c.encode())) for p, c, o, g, m in files], dirs)
    runs = [subprocess.run(["bash", "-c", "set -eu\n" + script], input="".join(c for _, c, *_ in files),
                           capture_output=True, text=True) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout.count("changed ") == 3 and f"dir {tmp_path}/run/guests" in runs[0].stdout
    assert runs[1].stdout.split() == ["unchanged", files[0][0], "unchanged", files[1][0], "unchanged", files[2][0]]
    assert open(files[0][0], encoding="utf-8").read() == "héllo\n" and os.path.getsize(files[1][0]) == 0
    os.chmod(files[1][0], 0o644)    # a mode changed by hand, the content as it was: put back
    again = subprocess.run(["bash", "-c", "set -eu\n" + script], input="".join(c for _, c, *_ in files),
                           capture_output=True, text=True)
    assert again.stdout.split() == ["unchanged", files[0][0], "changed", files[1][0], "unchanged", files[2][0]]
    assert os.stat(files[1][0]).st_mode & 0o777 == 0o600
    # as ssh() runs it (set -eu); a missing file between present ones, and names sha256sum escapes (a backslash,
    # a newline: its line then starts with one), followed by a plain one that must keep its own line
    odd, nl = f"{tmp_path}/a b\\c", f"{tmp_path}/new\nline"
    for path in (odd, nl):
        with open(path, "w") as f:
            f.write("odd")
        os.chmod(path, 0o644)
    import grp
    import pwd
    me = f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}"
    read = subprocess.run(["bash", "-c", "set -eu\n" + hoststate.read_files_script(
        [p for p, *_ in files[:2]] + [f"{tmp_path}/gone", odd, nl, files[2][0]], [d for d, *_ in dirs])],
                          capture_output=True, text=True).stdout.splitlines()
    assert read == [f"root root 640 {sha256('héllo' + chr(10))}  -", f"root root 600 {sha256('')}  -", "MISSING",
                    f"{me} 644 {sha256('odd')}  -", f"{me} 644 {sha256('odd')}  -",
                    f"nobody nogroup 644 {sha256('x' + chr(10) * 1 + 'x' + chr(10) + 'x' + chr(10))}  -",
                    "nobody nogroup 755"]
    nothing = subprocess.run(["bash", "-c", "set -eu\n" + hoststate.read_files_script([f"{tmp_path}/gone"])],
                             capture_output=True, text=True)
    assert (nothing.returncode, nothing.stdout) == (0, "MISSING\n"), nothing.stderr


def test_caps_read_script_against_a_stand_in_mon():
    """The read script of a cephx user, run here with a stand-in `mon`: caps as the ensure step compares them, an
    absent user (ENOENT, exit 2) reads as nothing, and a cluster that fails otherwise fails the read."""
    import os
    import subprocess
    from components.core.hoststate import caps_script
    out = ('[client.glance]\n\tkey = AQ==\n\tcaps mon = "profile rbd"\n\tcaps osd = "profile rbd pool=images"\n'
           '\tcaps mgr = "profile rbd pool=images"\n')
    fake = ('mon() { [ "$1" = "auth get" ] || return 1; case "$2" in entity=client.glance) printf "%s" "$OUT" ;; '
            'entity=client.gone) return 2 ;; *) return 110 ;; esac; }')
    runs = {c: subprocess.run(["bash", "-c", caps_script(fake, c)], capture_output=True, text=True,
                              env={**os.environ, "OUT": out}) for c in ("glance", "gone", "hung")}
    assert runs["glance"].returncode == 0
    assert runs["glance"].stdout == "mgr=profile rbd pool=images\nmon=profile rbd\nosd=profile rbd pool=images\n"
    assert parse_caps(runs["glance"].stdout)["osd"] == "profile rbd pool=images"
    assert (runs["gone"].returncode, runs["gone"].stdout) == (0, "")
    assert runs["hung"].returncode == 110


def test_a_stack_from_before_grouped_files_can_still_refresh_and_drop_its_file_resources():
    """The engine unpickles a resource's provider from its state, by module and class name, to read or delete it:
    the old one-file and one-certificate providers must still load there and work."""
    import base64
    import importlib
    import dill
    from pulumi.dynamic.dynamic import serialize_provider
    old = {"connection": CONN, "path": "/etc/x", "content": "a\n", "owner": "root", "group": "root", "mode": "0644",
           "sha256": sha256("a\n")}
    for module, cls in (("components.core.hoststate", "RemoteFileProvider"),
                        ("components.libvirt.certs", "CertProvider")):
        pickled = base64.b64decode(serialize_provider(getattr(importlib.import_module(module), cls)()))
        assert module.encode() in pickled and cls.encode() in pickled      # by reference, as old states hold it
        provider = dill.loads(pickled)
        assert provider.delete("id", old) is None
    from components.core.hoststate import RemoteFileProvider
    with mock.patch.object(ssh, "ssh", return_value=(0, "root cinder 640 abc123\n", "")):
        r = RemoteFileProvider().read("id", old)
    assert (r.outs["group"], r.outs["mode"], r.outs["sha256"]) == ("cinder", "0640", "abc123")


def test_the_contents_are_not_kept_twice_in_state():
    """Written files keep their contents in the inputs only (the state file is rewritten on every step): the
    outputs hold their hashes."""
    with mock.patch.object(ssh, "ssh", return_value=(0, "changed /etc/x\nunchanged /etc/y\n", "")):
        out = RemoteFilesProvider().create(files()).outs
    assert "contents" not in out and out["sha256"] == {"/etc/x": sha256("a\n"), "/etc/y": sha256("b\n")}
    assert out["changed"] == ["/etc/x"]
    assert not RemoteFilesProvider().diff("id", out, files()).changes


def test_a_process_that_loaded_the_providers_skips_the_last_collection_at_exit():
    """The dynamic provider's exit waited for the interpreter to collect its whole heap: a cycle left at exit is not
    collected (its __del__ never runs) once hoststate is imported, and is without it."""
    import subprocess
    import sys
    from pathlib import Path
    leave_a_cycle = ("class C:\n    def __del__(self): print('collected', flush=True)\n"
                     "a = C(); a.me = a; del a\n")
    root = Path(__file__).resolve().parents[2]
    for imports, collected in (("", True), ("import components.core.hoststate\n", False)):
        out = subprocess.run([sys.executable, "-c", imports + leave_a_cycle], cwd=root, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert ("collected" in out.stdout) == collected, (imports, out.stdout)
