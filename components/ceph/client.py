"""A cephx client with `profile rbd` caps per pool; caps are reconciled when they differ, not only created."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from .. import config
from ..core.base import Component
from ..core.hoststate import CephClientResource
from ..core.remote import Target, q
from ..core.scripts import prelude


@dataclass
class CephClientArgs:
    target: Target
    """The Ceph admin host."""
    cluster: str
    """Cluster name."""
    cli: str
    """The cluster's bounded `ceph` (config.Ceph.cli)."""
    client: config.CephClient
    """The client's typed settings (name, per-pool caps)."""


def ensure_script(cli: str, c: config.CephClient) -> str:
    caps = c.cap_strings()
    cap_args = " ".join(f"{k} {q(v)}" for k, v in caps.items())
    want = "\n".join(f"{k}={v}" for k, v in sorted(caps.items()))
    # Only the key reaches stdout (it becomes a secret output); everything else goes to stderr or nowhere. One read
    # when the user is as wanted (through librados: `mon` of config.Ceph.cli), and the key comes with the caps.
    return f"""
{cli}
{prelude("caps_lines")}
c={q("client." + c.name)}
rc=0
out=$(mon "auth get" entity="$c") || rc=$?
if [ "$rc" -eq 0 ]; then
  if [ "$(printf '%s\\n' "$out" | caps_lines)" != {q(want)} ]; then
    ceph auth caps "$c" {cap_args} >/dev/null
    echo "reconciled caps of $c" >&2
  fi
elif [ "$rc" -eq 2 ]; then     # ENOENT; any other failure (monitors, librados) is no reason to make a user
  out=$(ceph auth get-or-create "$c" {cap_args})
  echo "created $c" >&2
else
  exit "$rc"
fi
printf '%s\\n' "$out" | sed -n 's/^[[:space:]]*key = //p'
"""


def rotate_script(cli: str, name: str) -> str:
    """A new key for the user, same caps: `ceph auth import` replaces the key in place (Pacific has no `auth
    rotate`), so the user never disappears; the old key is refused from then on. The key goes through bash's
    variables and a pipe only, never a command line."""
    return f"""
{cli}
c={q("client." + name)}
ring=$(ceph auth get "$c")
new=$(ceph-authtool --gen-print-key)
out=
while IFS= read -r line; do
  case "$line" in *"key = "*) line="${{line%%key = *}}key = $new" ;; esac
  out+="$line"$'\\n'
done <<< "$ring"
printf '%s' "$out" | ceph auth import -i - 2>/dev/null
echo "rotated the key of $c" >&2
"""


class CephClient(Component):
    """`key` is the client's cephx key, a Pulumi secret; nothing logs it. Its caps are read back from the
    cluster on refresh, so caps changed by hand show up as drift and are reconciled."""
    TYPE = "openstack-storage:ceph:Client"

    def __init__(self, name: str, args: CephClientArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        c = args.client
        self.command = CephClientResource(
            f"{name}-ensure", args.target.connection, args.cluster, args.cli, c.name, c.cap_strings(),
            ensure_script(args.cli, c), generation=c.key_generation,
            rotate=rotate_script(args.cli, c.name) if c.key_generation else None, opts=self.child())
        self.key: pulumi.Output[str] = pulumi.Output.secret(self.command.key.apply(lambda s: (s or "").strip()))
        self.register_outputs({"key": self.key})
