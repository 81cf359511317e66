"""The one building block for host changes: actions are pulumi-command `remote.Command`s over SSH with the pinned
host key (through the stack's bastion where it has one); host state that must be read back (files, cephx users)
is the dynamic resources of hoststate.py, over the same connection.

Rules every step follows:
- scripts check state before acting, so a rerun converges instead of failing (`ceph ... create` and friends
  do not have reliable exit codes on repeat);
- content and secrets go in on stdin, never on the command line; a step fed a secret logs nothing;
- input changes run the script again as an update (pulumi-command runs `create` when there is no `update`), not a
  replace: a replace runs the new create before the old delete, which would undo what was just written;
- a service restart is its own step, replaced (so re-run) only when the hash of its own config changes.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
from pulumi_command import local, remote

from ..config import StackConfig
from .hoststate import RemoteFiles, sha256  # noqa: F401  (sha256 re-exported)
from .scripts import template

# A restart is done when the service is back: one that is not after SETTLE seconds fails the step with the end of
# its status or log, so `pulumi up` names the host, the service and why (a rerun after a fix restarts it again).
# A service that runs and whose files the last write did not change is left alone (`changed` is empty).
SETTLE = 3
RESTART = {
    "systemd": """systemctl restart {service} || true
for i in $(seq {settle}); do sleep 1; systemctl is-failed --quiet {service} && break; done
if ! systemctl is-active --quiet {service}; then
  echo "{service} did not come back after its restart on $(hostname); its status:" >&2
  systemctl status --no-pager --lines 20 {service} >&2 || true
  exit 1
fi""",
    "supervisord": """py=$(sed -n '1s/^#! *//p' "$(command -v supervisorctl)")
state=$($py - {service}{unless} <<'__supervisord_restart__' || true
{supervisord_restart}
__supervisord_restart__
)
if [ "$state" = UNTOUCHED ]; then
  echo {untouched}
elif [ "$state" != RUNNING ]; then
  echo "{service} did not come back after its restart on $(hostname) ($state); the end of its log:" >&2
  supervisorctl tail {service} | tail -n 20 >&2 || true
  exit 1
fi""",
}


def restart_script(service: str, manager: str, changed: list[str]) -> str:
    """Restart `service` unless it runs and none of `changed` (the paths its files' writes changed) is there."""
    untouched = q(service + " runs and its files are unchanged: not restarted")
    if manager == "systemd":
        skip = "" if changed else (f"if systemctl is-active --quiet {q(service)}; then\n"
                                   f"  echo {untouched}\n  exit 0\nfi\n")
        return skip + RESTART[manager].format(service=q(service), settle=SETTLE)
    # supervisord is asked over its XML-RPC, which also tells whether it runs (why: the script's comments, left out)
    return RESTART[manager].format(service=q(service), unless="" if changed else " unless-running",
                                   untouched=untouched, supervisord_restart=template("supervisord_restart.py"))


# The script is read by bash from fd 3, so stdin stays free for content and secrets, and the script reads in a
# preview exactly as it runs.
EOF_MARK = "__openstack_storage_script__"


@dataclass(frozen=True)
class Target:
    """A host the program changes: its stack name, its connection for the read-back resources (a secret: it holds
    the key) and the same connection for pulumi-command."""
    host: str
    connection: pulumi.Output
    command: remote.ConnectionArgs


def targets(cfg: StackConfig, private_key: pulumi.Input[str],
            proxy_key: Optional[pulumi.Input[str]] = None) -> dict[str, Target]:
    key = pulumi.Output.secret(private_key)
    via = pulumi.Output.secret(proxy_key) if proxy_key is not None else key
    out = {}
    for name, h in cfg.hosts.items():
        ssh = cfg.ssh_for(name)
        bounds = {"timeout": ssh.connect_timeout, "attempts": ssh.connect_attempts}
        conn = {"name": f"host {name}", "host": h.address, "port": ssh.port, "user": ssh.user, "host_key": h.host_key,
                **bounds}
        proxy = ({"host": ssh.proxy.address, "port": ssh.proxy.port, "user": ssh.proxy.user,
                  "host_key": ssh.proxy.host_key} if ssh.proxy else None)
        command = remote.ConnectionArgs(
            host=h.address, port=ssh.port, user=ssh.user, host_key=h.host_key, private_key=key,
            per_dial_timeout=ssh.connect_timeout, dial_error_limit=ssh.connect_attempts,
            proxy=remote.ProxyConnectionArgs(**proxy, private_key=via) if proxy else None)
        both = pulumi.Output.all(key, via).apply(
            lambda keys, c=conn, p=proxy, b=bounds, n=name: {
                **c, "private_key": keys[0],
                **({"proxy": {**p, **b, "name": f"the bastion of {n}", "private_key": keys[1]}} if p else {})})
        out[name] = Target(name, pulumi.Output.secret(both), command)
    return out


def q(value) -> str:
    return shlex.quote(str(value))


def wrap(script: pulumi.Input[str]) -> pulumi.Input[str]:
    """`script` as the command line of a step: bash (-eu) reads it from fd 3."""
    if isinstance(script, pulumi.Output):
        return script.apply(wrap)
    return f"bash -eu /dev/fd/3 3<<'{EOF_MARK}'\n{script.strip()}\n{EOF_MARK}\n"


def run(name: str, target: Target, script: pulumi.Input[str], *, parent: pulumi.Resource,
        stdin: Optional[pulumi.Input[str]] = None, delete: Optional[str] = None,
        triggers: Optional[Sequence] = None, depends_on: Sequence[pulumi.Resource] = (),
        retain_on_delete: bool = False, rerun_on_update: bool = True) -> remote.Command:
    """An idempotent script on `target`. Any input change (a rotated SSH key included) runs it again as its
    `update`, unless `rerun_on_update` is off: then only a trigger's change (a replace) runs it."""
    body = wrap(script)
    return remote.Command(
        # no `update`: pulumi-command runs `create` again on an update, without a second copy in the state
        name, connection=target.command, create=body, update=None if rerun_on_update else "true",
        delete=wrap(delete) if delete else None,
        stdin=stdin, triggers=list(triggers) if triggers else None,
        # stdout is the script's own chatter; a step fed a secret logs nothing at all. No previous output in the
        # environment: sshd refuses variables it does not AcceptEnv, and the scripts check state themselves.
        logging=remote.Logging.NONE if stdin is not None else remote.Logging.STDERR,
        add_previous_output_in_env=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*getattr(parent, "after", []), *depends_on],
                                    retain_on_delete=retain_on_delete,
                                    additional_secret_outputs=["stdin"] if stdin is not None else None))


def run_local(name: str, script: str, *, parent: Optional[pulumi.Resource] = None) -> local.Command:
    """A script on the machine running pulumi, run again when it changes."""
    return local.Command(name, create=script, update=script, interpreter=["/bin/bash", "-euc"],
                         logging=local.Logging.STDERR, opts=pulumi.ResourceOptions(parent=parent))


def write_files(name: str, target: Target, files: Sequence[tuple], *, parent: pulumi.Resource,
                depends_on: Sequence[pulumi.Resource] = (), dirs: Sequence[tuple] = ()) -> RemoteFiles:
    """Files that change together, `(path, content, owner, group, mode)` each, and the directories `(path, owner,
    group, mode)` they go with: written in one SSH session, read back on refresh in one. Secret content (a
    keyring, a private key) stays secret."""
    return RemoteFiles(name, target.connection, list(files), target.host, list(dirs),
                       opts=pulumi.ResourceOptions(parent=parent, depends_on=[*getattr(parent, "after", []), *depends_on]))


def restart(name: str, target: Target, service: str, manager: str, config_hashes: Sequence, *,
            changed: Sequence[pulumi.Output], parent: pulumi.Resource,
            depends_on: Sequence[pulumi.Resource]) -> Optional[remote.Command]:
    """Restart `service` once now and again whenever one of its own config hashes changes, each time only if the
    writes it follows (`changed`: the file resources' `changed` outputs) changed a file, or it is not running."""
    if manager == "none":
        return None
    script = pulumi.Output.all(*changed).apply(
        lambda lists: restart_script(service, manager, sorted({p for paths in lists for p in paths or []})))
    # a changed connection (a rotated key) must not restart every service: only the triggers do
    return run(name, target, script, triggers=list(config_hashes), parent=parent, depends_on=depends_on,
               rerun_on_update=False)
