"""The read-back resources' providers' own logic: what is an update, what is a replace, what a read reports."""
from unittest import mock

import pytest

from components import hoststate
from components.hoststate import CephClientProvider, RemoteFileProvider, parse_caps, sha256

CONN = {"host": "10.77.0.10", "port": 22, "user": "root", "private_key": "k", "host_key": "ssh-ed25519 AAAA"}


def file(**kw):
    return {"connection": CONN, "path": "/etc/x", "content": "a\n", "owner": "root", "group": "root",
            "mode": "0644", **kw}


def test_file_diff_compares_what_refresh_reads_back():
    p = RemoteFileProvider()
    old = {**file(), "sha256": sha256("a\n")}
    assert not p.diff("id", old, file()).changes
    assert p.diff("id", {**old, "sha256": "edited-by-hand"}, file()).changes       # drift seen on refresh
    assert p.diff("id", {**old, "mode": "0666"}, file()).changes
    d = p.diff("id", old, file(path="/etc/y"))
    assert d.replaces == ["path"]


def test_file_read_reports_owner_mode_and_hash_but_never_the_content():
    with mock.patch.object(hoststate, "ssh", return_value=(0, "cinder cinder 600\nabc123\n", "")):
        r = RemoteFileProvider().read("id", {**file(), "sha256": sha256("a\n")})
    assert (r.outs["owner"], r.outs["group"], r.outs["mode"], r.outs["sha256"]) == ("cinder", "cinder", "0600", "abc123")
    assert r.outs["content"] == "a\n"          # the desired content, as given; the host's text is not stored
    with mock.patch.object(hoststate, "ssh", return_value=(0, "MISSING\n", "")):
        assert RemoteFileProvider().read("id", file()).id is None


def test_caps_read_back_and_diffed():
    text = "mgr=profile rbd pool=images\nmon=profile rbd\nosd=profile rbd pool=images\n"
    caps = parse_caps(text)
    assert caps == {"mgr": "profile rbd pool=images", "mon": "profile rbd", "osd": "profile rbd pool=images"}
    props = {"connection": CONN, "cluster": "ceph", "name": "glance", "caps": caps, "script": "s"}
    p = CephClientProvider()
    assert not p.diff("id", {**props, "actual_caps": caps}, props).changes
    assert p.diff("id", {**props, "actual_caps": {**caps, "osd": "allow *"}}, props).changes
    with mock.patch.object(hoststate, "ssh", return_value=(0, "mon=allow r\n", "")):
        assert CephClientProvider().read("client.glance", props).outs["actual_caps"] == {"mon": "allow r"}


def test_file_diff_with_content_not_yet_known_is_a_change():
    from pulumi.output import Unknown  # what a preview hands the provider for a pending output
    old = {**file(), "sha256": sha256("a\n")}
    assert RemoteFileProvider().diff("id", old, file(content=Unknown())).changes


def test_an_unreachable_host_fails_bounded_naming_the_host():
    """A refused port on loopback: tried `attempts` times with backoff, then one error naming the stack's host,
    its address, and the settings that bound it."""
    import socket
    import time
    with socket.socket() as s:          # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    conn = {"name": "host compute9", "host": "127.0.0.1", "port": port, "user": "root", "private_key": private,
            "host_key": public, "timeout": 2, "attempts": 3}
    t = time.monotonic()
    with pytest.raises(hoststate.RemoteError) as e:
        hoststate.ssh(conn, "true")
    took = time.monotonic() - t
    assert str(e.value).startswith(f"cannot reach host compute9 (127.0.0.1:{port}) over SSH as root: ")
    assert "ssh.connect_timeout / ssh.connect_attempts" in str(e.value)
    assert 3 <= took < 10, took           # 1 s + 2 s of backoff between the three attempts


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
        script = hoststate.write_file_script(str(target), "root", "root", "0640")
        r = subprocess.run(["bash", "-c", "set -eu\n" + script], input="new\n" * 20000, capture_output=True,
                           text=True)
        assert r.returncode != 0 and "No space left on device" in r.stderr, r.stderr
        assert target.read_text() == "old\n"
        assert sorted(p.name for p in mnt.iterdir()) == ["filler", "nova.conf"]
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
