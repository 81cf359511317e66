"""Every change to a host, as Python dynamic resources over pinned SSH (paramiko).

- RemoteStep: an idempotent script (create/update/delete, stdin, triggers that force a re-run), the same model
  as pulumi-command's remote.Command, whose provider plugin cannot be built here (the Go module proxy does not
  serve github.com/pulumi/pulumi-command/provider);
- RemoteFile and CephClientResource: host state that Pulumi reads back, so `pulumi preview --refresh` shows a
  keyring, config or caps edited by hand and `pulumi up --refresh` puts the desired state back, while a plain
  `pulumi up` stays a no-op;
- LocalStep: a script on the machine running pulumi (image preparation).

Secrets: file content and the connection (private key) are secret inputs; content is read back into state only
as a hash, never as text, so a keyring's key is never stored in the clear (nor in a second place).
"""
from __future__ import annotations

import base64
import hashlib
import io
import shlex
from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult


TIMEOUT = 120


class RemoteError(Exception):
    pass


def _private_key(text: str):
    import paramiko
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise RemoteError("the SSH private key is not an ed25519, ECDSA or RSA key in OpenSSH/PEM form")


def ssh(conn: dict, script: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `script` with bash on the host, refusing any host key but the pinned one. Returns (rc, out, err)."""
    import paramiko
    host, port = conn["host"], int(conn.get("port") or 22)
    keytype, keydata = conn["host_key"].split()[:2]
    client = paramiko.SSHClient()
    client.get_host_keys().add(host if port == 22 else f"[{host}]:{port}", keytype,
                               paramiko.PKey.from_type_string(keytype, base64.b64decode(keydata)))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(host, port=port, username=conn.get("user") or "root", pkey=_private_key(conn["private_key"]),
                       look_for_keys=False, allow_agent=False, timeout=15, banner_timeout=15, auth_timeout=15)
        chan = client.get_transport().open_session(timeout=15)
        chan.settimeout(TIMEOUT)
        chan.exec_command("bash -c " + shlex.quote("set -eu\n" + script))
        if stdin:
            chan.sendall(stdin.encode())
        chan.shutdown_write()
        out, err = chan.makefile("rb").read().decode(), chan.makefile_stderr("rb").read().decode()
        return chan.recv_exit_status(), out, err
    except paramiko.BadHostKeyException as e:
        raise RemoteError(f"{host}:{port} presented a host key other than the pinned one ({e.key.get_name()}); "
                          f"check hosts.*.host_key") from None
    except (paramiko.SSHException, OSError) as e:
        raise RemoteError(f"ssh {conn.get('user') or 'root'}@{host}:{port}: {e}") from None
    finally:
        client.close()


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


# ---- scripts -------------------------------------------------------------------------------------

STEP_FIELDS = ("create", "update", "delete", "stdin")


def _where(conn: Optional[dict]) -> tuple:
    """Which host and login a step runs on; a rotated key alone is not a reason to run it again."""
    conn = conn or {}
    return conn.get("host"), int(conn.get("port") or 22), conn.get("user")


class RemoteStepProvider(ResourceProvider):
    """Runs `create` once, `update` (or `create`) when an input changes, and is replaced (so `create` runs
    again) when a trigger changes. Scripts must check state first: they may run again at any time."""

    def _run(self, props: dict, script: str) -> dict:
        out = _checked(props["connection"], script, props.get("stdin") or "", props.get("description") or "step")
        return {**props, "stdout": out}

    def create(self, props: dict) -> CreateResult:
        return CreateResult(f"{props['connection']['host']}:{props['description']}", self._run(props, props["create"]))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._run(news, news.get("update") or news["create"]))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = [k for k in STEP_FIELDS if olds.get(k) != news.get(k)]
        if _where(olds.get("connection")) != _where(news.get("connection")):
            changed.append("connection")
        replaces = ["triggers"] if (olds.get("triggers") or []) != (news.get("triggers") or []) else []
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def delete(self, _id: str, props: dict) -> None:
        if props.get("delete"):
            _checked(props["connection"], props["delete"], what=f"deleting {props.get('description')}")


class RemoteStep(Resource):
    stdout: pulumi.Output[str]

    def __init__(self, name: str, connection: pulumi.Input[dict], create: str, *, update: Optional[str] = None,
                 delete: Optional[str] = None, stdin: Optional[pulumi.Input[str]] = None,
                 triggers: Optional[list] = None, secret_stdout: bool = False,
                 opts: Optional[pulumi.ResourceOptions] = None):
        secret = ["connection"] + (["stdout"] if secret_stdout else []) + (
            ["stdin"] if isinstance(stdin, pulumi.Output) else [])
        super().__init__(RemoteStepProvider(), name, {
            "kind": "step", "description": name, "connection": pulumi.Output.secret(connection),
            "create": create, "update": update, "delete": delete, "stdin": stdin, "triggers": triggers or [],
            "stdout": None,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret)))


class LocalStepProvider(ResourceProvider):
    """A script on the machine running pulumi, run again when it changes."""

    def _run(self, props: dict) -> dict:
        import subprocess
        r = subprocess.run(["bash", "-c", "set -eu\n" + props["create"]], capture_output=True, text=True,
                           timeout=3600)
        if r.returncode != 0:
            raise RemoteError(f"{props['description']} failed (exit {r.returncode}): {r.stderr.strip()[-800:]}")
        return {**props, "stdout": r.stdout}

    def create(self, props: dict) -> CreateResult:
        return CreateResult(props["description"], self._run(props))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._run(news))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        return DiffResult(changes=olds.get("create") != news.get("create"), replaces=[], delete_before_replace=False)


class LocalStep(Resource):
    stdout: pulumi.Output[str]

    def __init__(self, name: str, create: str, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(LocalStepProvider(), name, {"kind": "local", "description": name, "create": create,
                                                     "stdout": None}, opts)


# ---- files --------------------------------------------------------------------------------------

FILE_FIELDS = ("path", "owner", "group", "mode", "sha256")
READ_SCRIPT = ('f={path}\nif [ -f "$f" ]; then stat -c "%U %G %a" "$f"; sha256sum "$f" | cut -d" " -f1; '
               'else echo MISSING; fi')


class RemoteFileProvider(ResourceProvider):
    """A file with content, owner, group and mode. State holds the content's hash, read back on refresh."""

    def _write(self, props: dict) -> dict:
        _checked(props["connection"], write_file_script(props["path"], props["owner"], props["group"], props["mode"]),
                 props["content"], f"writing {props['path']}")
        return {**props, "sha256": sha256(props["content"])}

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

    def __init__(self, name: str, connection: pulumi.Input[dict], path: str, content: pulumi.Input[str], owner: str,
                 group: str, mode: str, opts: Optional[pulumi.ResourceOptions] = None):
        secret = isinstance(content, pulumi.Output)
        super().__init__(RemoteFileProvider(), name, {
            "kind": "file", "connection": pulumi.Output.secret(connection), "path": path, "content": content, "owner": owner,
            "group": group, "mode": mode, "sha256": None,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["connection", "content"] if secret else ["connection"])))


# ---- cephx clients --------------------------------------------------------------------------------

def caps_script(cluster: str, client: str) -> str:
    return (f'ceph --cluster {shlex.quote(cluster)} auth get {shlex.quote("client." + client)} 2>/dev/null '
            "| sed -n 's/^[[:space:]]*caps \\([a-z]*\\) = \"\\(.*\\)\"$/\\1=\\2/p' || true")


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
        out = _checked(props["connection"], caps_script(props["cluster"], props["name"]), what="reading caps")
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

    def __init__(self, name: str, connection: pulumi.Input[dict], cluster: str, client: str, caps: dict[str, str],
                 script: str, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(CephClientProvider(), name, {
            "kind": "ceph-client", "connection": pulumi.Output.secret(connection), "cluster": cluster, "name": client, "caps": caps,
            "script": script, "key": None, "actual_caps": None,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["connection", "key"])))
