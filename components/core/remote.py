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

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
from pulumi_command import local, remote

from .hoststate import RemoteFiles, sha256  # noqa: F401  (sha256 re-exported)
from .scripts import template
from .shell import q  # noqa: F401  (re-exported: the components quote with it)

# A restart is done when the service is back: one that is not after SETTLE seconds fails the step with the end of
# its status or log, so `pulumi up` names the host, the service and why (a rerun after a fix restarts it again).
# A service that runs and whose files the last write did not change is left alone (`changed` is empty).
SETTLE = 3
# The service's name is set once, quoted, as `$service`, and only ever used as "$service": never inside another
# string of the script, where quoting for one context is no quoting for the next.
RESTART = {
    "systemd": """systemctl restart "$service" || true
for i in $(seq {settle}); do sleep 1; systemctl is-failed --quiet "$service" && break; done
if ! systemctl is-active --quiet "$service"; then
  echo "$service did not come back after its restart on $(hostname); its status:" >&2
  systemctl status --no-pager --lines 20 "$service" >&2 || true
  exit 1
fi""",
    "supervisord": """py=$(sed -n '1s/^#! *//p' "$(command -v supervisorctl)")
state=$($py - "$service"{unless} <<'__supervisord_restart__' || true
{supervisord_restart}
__supervisord_restart__
)
if [ "$state" = UNTOUCHED ]; then
  echo "$service runs and its files are unchanged: not restarted"
elif [ "$state" != RUNNING ]; then
  echo "$service did not come back after its restart on $(hostname) ($state); the end of its log:" >&2
  supervisorctl tail "$service" | tail -n 20 >&2 || true
  exit 1
fi""",
}


def restart_script(service: str, manager: str, changed: list[str]) -> str:
    """Restart `service` unless it runs and none of `changed` (the paths its files' writes changed) is there."""
    head = f"service={q(service)}\n"
    if manager == "systemd":
        skip = "" if changed else ('if systemctl is-active --quiet "$service"; then\n'
                                   '  echo "$service runs and its files are unchanged: not restarted"\n  exit 0\nfi\n')
        return head + skip + RESTART[manager].format(settle=SETTLE)
    # supervisord is asked over its XML-RPC, which also tells whether it runs (why: the script's comments, left out)
    return head + RESTART[manager].format(unless="" if changed else " unless-running",
                                          supervisord_restart=template("supervisord_restart.py"))


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


def wrap(script: pulumi.Input[str]) -> pulumi.Input[str]:
    """`script` as the command line of a step: bash (-eu) reads it from fd 3."""
    if isinstance(script, pulumi.Output):
        return script.apply(wrap)
    return f"bash -eu /dev/fd/3 3<<'{EOF_MARK}'\n{script.strip()}\n{EOF_MARK}\n"


def run(name: str, target: Target, script: pulumi.Input[str], *, parent: pulumi.Resource,
        stdin: Optional[pulumi.Input[str]] = None, delete: Optional[str] = None,
        triggers: Optional[Sequence] = None, depends_on: Sequence[pulumi.Resource] = (),
        retain_on_delete: bool = False, rerun_on_update: bool = True, secret: bool = False) -> remote.Command:
    """An idempotent script on `target`. Any input change (a rotated SSH key included) runs it again as its
    `update`, unless `rerun_on_update` is off: then only a trigger's change (a replace) runs it. `secret`: the script
    holds a value of a secret config key, so it and what it prints are secrets in the state."""
    body = pulumi.Output.secret(wrap(script)) if secret else wrap(script)
    hidden = ["create", "stdout", "stderr"] if secret else []
    return remote.Command(
        # no `update`: pulumi-command runs `create` again on an update, without a second copy in the state
        name, connection=target.command, create=body, update=None if rerun_on_update else "true",
        delete=wrap(delete) if delete else None,
        stdin=stdin, triggers=list(triggers) if triggers else None,
        # stdout is the script's own chatter; a step fed a secret logs nothing at all. No previous output in the
        # environment: sshd refuses variables it does not AcceptEnv, and the scripts check state themselves.
        logging=remote.Logging.NONE if stdin is not None or secret else remote.Logging.STDERR,
        add_previous_output_in_env=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*getattr(parent, "after", []), *depends_on],
                                    retain_on_delete=retain_on_delete,
                                    additional_secret_outputs=[*(["stdin"] if stdin is not None else []), *hidden]
                                    or None))


def run_local(name: str, script: str, *, parent: Optional[pulumi.Resource] = None,
              secret: bool = False) -> local.Command:
    """A script on the machine running pulumi, run again when it changes (a secret with `secret`, as `run`)."""
    body = pulumi.Output.secret(script) if secret else script
    return local.Command(name, create=body, update=body, interpreter=["/bin/bash", "-euc"],
                         logging=local.Logging.NONE if secret else local.Logging.STDERR,
                         opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=[
                             "create", "update", "stdout", "stderr"] if secret else None))


def hidden(value, secret: bool):
    """`value` as a Pulumi secret when it derives from a secret config key."""
    return pulumi.Output.secret(value) if secret else value


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
