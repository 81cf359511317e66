"""Attached file volumes (components/storage/file_volumes.py): qemu on every compute in cinder's group, cinder's gid
checked on every cinder-volume host, under Pulumi mocks; the compute's script against stand-in account tools."""
import os
import subprocess
from pathlib import Path

import pulumi

from components.config import FileVolumeGroup
from components.storage.file_volumes import compute_script, cinder_volume_script
from harness import config_error, deploy, plain, plan, settled


@pulumi.runtime.test
def test_computes_get_the_group_and_cinder_volume_hosts_are_checked(monitor, shared):
    _, d = deploy(shared)

    def check(_):
        steps = sorted(r.name for r in monitor.registrations if "-file-volumes-" in r.name)
        assert steps == ["compute1-file-volumes-qemu", "compute2-file-volumes-qemu", "controller1-file-volumes-gid"]
        qemu = plain(monitor.named("compute1-file-volumes-qemu").inputs["create"])
        assert "gid=165; name=cinder; user=libvirt-qemu; host=compute1" in qemu
        assert "[ \"$got\" = 165 ]" in plain(monitor.named("controller1-file-volumes-gid").inputs["create"])
        # cinder-volume starts on its backends only once its gid is known good
        assert monitor.depends_on("controller1-cinder-config-restart-cinder-volume", "controller1-file-volumes-gid")
    return settled(d.resources).apply(check)


def test_a_root_squashed_file_backend_with_computes_needs_the_group(shared):
    del shared["cinder"]["file_volume_group"]
    assert config_error(shared).startswith("openstack-storage:cinder.file_volume_group: backend 'nfs' keeps its "
                                           "volumes as 0660 files of cinder's group")
    for e in shared["nfs_exports"][1:]:
        e["no_root_squash"] = True      # 0666 files (cinder's auto): nothing to join
    assert "nas_secure_file_permissions" not in plan(shared).configs["cinder"]


def fake_tools(tmp: Path, groups: str, members: str) -> dict:
    """getent/id/groupadd/usermod over two files, as the script calls them."""
    tmp.mkdir(exist_ok=True)
    (tmp / "group").write_text(groups)
    (tmp / "members").write_text(members)
    bin_ = tmp / "bin"
    bin_.mkdir()
    tools = {
        "getent": 'awk -F: -v k="$2" \'$1 == k || $3 == k\' "$T/group" | grep . ',
        "id": '[ "$1" = -nG ] && { tr "\\n" " " < "$T/members"; echo; exit 0; }; [ "$1" = libvirt-qemu ]',
        "groupadd": 'echo "$3:x:$2:" >> "$T/group"',
        "usermod": 'echo "$2" >> "$T/members"',
    }
    for name, body in tools.items():
        (bin_ / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_ / name).chmod(0o755)
    return {**os.environ, "T": str(tmp), "PATH": f"{bin_}:{os.environ['PATH']}"}


def bash(script: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-eu", "-c", script], env=env, capture_output=True, text=True, timeout=20)


def test_the_compute_script_creates_the_group_joins_qemu_once_and_refuses_a_name_taken(tmp_path):
    g = FileVolumeGroup(gid=995)
    env = fake_tools(tmp_path, "kvm:x:992:\n", "kvm\n")
    first = bash(compute_script(g, "compute1"), env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["group cinder (995) created", "libvirt-qemu joined cinder (995)"]
    assert (tmp_path / "members").read_text().split() == ["kvm", "cinder"]
    again = bash(compute_script(g, "compute1"), env)
    assert again.returncode == 0 and again.stdout == ""
    taken = fake_tools(tmp_path / "b", "cinder:x:164:\n", "kvm\n")
    refused = bash(compute_script(g, "compute1"), taken)
    assert refused.returncode == 1
    assert "group cinder on compute1 has gid 164, not 995" in refused.stderr


def test_the_cinder_volume_check_names_the_host_and_both_gids(tmp_path):
    env = fake_tools(tmp_path, "cinder:x:164:\n", "")
    out = bash(cinder_volume_script(FileVolumeGroup(gid=995), "controller1"), env)
    assert out.returncode == 1 and "cinder's group cinder on controller1 has gid 164, not 995" in out.stderr
    assert bash(cinder_volume_script(FileVolumeGroup(gid=164), "controller1"), env).returncode == 0
