"""The one building block for host changes: idempotent steps and files over pinned SSH (see hoststate.py).

Rules every step follows:
- scripts check state before acting, so a rerun converges instead of failing (`ceph ... create` and friends
  do not have reliable exit codes on repeat);
- content goes in on stdin, never on the command line; a step whose stdout holds a secret has that output
  marked secret, and nothing logs it;
- input changes run `update` (the same script), not a replace: a replace runs the new create before the old
  delete, which would undo what was just written;
- a service restart is its own step, replaced (so re-run) only when the hash of its own config changes.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from .config import StackConfig
from .hoststate import RemoteFile, RemoteStep, sha256  # noqa: F401  (sha256 re-exported)

RESTART = {
    "systemd": "systemctl restart {service}",
    "supervisord": "supervisorctl restart {service}",
}


@dataclass(frozen=True)
class Target:
    """A host the program changes: its stack name and its SSH connection (a secret: it holds the key)."""
    host: str
    connection: pulumi.Output


def targets(cfg: StackConfig, private_key: pulumi.Input[str]) -> dict[str, Target]:
    out = {}
    for name, h in cfg.hosts.items():
        ssh = cfg.ssh_for(name)
        conn = {"host": h.address, "port": ssh.port, "user": ssh.user, "host_key": h.host_key}
        out[name] = Target(name, pulumi.Output.secret(
            pulumi.Output.from_input(private_key).apply(lambda key, c=conn: {**c, "private_key": key})))
    return out


def q(value) -> str:
    return shlex.quote(str(value))


def run(name: str, target: Target, script: str, *, parent: pulumi.Resource,
        stdin: Optional[pulumi.Input[str]] = None, secret_stdout: bool = False,
        delete: Optional[str] = None, triggers: Optional[Sequence] = None,
        depends_on: Sequence[pulumi.Resource] = (), retain_on_delete: bool = False) -> RemoteStep:
    """An idempotent script on `target`. `secret_stdout`: the script prints a secret (and only it)."""
    body = script.strip() + "\n"
    return RemoteStep(
        name, target.connection, body, update=body, delete=delete.strip() + "\n" if delete else None, stdin=stdin,
        triggers=list(triggers) if triggers else None, secret_stdout=secret_stdout,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*getattr(parent, "after", []), *depends_on],
                                    retain_on_delete=retain_on_delete))


def write_file(name: str, target: Target, path: str, content: pulumi.Input[str], *, owner: str, group: str,
               mode: str, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()) -> RemoteFile:
    """A file with owner, group and mode, read back on refresh. Secret content (a keyring) stays secret."""
    f = RemoteFile(name, target.connection, path, content, owner, group, mode,
                   opts=pulumi.ResourceOptions(parent=parent, depends_on=[*getattr(parent, "after", []), *depends_on]))
    f.host, f.path = target.host, path
    return f


def restart(name: str, target: Target, service: str, manager: str, config_hashes: Sequence[str], *,
            parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]) -> Optional[RemoteStep]:
    """Restart `service` once now and again whenever one of its own config hashes changes."""
    if manager == "none":
        return None
    return run(name, target, RESTART[manager].format(service=q(service)), triggers=list(config_hashes),
               parent=parent, depends_on=depends_on)
