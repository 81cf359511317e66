"""Host state that Pulumi reads back, as Python dynamic resources over pinned SSH (paramiko): pulumi-command's
remote.Command has no read, so these are the ones that are not commands (actions are: see remote.py).

- RemoteFile: a file's content hash, owner, group and mode;
- CephClientResource: a cephx user and its caps;

so `pulumi preview --refresh` shows a keyring, config or caps edited by hand and `pulumi up --refresh` puts the
desired state back, while a plain `pulumi up` stays a no-op. A connection may go through a bastion (`proxy`).

Secrets: file content and the connection (private key) are secret inputs; content is read back into state only
as a hash, never as text, so a keyring's key is never stored in the clear (nor in a second place).
"""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import secrets
import shlex
import time
from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult


TIMEOUT = 120
# paramiko's transport thread logs each failed handshake with a traceback; the one error below says it all
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


class RemoteError(Exception):
    pass


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
        raise RemoteError(f"cannot reach {where} over SSH as {conn.get('user') or 'root'}: {why} "
                          f"(ssh.connect_timeout / ssh.connect_attempts set the bounds)") from None
    return client


def ssh(conn: dict, script: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `script` with bash on the host (through its bastion when it has one). Returns (rc, out, err)."""
    import paramiko
    host, port = conn["host"], int(conn.get("port") or 22)
    bastion = _client(conn["proxy"], key_setting="ssh.proxy.host_key") if conn.get("proxy") else None
    client = None
    try:
        sock = bastion.get_transport().open_channel("direct-tcpip", (host, port), ("127.0.0.1", 0),
                                                    timeout=15) if bastion else None
        client = _client(conn, sock)
        chan = client.get_transport().open_session(timeout=15)
        chan.settimeout(TIMEOUT)
        chan.exec_command("bash -c " + shlex.quote("set -eu\n" + script))
        if stdin:
            chan.sendall(stdin.encode())
        chan.shutdown_write()
        out, err = chan.makefile("rb").read().decode(), chan.makefile_stderr("rb").read().decode()
        return chan.recv_exit_status(), out, err
    except (paramiko.SSHException, OSError) as e:
        raise RemoteError(f"ssh {conn.get('user') or 'root'}@{host}:{port}"
                          f"{' via ' + conn['proxy']['host'] if bastion else ''}: {e}") from None
    finally:
        for c in (client, bastion):
            if c:
                c.close()


def _checked(conn: dict, script: str, stdin: str = "", what: str = "") -> str:
    rc, out, err = ssh(conn, script, stdin)
    if rc != 0:
        raise RemoteError(f"{what or 'remote step'} on {conn['host']} failed (exit {rc}): {err.strip()[-800:]}")
    return out


def write_file_script(path: str, owner: str, group: str, mode: str) -> str:
    """Install stdin as `path` atomically; the temp file is 0600 until it has its owner and mode."""
    want = f"{owner}:{group}:{int(mode, 8):o}"
    return f"""
f={shlex.quote(path)}
d=$(dirname "$f")
[ -d "$d" ] || mkdir -p "$d"
tmp=$(mktemp "$d/.openstack-storage.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown {shlex.quote(owner)}:{shlex.quote(group)} "$tmp"
chmod {shlex.quote(mode)} "$tmp"
if [ -f "$f" ] && cmp -s "$tmp" "$f" && [ "$(stat -c %U:%G:%a "$f")" = {shlex.quote(want)} ]; then
  echo "unchanged $f"
else
  mv -f "$tmp" "$f"
  echo "changed $f"
fi
"""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---- files --------------------------------------------------------------------------------------

FILE_FIELDS = ("path", "owner", "group", "mode", "sha256")
READ_SCRIPT = ('f={path}\nif [ -f "$f" ]; then stat -c "%U %G %a" "$f"; sha256sum "$f" | cut -d" " -f1; '
               'else echo MISSING; fi')


class RemoteFileProvider(ResourceProvider):
    """A file with content, owner, group and mode. State holds the content's hash, read back on refresh."""

    def _write(self, props: dict) -> dict:
        _checked(props["connection"], write_file_script(props["path"], props["owner"], props["group"], props["mode"]),
                 props["content"], f"writing {props['path']}")
        # `written` changes with every write, a restored drift included: the services that read the file restart on it
        return {**props, "sha256": sha256(props["content"]), "written": secrets.token_hex(8)}

    def create(self, props: dict) -> CreateResult:
        return CreateResult(f"{props['connection']['host']}:{props['path']}", self._write(props))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._write(news))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        # in a preview, content built from another resource's pending output (a key) is not known yet
        known = isinstance(news.get("content"), str)
        wanted = {**news, "sha256": sha256(news["content"]) if known else None}
        changed = [k for k in FILE_FIELDS if str(olds.get(k)) != str(wanted.get(k))]
        replaces = [k for k in ("path",) if k in changed]
        if olds.get("connection", {}).get("host") != news["connection"]["host"]:
            replaces.append("connection")
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: dict) -> ReadResult:
        out = _checked(props["connection"], READ_SCRIPT.format(path=shlex.quote(props["path"])), what="reading a file")
        lines = out.split()
        if lines == ["MISSING"]:
            return ReadResult(None, {})      # gone: the next `pulumi up` creates it again
        owner, group, mode, digest = lines[:4]
        mode = f"0{mode}" if len(mode) == 3 else mode
        # content is not read back: drift shows as a different sha256, and `up --refresh` rewrites the file
        return ReadResult(id_, {**props, "owner": owner, "group": group, "mode": mode, "sha256": digest})

    def delete(self, _id: str, _props: dict) -> None:
        # a service's config or keyring is left in place when the stack lets go of it: removing it would break
        # the service, and data-bearing files are the operator's to delete
        return None


class RemoteFile(Resource):
    sha256: pulumi.Output[str]
    written: pulumi.Output[str]

    def __init__(self, name: str, connection: pulumi.Input[dict], path: str, content: pulumi.Input[str], owner: str,
                 group: str, mode: str, opts: Optional[pulumi.ResourceOptions] = None):
        secret = isinstance(content, pulumi.Output)
        super().__init__(RemoteFileProvider(), name, {
            "kind": "file", "connection": pulumi.Output.secret(connection), "path": path, "content": content, "owner": owner,
            "group": group, "mode": mode, "sha256": None, "written": None,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["connection", "content"] if secret else ["connection"])))


# ---- cephx clients --------------------------------------------------------------------------------

def caps_script(cli: str, client: str) -> str:
    """The user's caps as `kind=caps` lines; nothing when the user does not exist (ENOENT, exit 2). A cluster that
    does not answer fails the read (the bounded `ceph` of `cli` names its monitors) instead of looking like a
    deleted user."""
    return f"""{cli}
rc=0
out=$(ceph auth get {shlex.quote("client." + client)}) || rc=$?
[ "$rc" -eq 2 ] && exit 0
[ "$rc" -eq 0 ] || exit "$rc"
printf '%s\\n' "$out" | sed -n 's/^[[:space:]]*caps \\([a-z]*\\) = "\\(.*\\)"$/\\1=\\2/p'
"""


def parse_caps(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class CephClientProvider(ResourceProvider):
    """A cephx user whose caps are read back from the cluster: a hand-made change shows up on refresh."""

    def _ensure(self, props: dict) -> dict:
        key = _checked(props["connection"], props["script"], what=f"ensuring client.{props['name']}").strip()
        return {**props, "key": key, "actual_caps": props["caps"]}

    def create(self, props: dict) -> CreateResult:
        return CreateResult(f"client.{props['name']}", self._ensure(props))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._ensure(news))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = [k for k in ("caps", "script") if olds.get(k) != news.get(k)]
        if olds.get("actual_caps") != news.get("caps"):
            changed.append("actual_caps")
        replaces = ["name"] if olds.get("name") != news.get("name") else []
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: dict) -> ReadResult:
        # (a state written before `cli` existed reads with a plain, unbounded ceph)
        cli = props.get("cli") or f'ceph() {{ command ceph --cluster {shlex.quote(props["cluster"])} "$@"; }}'
        out = _checked(props["connection"], caps_script(cli, props["name"]), what="reading caps")
        caps = parse_caps(out)
        if not caps:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "actual_caps": caps})

    def delete(self, _id: str, _props: dict) -> None:
        # a cephx user may still be in use by running services; removing it is the operator's call
        return None


class CephClientResource(Resource):
    key: pulumi.Output[str]
    actual_caps: pulumi.Output[dict]

    def __init__(self, name: str, connection: pulumi.Input[dict], cluster: str, cli: str, client: str,
                 caps: dict[str, str], script: str, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(CephClientProvider(), name, {
            "kind": "ceph-client", "connection": pulumi.Output.secret(connection), "cluster": cluster, "cli": cli,
            "name": client, "caps": caps, "script": script, "key": None, "actual_caps": None,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["connection", "key"])))
