"""Host state that Pulumi reads back, as Python dynamic resources over pinned SSH (paramiko): pulumi-command's
remote.Command has no read, so these are the ones that are not commands (actions are: see remote.py).

- RemoteFiles: files of one host that change together: each one's content hash, owner, group and mode;
- CephClientResource: a cephx user and its caps;

so `pulumi preview --refresh` shows a keyring, config or caps edited by hand and `pulumi up --refresh` puts the
desired state back, while a plain `pulumi up` stays a no-op. A connection may go through a bastion (`proxy`).

Secrets: file content and the connection (private key) are secret inputs. The content of a secret file (a keyring,
a private key) is read back into state only as a hash, never as text, so its key is never stored in the clear (nor
in a second place). A file that is not secret and was edited by hand is read back as text too (RemoteFilesProvider's
read), so that the preview shows the host's text against the wanted one.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import shlex
from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from . import runtime  # noqa: F401  (the processes' exit and signals: see there)
from .scripts import prelude
from .ssh import checked


def write_files_script(files: list[tuple[str, str, str, str, int]],
                       dirs: list[tuple[str, str, str, str]] = ()) -> str:
    """Make the directories (path, owner, group, mode) and install the files (path, owner, group, mode, length)
    from stdin, where their contents follow each other, each atomically (the prelude's `put`)."""
    lines = [prelude(*(["dir"] if dirs else []), "put")]
    for path, owner, group, mode in dirs:
        lines.append(" ".join(shlex.quote(str(a)) for a in ("dir", path, owner, group, mode)))
    for path, owner, group, mode, length in files:
        # stat's %a is the mode without its leading zero
        lines.append(" ".join(shlex.quote(str(a)) for a in ("put", path, owner, group, mode, length, f"{int(mode, 8):o}")))
    return "\n".join(lines) + "\n"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---- files --------------------------------------------------------------------------------------

ATTRS = ("owner", "group", "mode")


def read_files_script(paths: list[str], dirs: list[str] = ()) -> str:
    """Per file one line, `owner group mode sha256  -` or MISSING; then per directory `owner group mode` or MISSING."""
    # one stat and one sha256sum for all the files, not one of each per file: a compute's ten certificates and keys
    # read in 7 ms instead of 23. One line per file from both: sha256sum escapes a name with a newline or backslash
    # and marks its line with a leading backslash. Nothing newer than bash 4.0 and the coreutils of old hosts
    # (no `mapfile -d`, no `sha256sum -z`): the stack's old releases run on them.
    return "\n".join([
        f"set -- {' '.join(shlex.quote(p) for p in paths)}",
        'have=() st=() sums=() i=0',
        'for f; do if [ -f "$f" ]; then have+=("$f"); fi; done',
        'if [ ${#have[@]} -gt 0 ]; then',
        "  mapfile -t st < <(stat --printf '%U %G %a\\n' -- \"${have[@]}\")",
        '  mapfile -t sums < <(sha256sum -- "${have[@]}")',
        'fi',
        'for f; do',
        '  if [ -f "$f" ]; then s=${sums[$i]#\\\\}; echo "${st[$i]} ${s%% *}  -"; i=$((i + 1)); else echo MISSING; fi',
        'done',
        *(f'd={shlex.quote(d)}\nif [ -d "$d" ]; then stat -c "%U %G %a" "$d"; else echo MISSING; fi'
          for d in dirs)]) + "\n"


TEXT_LIMIT = 64 * 1024
"""The largest file (bytes) whose text a refresh reads back when it drifted; a larger one is reported by its size."""


def read_texts_script(paths: list[str], limit: int = TEXT_LIMIT) -> str:
    """Per file one line: `TEXT <its content in base64>`, `BIG <size>` when larger than `limit` bytes, or MISSING
    (UNREADABLE when base64 cannot read it). base64 keeps the output ASCII whatever the file holds: ssh() decodes
    what a script prints as UTF-8, and a file edited by hand need not be."""
    return "\n".join([
        f"set -- {' '.join(shlex.quote(p) for p in paths)}",
        'for f; do',
        '  n=$(stat -c %s -- "$f" 2>/dev/null) && [ -f "$f" ] || { echo MISSING; continue; }',
        f'  if [ "$n" -gt {limit} ]; then echo "BIG $n"; continue; fi',
        '  t=$(base64 -w0 -- "$f" 2>/dev/null) || { echo UNREADABLE; continue; }',
        '  echo "TEXT $t"',
        'done']) + "\n"


def parse_texts(out: str, paths: list[str], limit: int = TEXT_LIMIT) -> dict[str, tuple[bool, str]]:
    """read_texts_script's output -> path -> (True, the host's text) or (False, why there is no text)."""
    lines = out.splitlines()
    if len(lines) != len(paths):
        raise ValueError(f"reading {', '.join(paths)} back printed {len(lines)} lines for {len(paths)} files")
    texts = {}
    for path, line in zip(paths, lines):
        word, _, rest = line.partition(" ")
        if word == "TEXT":
            # a byte that is not UTF-8 shows as its escape (\xNN) rather than failing the read
            texts[path] = (True, base64.b64decode(rest).decode("utf-8", "backslashreplace"))
        elif word == "BIG":
            texts[path] = (False, f"(not shown: the host's file is {rest} bytes, over the {limit} a refresh reads)")
        elif word == "MISSING":
            texts[path] = (False, "missing")
        else:
            texts[path] = (False, "(not shown: the host's file could not be read)")
    return texts


def write_script(props: dict) -> str:
    """What a write of RemoteFiles `props` runs; the contents follow on stdin in the order of their paths."""
    specs = [(p, *(a[k] for k in ATTRS), len(props["contents"][p].encode())) for p, a in sorted(props["files"].items())]
    dirs = [(d, *(a[k] for k in ATTRS)) for d, a in sorted((props.get("dirs") or {}).items())]
    return write_files_script(specs, dirs)


def read_script(props: dict) -> str:
    """What a read of RemoteFiles `props` runs."""
    return read_files_script(sorted(props["files"]), sorted(props.get("dirs") or {}))


def _attrs(owner: str, group: str, mode: str) -> dict:
    return {"owner": owner, "group": group, "mode": f"0{mode}" if len(mode) == 3 else mode}


class RemoteFilesProvider(ResourceProvider):
    """Files on one host that change together (a service's configs, a compute's certificates), each with content,
    owner, group and mode: written in one SSH session, read back in one. State holds each content's hash."""

    def _write(self, props: dict) -> dict:
        paths = sorted(props["files"])
        contents = [props["contents"][p] for p in paths]
        out = checked(props["connection"], write_script(props), "".join(contents), f"writing {', '.join(paths)}")
        # `written` changes with every write, a restored drift included: the restarts of the services that read the
        # files are triggered by it, and `changed` (what the write really changed on the host) tells them whether to
        # restart: a new stack on hosts that already have these files restarts nothing
        changed = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(("changed ", "dir "))]
        # the contents stay in the inputs only: every step rewrites the whole state file, so a second copy of every
        # config in the outputs made each of those writes slower (the hashes are what a diff and a read compare)
        # `secret` (the secret files' paths) recorded either way: a read takes a state without it, written before
        # reads knew, for all secret
        return {**{k: v for k, v in props.items() if k != "contents"}, "written": secrets.token_hex(8),
                "sha256": {p: sha256(c) for p, c in zip(paths, contents)}, "changed": changed,
                "secret": props.get("secret") or []}

    def create(self, props: dict) -> CreateResult:
        return CreateResult(f"{props['connection']['host']}:{min(props['files'])}", self._write(props))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._write(news))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        # in a preview, content built from another resource's pending output (a key) is not known yet
        contents = news.get("contents")
        known = isinstance(contents, dict) and all(isinstance(c, str) for c in contents.values())
        wanted = {p: sha256(c) for p, c in contents.items()} if known else None
        changed = [k for k, same in (("files", olds.get("files") == news.get("files")),
                                     ("dirs", (olds.get("dirs") or {}) == (news.get("dirs") or {})),
                                     ("contents", olds.get("sha256") == wanted)) if not same]
        replaces = []
        if olds.get("connection", {}).get("host") != news["connection"]["host"]:
            replaces.append("connection")
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: dict) -> ReadResult:
        paths, dirs = sorted(props["files"]), sorted(props.get("dirs") or {})
        lines = checked(props["connection"], read_script(props), what="reading files").splitlines()
        if len(lines) != len(paths) + len(dirs) or all(line == "MISSING" for line in lines[:len(paths)]):
            return ReadResult(None, {})      # gone: the next `pulumi up` creates them again
        files, hashes = {}, {}
        for path, line in zip(paths, lines):
            if line == "MISSING":           # one of them deleted by hand: a drift, rewritten by `up --refresh`
                files[path], hashes[path] = props["files"][path], "missing"
                continue
            owner, group, mode, digest = line.split()[:4]
            files[path], hashes[path] = _attrs(owner, group, mode), digest
        # a directory is the program's to make, not to own: one that is there is as wanted, whoever owns it
        found = {d: props["dirs"][d] if line != "MISSING" else {"owner": "missing"}
                 for d, line in zip(dirs, lines[len(paths):])}
        outs = {**props, "files": files, "sha256": hashes, **({"dirs": found} if dirs else {})}
        if not isinstance(props.get("secret"), list):
            # a state whose last write did not say which files are secret (written before reads knew): as a secret
            # file's, no content is read back, a drift shows as a different sha256, `up --refresh` rewrites the file
            return ReadResult(id_, outs)
        return self._drift(id_, props, outs)

    def _drift(self, id_: str, props: dict, outs: dict) -> ReadResult:
        """A file that is not as the last write left it. One that is not secret has its text read, in one more
        session (only then): into the outputs (`drift`: path -> the host's text, what the refresh step shows) and,
        when none of the files is secret, into the inputs the update step compares with the wanted ones, so the
        preview shows the host's text against the wanted text line by line. A secret one (a keyring, a private key)
        never: its drift is its sha256. `wrote` keeps that write's hashes of the files that differ (`sha256` now
        holds the host's), so that a `pulumi refresh` in between hides no drift from the next one."""
        paths, hashes, hidden = sorted(props["files"]), outs["sha256"], set(props["secret"])
        wrote = {**(props.get("sha256") or {}), **(props.get("wrote") or {})}
        for key in ("drift", "wrote"):
            outs.pop(key, None)
        if all(hashes[p] == wrote.get(p) for p in paths):
            return ReadResult(id_, outs)      # as written: the one session of a refresh of an unchanged host
        outs["wrote"] = {p: wrote.get(p) for p in paths if hashes[p] != wrote.get(p)}
        drifted = [p for p in paths if hashes[p] not in ("missing", wrote.get(p)) and p not in hidden]
        if not drifted:
            return ReadResult(id_, outs)      # a file deleted (it stays "missing") or a secret one: no text
        # with no secret file, all the files still there, drifted or not: the inputs need every text (an unchanged
        # file's is the wanted one)
        read = [p for p in paths if hashes[p] != "missing"] if not hidden else drifted
        texts = parse_texts(checked(props["connection"], read_texts_script(read), what="reading drifted files"), read)
        outs["drift"] = {p: texts[p][1] for p in drifted}
        if hidden or not all(texts[p][0] for p in read):
            return ReadResult(id_, outs)      # a secret file, or one too large to show: the inputs stay the wanted
        inputs = {"kind": props.get("kind", "file"), "connection": props["connection"], "files": outs["files"],
                  "contents": {p: texts[p][1] if p in texts else "" for p in paths},
                  **({"dirs": props["dirs"]} if props.get("dirs") else {})}
        return ReadResult(id_, outs, inputs)

    def delete(self, _id: str, _props: dict) -> None:
        # a service's config or keyring is left in place when the stack lets go of it: removing it would break
        # the service, and data-bearing files are the operator's to delete
        return None


class RemoteFiles(Resource):
    sha256: pulumi.Output[dict]
    written: pulumi.Output[str]
    changed: pulumi.Output[list]

    def __init__(self, name: str, connection: pulumi.Input[dict], files: list[tuple], host: str,
                 dirs: list[tuple] = (), opts: Optional[pulumi.ResourceOptions] = None):
        """`files`: (path, content, owner, group, mode); a content that is an Output (a key) keeps all of them
        secret, and its text is never read back. `dirs`: (path, owner, group, mode), directories made (before the
        files) and read back too."""
        hidden = sorted(p for p, c, *_ in files if isinstance(c, pulumi.Output))
        secret = bool(hidden)
        super().__init__(RemoteFilesProvider(), name, {
            "kind": "file", "connection": pulumi.Output.secret(connection),
            "files": {p: dict(zip(ATTRS, attrs)) for p, _, *attrs in files},
            "contents": {p: c for p, c, *_ in files}, "sha256": None, "written": None, "changed": None,
            **({"dirs": {d: dict(zip(ATTRS, attrs)) for d, *attrs in dirs}} if dirs else {}),
            # the files whose text a read never reads; on resources with one only: the others' inputs stay as they
            # were (with it on every resource, each one's inputs would change on the upgrade)
            **({"secret": hidden} if hidden else {}),
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["connection", "contents"] if secret else ["connection"])))
        self.host, self.paths = host, sorted(p for p, *_ in files)


class RemoteFileProvider(ResourceProvider):
    """The one-file provider of stacks made before files were grouped. The engine loads a resource's provider
    from its state to refresh or delete it, so such a stack needs this class to refresh its old file resources
    and to let go of them on its first `pulumi up` with RemoteFiles (which updates the rest in place)."""

    def read(self, id_: str, props: dict) -> ReadResult:
        line = checked(props["connection"], read_files_script([props["path"]]), what="reading a file").strip()
        if line == "MISSING":
            return ReadResult(None, {})
        owner, group, mode, digest = line.split()[:4]
        return ReadResult(id_, {**props, **_attrs(owner, group, mode), "sha256": digest})

    def delete(self, _id: str, _props: dict) -> None:
        return None      # as RemoteFilesProvider: the file stays


# ---- cephx clients --------------------------------------------------------------------------------

def caps_script(cli: str, client: str) -> str:
    """The user's caps as `kind=caps` lines; nothing when the user does not exist (ENOENT, exit 2). A cluster that
    does not answer fails the read (the bounded `mon` of `cli` names its monitors) instead of looking like a
    deleted user."""
    return f"""{cli}
{prelude("caps_lines")}
rc=0
out=$(mon "auth get" entity={shlex.quote("client." + client)}) || rc=$?
[ "$rc" -eq 2 ] && exit 0
[ "$rc" -eq 0 ] || exit "$rc"
printf '%s\\n' "$out" | caps_lines
"""


def parse_caps(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class CephClientProvider(ResourceProvider):
    """A cephx user whose caps are read back from the cluster: a hand-made change shows up on refresh."""

    def _ensure(self, props: dict) -> dict:
        key = checked(props["connection"], props["script"], what=f"ensuring client.{props['name']}").strip()
        return {**props, "key": key, "actual_caps": props["caps"]}

    def create(self, props: dict) -> CreateResult:
        return CreateResult(f"client.{props['name']}", self._ensure(props))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        if news.get("generation", 0) > olds.get("generation", 0):
            checked(news["connection"], news["rotate"], what=f"rotating the key of client.{news['name']}")
        return UpdateResult(self._ensure(news))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = [k for k in ("caps", "script") if olds.get(k) != news.get(k)]
        if olds.get("generation", 0) != news.get("generation", 0):
            changed.append("generation")
        if olds.get("actual_caps") != news.get("caps"):
            changed.append("actual_caps")
        replaces = ["name"] if olds.get("name") != news.get("name") else []
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: dict) -> ReadResult:
        # (a state written before `cli` existed reads with a plain, unbounded ceph; one before its `mon`, through ceph)
        cli = props.get("cli") or f'ceph() {{ command ceph --cluster {shlex.quote(props["cluster"])} "$@"; }}'
        if "mon()" not in cli:
            cli += '\nmon() { local a=("${@:2}"); ceph $1 "${a[@]#*=}"; }'
        out = checked(props["connection"], caps_script(cli, props["name"]), what="reading caps")
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
                 caps: dict[str, str], script: str, generation: int = 0, rotate: Optional[str] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        # `generation` and `rotate` only once a key was rotated: the inputs of every other user stay as they were
        extra = {"generation": generation, "rotate": rotate} if generation else {}
        super().__init__(CephClientProvider(), name, {
            "kind": "ceph-client", "connection": pulumi.Output.secret(connection), "cluster": cluster, "cli": cli,
            "name": client, "caps": caps, "script": script, "key": None, "actual_caps": None, **extra,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["connection", "key"])))
