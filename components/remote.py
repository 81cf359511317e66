"""The one building block for host changes: a `pulumi_command.remote.Command` over pinned SSH.

Rules every step follows:
- scripts check state before acting, so a rerun converges instead of failing (`ceph ... create` and friends
  do not have reliable exit codes on repeat);
- content goes in on stdin, never on the command line; a step whose stdout holds a secret has logging off and
  its stdout marked secret;
- input changes run `update` (the same script), not a replace: a replace runs the new create before the old
  delete, which would undo what was just written;
- a service restart is its own step, replaced (so re-run) only when the hash of its own config changes.
"""
from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
from pulumi_command import remote

from .config import StackConfig

RESTART = {
    "systemd": "systemctl restart {service}",
    "supervisord": "supervisorctl restart {service}",
}


@dataclass(frozen=True)
class Target:
    """A host the program changes: its stack name and its SSH connection (a Pulumi secret)."""
    host: str
    connection: remote.ConnectionArgs


def targets(cfg: StackConfig, private_key: pulumi.Output) -> dict[str, Target]:
    out = {}
    for name, h in cfg.hosts.items():
        ssh = cfg.ssh_for(name)
        out[name] = Target(name, remote.ConnectionArgs(
            host=h.address, port=ssh.port, user=ssh.user, private_key=private_key, host_key=h.host_key,
            dial_error_limit=3, per_dial_timeout=15))
    return out


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def q(value) -> str:
    return shlex.quote(str(value))


def run(name: str, target: Target, script: str, *, parent: pulumi.Resource,
        stdin: Optional[pulumi.Input[str]] = None, secret_stdout: bool = False,
        delete: Optional[str] = None, triggers: Optional[Sequence] = None,
        depends_on: Sequence[pulumi.Resource] = (), retain_on_delete: bool = False) -> remote.Command:
    """An idempotent script on `target`. `secret_stdout`: the script prints a secret (and only it)."""
    body = "set -eu\n" + script.strip() + "\n"
    return remote.Command(
        name,
        connection=target.connection,
        create=body,
        update=body,
        delete=delete,
        stdin=stdin,
        triggers=list(triggers) if triggers else None,
        logging=remote.Logging.NONE if secret_stdout else remote.Logging.STDOUT_AND_STDERR,
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[*getattr(parent, "after", []), *depends_on],
            retain_on_delete=retain_on_delete,
            additional_secret_outputs=["stdout"] if secret_stdout else None,
        ),
    )


def write_file_script(path: str, owner: str, group: str, mode: str) -> str:
    """Install stdin as `path` atomically; the temp file is 0600 until it has its owner and mode."""
    want = f"{owner}:{group}:{int(mode, 8):o}"
    return f"""
f={q(path)}
d=$(dirname "$f")
[ -d "$d" ] || mkdir -p "$d"
tmp=$(mktemp "$d/.openstack-storage.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown {q(owner)}:{q(group)} "$tmp"
chmod {q(mode)} "$tmp"
if [ -f "$f" ] && cmp -s "$tmp" "$f" && [ "$(stat -c %U:%G:%a "$f")" = {q(want)} ]; then
  echo "unchanged $f"
else
  mv -f "$tmp" "$f"
  echo "changed $f"
fi
"""


def write_file(name: str, target: Target, path: str, content: pulumi.Input[str], *, owner: str, group: str,
               mode: str, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()) -> remote.Command:
    """A file with owner, group and mode. Secret content (a keyring) stays a secret in state."""
    return run(name, target, write_file_script(path, owner, group, mode), stdin=content,
               parent=parent, depends_on=depends_on)


def restart(name: str, target: Target, service: str, manager: str, config_hashes: Sequence[str], *,
            parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]) -> Optional[remote.Command]:
    """Restart `service` once now and again whenever one of its own config hashes changes."""
    if manager == "none":
        return None
    return run(name, target, RESTART[manager].format(service=q(service)), triggers=list(config_hashes),
               parent=parent, depends_on=depends_on)
