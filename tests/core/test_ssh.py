"""SSH of the read-back resources (components/core/ssh.py): bounded when a host does not answer, one pooled login
per host however many reads, a host that does not answer tried once per run."""
from unittest import mock

import pytest

from components.core import ssh

CONN = {"host": "10.77.0.10", "port": 22, "user": "root", "private_key": "k", "host_key": "ssh-ed25519 AAAA"}


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
    with pytest.raises(ssh.RemoteError) as e:
        ssh.ssh(conn, "true")
    took = time.monotonic() - t
    assert str(e.value).startswith(f"cannot reach host compute9 (127.0.0.1:{port}) over SSH as root: ")
    assert "ssh.connect_timeout / ssh.connect_attempts" in str(e.value)
    assert 3 <= took < 10, took           # 1 s + 2 s of backoff between the three attempts


def test_one_login_per_host_however_many_reads():
    """The read-back resources of a host share one pooled connection (sessions on it in parallel, at most
    SESSIONS at a time); a connection that died is replaced; a bastion that is a host shares that host's login."""
    import threading
    import time

    class Channel:
        def __init__(self, transport):
            self.transport = transport

        def settimeout(self, _):
            pass

        def exec_command(self, _):
            with self.transport.lock:
                self.transport.open += 1
                self.transport.most = max(self.transport.most, self.transport.open)
            time.sleep(0.02)

        def sendall(self, _):
            pass

        def shutdown_write(self):
            pass

        def makefile(self, _):
            return mock.Mock(read=lambda: b"ok\n")

        makefile_stderr = makefile

        def recv_exit_status(self):
            return 0

        def close(self):
            with self.transport.lock:
                self.transport.open -= 1

    class Transport:
        def __init__(self):
            self.alive, self.lock, self.open, self.most = True, threading.Lock(), 0, 0

        def is_active(self):
            return self.alive

        def open_session(self, timeout):
            return Channel(self)

        def open_channel(self, *_a, **_k):
            return "sock"

    logins = []

    def client(conn, sock=None, key_setting=""):
        logins.append((conn["host"], sock))
        c = mock.Mock()
        c.get_transport.return_value = Transport()
        return c

    a = {**CONN, "host": "10.77.0.21"}
    b = {**CONN, "host": "10.77.0.22", "proxy": dict(a)}     # behind a, the bastion
    with mock.patch.object(ssh, "_client", side_effect=client), mock.patch.dict(ssh._pool, clear=True):
        threads = [threading.Thread(target=ssh.ssh, args=(c, "true")) for c in [a] * 20 + [b] * 5]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(logins) == [("10.77.0.21", None), ("10.77.0.22", "sock")]
        transport = ssh._pool[ssh._identity(a)].get_transport()
        assert 1 < transport.most <= ssh.SESSIONS
        transport.alive = False                 # sshd restarted: one new login, then pooled again
        assert ssh.ssh(a, "true") == (0, "ok\n", "ok\n") and ssh.ssh(a, "true")[0] == 0
        assert len(logins) == 3


def test_a_host_that_does_not_answer_is_tried_once_per_run_and_named_by_each_way_in():
    """Its bounded attempts are made once: the host's other reads, and a host behind it, fail right away, each
    error naming how it reaches the host (the host itself, or the bastion of the one behind it)."""
    import threading

    calls = []

    def client(conn, sock=None, key_setting=""):
        calls.append(conn["name"])
        raise ssh.Unreachable(conn, "no SSH answer within 10 s (host down, or its sshd hung?)")

    a = {**CONN, "host": "10.77.0.21", "name": "host compute1"}
    b = {**CONN, "host": "10.77.0.22", "name": "host compute2", "proxy": {**a, "name": "the bastion of compute2"}}
    errors = []

    def read(c):
        try:
            ssh.ssh(c, "true")
        except ssh.RemoteError as e:
            errors.append(str(e))
    with mock.patch.object(ssh, "_client", side_effect=client), mock.patch.dict(ssh._pool, clear=True), \
            mock.patch.dict(ssh._unreachable, clear=True):
        threads = [threading.Thread(target=read, args=(c,)) for c in (a, a, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert calls == ["host compute1"], calls
    assert len(errors) == 4 and all("no SSH answer within 10 s" in e for e in errors)
    assert sum(e.startswith("cannot reach host compute1 (10.77.0.21:22) over SSH as root") for e in errors) == 3
    assert sum(e.startswith("cannot reach the bastion of compute2 (10.77.0.21:22)") for e in errors) == 1


def test_a_direct_connection_turns_nagle_off_and_acks_at_once():
    """paramiko leaves Nagle's algorithm on, and each SSH session then waits for the host's delayed ACKs (48 ms for
    one that runs `true`, 3.5 ms without): the socket handed to paramiko has TCP_NODELAY, and asks for quick ACKs
    before every receive (sshd's answer to the first session waited 45 ms for one). A real loopback socket."""
    import socket
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    seen = []

    options = []
    setsockopt = socket.socket.setsockopt

    def record(self, level, option, value):
        options.append((level, option, value))
        return setsockopt(self, level, option, value)

    def connect(self, host, port=22, sock=None, **_):
        quick = len(options)
        received = sock.recv(5)
        seen.append((host, port, sock.getpeername()[1], sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
                     received, options[quick:]))
        sock.close()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        conn = {"name": "host compute9", "host": "127.0.0.1", "port": port, "user": "root", "private_key": private,
                "host_key": public, "timeout": 2}
        import threading
        serve = threading.Thread(target=lambda: listener.accept()[0].sendall(b"SSH-2"))
        serve.start()
        import paramiko
        with mock.patch.object(paramiko.SSHClient, "connect", connect), \
                mock.patch.object(socket.socket, "setsockopt", record):
            ssh._connect(conn, None, "hosts.*.host_key")
        serve.join(5)
    assert seen == [("127.0.0.1", port, port, 1, b"SSH-2", [(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)])], seen
