"""Shared /var/lib/nova/instances for live migration: nova and libvirt-qemu must have the same uid and gid on
every compute that shares it (checked, or aligned when the stack asks), then each compute gets the fstab entry
and the mount (idempotent), and the NFSv4 idmapd domain."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi

from ..config import InstancesShare
from ..core.base import Component
from ..core.remote import Target, q, run, write_files
from ..plan.fileformats import expect_fields
from ..plan.render import FileSpec
from ..plan.storage import IDMAPD_CONF

USERS = ("nova", "libvirt-qemu")


def read_ids_script() -> str:
    return "\n".join(f'printf "%s %s:%s\\n" {u} "$(id -u {u})" "$(id -g {u})"' for u in USERS)


def align_script(user: str, uid: int, gid: int) -> str:
    """usermod/groupmod to the agreed ids and re-own what the old ids owned (as the seed runbook does by hand)."""
    return f"""
u={q(user)}; g=$(id -gn "$u")
old_uid=$(id -u "$u"); old_gid=$(id -g "$u")
if [ "$old_gid" != {gid} ]; then
  groupmod -g {gid} "$g"
  find / -xdev -gid "$old_gid" -exec chgrp -h {gid} {{}} + 2>/dev/null || true
  echo "$g gid $old_gid -> {gid}"
fi
if [ "$old_uid" != {uid} ]; then
  usermod -u {uid} "$u"
  find / -xdev -uid "$old_uid" -exec chown -h {uid} {{}} + 2>/dev/null || true
  echo "$u uid $old_uid -> {uid}"
fi
"""


def compare_ids(outputs: dict[str, str], expect: Optional[dict[str, tuple[str, str]]] = None) -> str:
    """host -> `id` lines; raises with the hosts that differ, or when a user's agreed `uid:gid` is not what `expect`
    (user -> (uid:gid, the stack key that says so)) wants; else returns the agreed ids."""
    seen: dict[str, dict[str, str]] = {}
    for host, text in sorted(outputs.items()):
        for line in (text or "").splitlines():
            user, ids = line.split()
            seen.setdefault(user, {})[host] = ids
    problems = []
    for user, by_host in sorted(seen.items()):
        if len(set(by_host.values())) > 1:
            listed = ", ".join(f"{h} {ids}" for h, ids in sorted(by_host.items()))
            problems.append(f"{user} uid:gid differs across computes sharing the instances path: {listed}")
    if problems:
        raise pulumi.RunError("; ".join(problems) + ". Align them, or set instances_share.align_ids and rerun.")
    for user, (want, key) in sorted((expect or {}).items()):
        got = next(iter(seen.get(user, {}).values()), None)
        if got is not None and got != want:     # (None: nothing read, as under mocks)
            raise pulumi.RunError(f"{user} is {got} on the computes, but {key} is {want}: the share's files would not be "
                                  f"{user}'s. Set {key} to {got} (or align {user} with instances_share.align_ids).")
    return " ".join(f"{u}={next(iter(h.values()))}" for u, h in sorted(seen.items()))


@dataclass
class IdAgreementArgs:
    targets: dict[str, Target]
    """The computes sharing the instances path."""
    align: dict
    expect: dict = field(default_factory=dict)
    """user -> (uid:gid, stack key): ids the share gives that user's files (an all_squash export's anonymous ids, a
    gluster volume's owner), which the computes' ids must be."""


class IdAgreement(Component):
    """`gate`: one resource that holds the common ids, registered only once every compute's agree (the update fails
    before it, so before any mount, when they differ); `ids`: each compute's own, for its mount's trigger."""
    TYPE = "openstack-storage:storage:IdAgreement"
    FORMER_TYPES = ("openstack-storage:nova:IdAgreement",)

    def __init__(self, name: str, args: IdAgreementArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        self.aligned = {}
        if args.align:
            script = "\n".join(align_script(u, ids.uid, ids.gid) for u, ids in sorted(args.align.items()))
            self.aligned = {h: run(f"{name}-align-{h}", t, script, parent=self)
                            for h, t in sorted(args.targets.items())}
        # a compute's read waits for its own alignment only: the gate below waits for them all
        self.reads = {h: run(f"{name}-read-{h}", t, read_ids_script(), parent=self,
                             depends_on=[self.aligned[h]] if h in self.aligned else [])
                      for h, t in sorted(args.targets.items())}
        hosts = sorted(self.reads)
        agreed = pulumi.Output.all(*[self.reads[h].stdout for h in hosts]).apply(
            lambda outs: compare_ids(dict(zip(hosts, outs)), args.expect))
        # The comparison of all N reads is one resource, which every mount waits for by depends_on: an Output of all
        # N reads handed to each of N mounts had the SDK expand and await N dependencies per mount, O(N²) in the
        # program's evaluation (bench/README.md). A Stash: the engine keeps it in the state, no provider runs.
        self.gate = pulumi.Stash(f"{name}-agreed", input=agreed, opts=pulumi.ResourceOptions(parent=self))
        # a compute's ids as the agreed ones read (the mount's trigger is the text it was before the gate)
        self.ids = {h: r.stdout.apply(lambda out, h=h: compare_ids({h: out})) for h, r in self.reads.items()}
        self.register_outputs({"agreed": agreed})


@dataclass
class InstancesMountArgs:
    target: Target
    share: InstancesShare
    source: str
    """`server:/path` (NFS) or `server:/volume` (GlusterFS)."""
    fstype: str
    ids: pulumi.Input[str]
    """IdAgreement.ids[host]: the compute's ids; a change mounts again."""
    agreement: pulumi.Resource
    """IdAgreement.gate: the mount waits for, and fails with, the uid/gid check."""
    files: dict[str, FileSpec]
    """The compute's rendered files (Plan.files): idmapd.conf with an idmap domain."""
    store: list = field(default_factory=list)
    """What serves `source` (the NFS server, the gluster volume): the mount waits for it, idmapd.conf does not."""


REMOUNT = """cur=$(findmnt -no SOURCE --mountpoint "$dir" || true)
if [ -n "$cur" ] && [ "$cur" != "$src" ]; then umount "$dir"; echo "unmounted $cur from $dir"; fi
mountpoint -q "$dir" || { mount "$dir"; echo "mounted $dir"; }"""


def mount_script(a: InstancesMountArgs) -> str:
    s = a.share
    line = expect_fields(f"{a.source} {s.instances_path} {a.fstype} {s.mount_options} 0 0", 6, "the fstab line")
    # a share that moved (another export or volume) is unmounted first; umount refuses while guests run there
    mount = (REMOUNT if s.mount_now else 'echo "fstab only (mount_now: false)"')
    return f"""
dir={q(s.instances_path)}
src={q(a.source)}
line={q(line)}
[ -d "$dir" ] || mkdir -p "$dir"
if ! grep -qxF -- "$line" /etc/fstab; then
  tmp=$(mktemp)
  awk -v d="$dir" '$2 != d' /etc/fstab > "$tmp"
  echo "$line" >> "$tmp"
  cat "$tmp" > /etc/fstab
  rm -f "$tmp"
  echo "fstab: $line"
fi
{mount}
"""


class InstancesMount(Component):
    TYPE = "openstack-storage:storage:InstancesMount"
    FORMER_TYPES = ("openstack-storage:nova:InstancesMount",)

    def __init__(self, name: str, args: InstancesMountArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        self.idmapd = None
        if IDMAPD_CONF.path in args.files:
            self.idmapd = write_files(f"{name}-idmapd", args.target, [args.files[IDMAPD_CONF.path].row()], parent=self)
        self.mount = run(f"{name}-mount", args.target, mount_script(args), parent=self,
                         triggers=[args.ids],
                         depends_on=[*([self.idmapd] if self.idmapd else []), *args.store, args.agreement])
        self.finish(host=args.target.host, files=[self.idmapd])
