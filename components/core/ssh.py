"""SSH for the read-back resources (hoststate.py): paramiko with the pinned host key, through a bastion where the
stack has one, bounded in time and attempts, one pooled connection per host within a process."""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import shlex
import socket
import threading
import time

TIMEOUT = 120
# paramiko's transport thread logs each failed handshake with a traceback; the one error below says it all
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


class RemoteError(Exception):
    pass


class Unreachable(RemoteError):
    """No SSH session with the host: `why` says what happened."""

    def __init__(self, conn: dict, why: str):
        host, port = conn["host"], int(conn.get("port") or 22)
        where = f"{conn['name']} ({host}:{port})" if conn.get("name") else f"{host}:{port}"
        super().__init__(f"cannot reach {where} over SSH as {conn.get('user') or 'root'}: {why} "
                         f"(ssh.connect_timeout / ssh.connect_attempts set the bounds)")
        self.why = why


class HostKeyMismatch(RemoteError):
    """Not retried: another key will not become the pinned one."""


def _private_key(text: str):
    import paramiko
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise RemoteError("the SSH private key is not an ed25519, ECDSA or RSA key in OpenSSH/PEM form")


def _client(conn: dict, sock=None, key_setting: str = "hosts.*.host_key"):
    """An SSH client logged in to `conn`, refusing any host key but the pinned one (the stack's `key_setting`).
    A refused or timed-out connection is tried `attempts` times, 1, 2, 4 ... s apart."""
    attempts = int(conn.get("attempts") or 1)
    for attempt in range(1, attempts + 1):
        try:
            return _connect(conn, sock, key_setting)
        except HostKeyMismatch:
            raise
        except RemoteError:
            if attempt == attempts or sock is not None:
                raise
            time.sleep(min(2 ** (attempt - 1), 8))


class _QuickAck:
    """A TCP socket that ACKs what it receives at once. Right after the login, sshd holds its answer to the first
    session behind Nagle's algorithm until a packet it sent before is ACKed, and Linux delays that ACK up to 40 ms:
    the first session on a lab host took 45 ms, 1 ms with this (the kernel leaves quick-ACK mode again by itself,
    so each receive asks for it)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock

    def recv(self, size: int) -> bytes:
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return self._sock.recv(size)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


def _connect(conn: dict, sock, key_setting: str):
    import paramiko
    host, port = conn["host"], int(conn.get("port") or 22)
    timeout = int(conn.get("timeout") or 15)
    where = f"{conn['name']} ({host}:{port})" if conn.get("name") else f"{host}:{port}"
    keytype, keydata = conn["host_key"].split()[:2]
    client = paramiko.SSHClient()
    client.get_host_keys().add(host if port == 22 else f"[{host}]:{port}", keytype,
                               paramiko.PKey.from_type_string(keytype, base64.b64decode(keydata)))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        if sock is None:
            # paramiko leaves Nagle's algorithm on: each of its small packets then waits for the host's delayed ACK
            # (40 ms on Linux), 48 ms for a session that runs `true` against 3.5 ms without it, and 60-100 ms of
            # handshake against 18 (OpenSSH's own client turns Nagle off too)
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if hasattr(socket, "TCP_QUICKACK"):
                sock = _QuickAck(sock)
        client.connect(host, port=port, username=conn.get("user") or "root", pkey=_private_key(conn["private_key"]),
                       look_for_keys=False, allow_agent=False, timeout=timeout, banner_timeout=timeout,
                       auth_timeout=timeout, sock=sock)
    except paramiko.BadHostKeyException as e:
        client.close()
        raise HostKeyMismatch(f"{where} presented a host key other than the pinned one ({e.key.get_name()}); "
                          f"check {key_setting}") from None
    except (paramiko.SSHException, OSError) as e:
        client.close()
        quiet = ("timed out", "banner", "no existing session")     # paramiko's words for a host that does not answer
        why = (f"no SSH answer within {timeout} s (host down, or its sshd hung?)"
               if isinstance(e, TimeoutError) or any(w in str(e).lower() for w in quiet) else str(e))
        raise Unreachable(conn, why) from None
    return client


# One login per host and run: the read-back resources of a host share one connection (the dynamic provider is one
# process per `pulumi` run), so `pulumi up --refresh` logs in to each host once, however many files it reads.
# sshd allows 10 sessions per connection (MaxSessions); SESSIONS keeps below that.
SESSIONS = 8
_pool: dict[tuple, object] = {}      # identity -> paramiko.SSHClient
_pool_lock = threading.Lock()
_host_locks: dict[tuple, threading.Lock] = {}
_slots: dict[tuple, threading.BoundedSemaphore] = {}
# A host that did not answer within its bounded attempts is not tried again in the same run: its other resources
# would each wait the whole bound again, one after another.
_unreachable: dict[tuple, str] = {}


def _identity(conn: dict) -> tuple:
    """Who logs in where: a bastion that is also a host of the stack shares that host's connection."""
    return (conn["host"], int(conn.get("port") or 22), conn.get("user") or "root", conn["host_key"],
            hashlib.sha256(conn["private_key"].encode()).hexdigest())


def _pooled(conn: dict, key_setting: str = "hosts.*.host_key"):
    """The logged-in client of `conn` for this process, made once (through its bastion's own pooled client)."""
    ident = _identity(conn)
    with _pool_lock:
        lock = _host_locks.setdefault(ident, threading.Lock())
    with lock:
        client = _pool.get(ident)
        if client is not None and client.get_transport() is not None and client.get_transport().is_active():
            return client
        if ident in _unreachable:     # found so within this run: the others fail now, named as they reach it
            raise Unreachable(conn, _unreachable[ident])
        sock = None
        if conn.get("proxy"):
            bastion = _pooled(conn["proxy"], "ssh.proxy.host_key")
            sock = bastion.get_transport().open_channel("direct-tcpip", (conn["host"], int(conn.get("port") or 22)),
                                                        ("127.0.0.1", 0), timeout=15)
        try:
            client = _pool[ident] = _client(conn, sock, key_setting)
        except Unreachable as e:
            _unreachable[ident] = e.why
            raise
        return client


def _forget(conn: dict) -> None:
    with _pool_lock:
        client = _pool.pop(_identity(conn), None)
    if client is not None:
        client.close()


def ssh(conn: dict, script: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `script` with bash on the host (through its bastion when it has one). Returns (rc, out, err).
    A pooled connection that died (the host's sshd restarted) is replaced once."""
    import paramiko
    host, port = conn["host"], int(conn.get("port") or 22)
    with _pool_lock:
        slots = _slots.setdefault(_identity(conn), threading.BoundedSemaphore(SESSIONS))
    with slots:
        for attempt in (1, 2):
            try:
                chan = _pooled(conn).get_transport().open_session(timeout=15)
                break
            except (paramiko.SSHException, OSError, AttributeError) as e:
                _forget(conn)
                if attempt == 2:
                    raise RemoteError(f"ssh {conn.get('user') or 'root'}@{host}:{port}"
                                      f"{' via ' + conn['proxy']['host'] if conn.get('proxy') else ''}: {e}") from None
        try:
            chan.settimeout(TIMEOUT)
            chan.exec_command("bash -c " + shlex.quote("set -eu\n" + script))
            if stdin:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            out, err = chan.makefile("rb").read().decode(), chan.makefile_stderr("rb").read().decode()
            return chan.recv_exit_status(), out, err
        except (paramiko.SSHException, OSError) as e:
            raise RemoteError(f"ssh {conn.get('user') or 'root'}@{host}:{port}: {e}") from None
        finally:
            chan.close()


def checked(conn: dict, script: str, stdin: str = "", what: str = "") -> str:
    rc, out, err = ssh(conn, script, stdin)
    if rc != 0:
        raise RemoteError(f"{what or 'remote step'} on {conn['host']} failed (exit {rc}): {err.strip()[-800:]}")
    return out
