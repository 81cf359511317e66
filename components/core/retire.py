"""What a host leaving the stack takes with it: the secret material the program put there (keyrings, the libvirt
secret holding a cephx key). One resource holds, per host, how to reach it and what to remove; when a host is gone
from the stack's `hosts`, its update removes that from the host over SSH, bounded by the host's connect timeout. A
host that does not answer (powered off, gone) or refuses is reported in `left_behind`, and the rest of the run goes
on: the stack still converges, and the operator reads what to wipe by hand.

A provider module: it imports neither the config nor jinja2 nor pulumi_command (see components/__init__.py)."""
from __future__ import annotations

import shlex
from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from .ssh import RemoteError, checked


def cleanup_script(files: list[str], secret: Optional[str], uri: Optional[str]) -> str:
    lines = [f"for f in {' '.join(shlex.quote(f) for f in files)}; do", '  if [ -e "$f" ]; then rm -f -- "$f"; '
             'echo "removed $f"; fi', "done"] if files else []
    if secret:
        virsh = f"virsh {'-c ' + shlex.quote(uri) + ' ' if uri else ''}"
        lines += [f"if {virsh}secret-dumpxml {shlex.quote(secret)} >/dev/null 2>&1; then",
                  f"  {virsh}secret-undefine {shlex.quote(secret)} >/dev/null && echo 'undefined libvirt secret {secret}'",
                  "fi"]
    return "\n".join(lines) + "\n"


def what(record: dict) -> list[str]:
    return [*record["files"], *([f"libvirt secret {record['secret']}"] if record.get("secret") else [])]


class HostSecretsProvider(ResourceProvider):
    def create(self, props: dict) -> CreateResult:
        return CreateResult("host-secrets", {**props, "left_behind": {}})

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        return DiffResult(changes=olds.get("hosts") != news.get("hosts"), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        left = {}
        for host in sorted(set(olds["hosts"]) - set(news["hosts"])):
            record = olds["hosts"][host]
            try:
                checked(record["connection"], cleanup_script(record["files"], record.get("secret"), record.get("uri")),
                        what=f"removing the secrets of {host}, which left the stack")
            except RemoteError as e:    # unreachable, another host key, or the removal failed: say so, go on
                left[host] = {"left": what(record), "why": str(e)[:400]}
        return UpdateResult({**news, "left_behind": left})

    def delete(self, _id: str, _props: dict) -> None:
        return None      # the stack goes, the hosts keep what they run on (destroy is not a decommission)


class HostSecrets(Resource):
    left_behind: pulumi.Output[dict]

    def __init__(self, name: str, hosts: dict, opts: Optional[pulumi.ResourceOptions] = None):
        """`hosts`: host -> {"connection": its connection (a secret), "files": the secret files the program put
        there, "secret": the libvirt secret's UUID or None, "uri": virsh's libvirt URI or None}."""
        super().__init__(HostSecretsProvider(), name, {"kind": "host-secrets", "hosts": hosts, "left_behind": None},
                         opts)
