"""GlusterFS, NFS, the shared instances path, live migration and LVM under Pulumi mocks."""
import os
import shutil
import subprocess
import tempfile
import pulumi
import pytest

from components.core.remote import sha256
from components.storage.instances_share import compare_ids
from conftest import STORAGE_KEYS, without_ceph
from harness import config_error, deploy, files_on, is_secret, plain, plan, settled, text, use_mocks

def stdin(monitor, name, path=None):
    """What step `name` sends on stdin, or file resource `name`'s content (of `path`, when it writes several)."""
    return text(monitor.named(name), path)


def script(monitor, name):
    return plain(monitor.named(name).inputs["create"])


def section(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(f"[{name}]") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    return [l for l in lines[start:end] if l]


@pulumi.runtime.test
def test_ceph_gluster_nfs_and_lvm_backends_in_one_cinder_conf(monitor, shared):
    p, d = deploy(shared)

    def check(_):
        conf = stdin(monitor, "controller1-cinder-config-file", "/etc/cinder/cinder.conf")
        assert conf == p.configs["cinder"]
        assert "enabled_backends = ceph,nfs,gluster,lvm" in conf.splitlines()
        assert "volume_driver = cinder.volume.drivers.rbd.RBDDriver" in section(conf, "ceph")
        # root squashed exports (the default): cinder's file operations as the cinder user, its files 0660
        secure = ["nas_secure_file_operations = true", "nas_secure_file_permissions = true"]
        assert section(conf, "nfs") == ["volume_backend_name = nfs", "volume_driver = cinder.volume.drivers.nfs.NfsDriver",
                                        "nfs_shares_config = /etc/cinder/nfs_shares_nfs", "nfs_mount_options = vers=4.1",
                                        *secure]
        # current release: the gluster volume reaches cinder through NFS-Ganesha and the NFS driver
        assert section(conf, "gluster") == ["volume_backend_name = gluster",
                                            "volume_driver = cinder.volume.drivers.nfs.NfsDriver",
                                            "nfs_shares_config = /etc/cinder/nfs_shares_gluster",
                                            "nfs_mount_options = vers=4.1",     # a ganesha pseudo path: NFSv4 only
                                            *secure]
        assert section(conf, "lvm") == ["volume_backend_name = lvm", "volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver",
                                        "volume_group = cinder-volumes", "target_helper = tgtadm", "target_protocol = iscsi"]
        assert "GlusterfsDriver" not in conf
        files = files_on(monitor, "controller1-cinder-config-file")
        assert files["/etc/cinder/nfs_shares_nfs"].content == "203.0.113.42:/srv/nfs/cinder\n"
        assert files["/etc/cinder/nfs_shares_gluster"].content == "203.0.113.42:/cinder-gluster\n"
        # the restarts see the shares files too: the three contents' hashes and their one write
        trig = plain(monitor.named("controller1-cinder-config-restart-cinder-volume").inputs["triggers"])
        assert len(files) == 3 and sorted(trig[:3]) == sorted(sha256(f.content) for f in files.values())
        assert trig[3:] == ["written-controller1-cinder-config-file"]
    return settled(d.resources).apply(check)


def test_an_export_without_root_squash_or_shares_by_hand_leave_cinders_auto(shared):
    shared["nfs_exports"][1]["no_root_squash"] = True
    shared["cinder"]["backends"][2]["volume"] = "cinder-vol"
    shared["cinder"]["backends"].append({"type": "nfs", "name": "byhand", "shares": ["203.0.113.42:/srv/x"]})
    conf = plan(shared).configs["cinder"]
    assert "nas_secure_file_operations" not in "\n".join(section(conf, "nfs") + section(conf, "byhand"))
    assert "nas_secure_file_operations = true" in section(conf, "gluster")


def test_snapshots_on_a_root_squashed_share_are_refused_before_cinder_refuses_to_start(shared):
    """cinder 29's NFS driver stops at start: "Snapshots are not supported with nas_secure_file_operations enabled"
    (seen on the lab)."""
    shared["cinder"]["backends"][1]["options"] = {"nfs_snapshot_support": True}
    assert config_error(shared).startswith(
        "openstack-storage:cinder.backends[nfs].options.nfs_snapshot_support: cinder refuses snapshots")
    shared["nfs_exports"][1]["no_root_squash"] = True
    assert "nfs_snapshot_support = true" in section(plan(shared).configs["cinder"], "nfs")


def test_old_release_uses_the_native_gluster_driver(shared):
    shared["release"] = "newton"
    p = plan(shared)
    assert "volume_driver = cinder.volume.drivers.glusterfs.GlusterfsDriver" in section(p.configs["cinder"], "gluster")
    assert "glusterfs_shares_config = /etc/cinder/glusterfs_shares_gluster" in p.configs["cinder"]
    assert "qemu_allowed_storage_drivers = gluster" in section(p.configs["nova"], "libvirt")
    assert "live_migration_uri = qemu+tls://%s/system" in p.configs["nova"]
    assert "live_migration_scheme" not in p.configs["nova"]
    current = plan({**shared, "release": "2025.1"})
    assert "qemu_allowed_storage_drivers" not in current.configs["nova"]
    assert "live_migration_scheme = tls" in section(current.configs["nova"], "libvirt")
    assert "live_migration_uri" not in current.configs["nova"]


@pulumi.runtime.test
def test_order_gluster_export_cinder_restart_and_export_mount_nova(monitor, shared):
    _, d = deploy(shared)

    def check(_):
        # the services restart once the storage their config points at is there; their files need not wait for it
        chain = ["storage1-glusterd-file", "storage1-glusterd-restart-glusterd", "gluster-volume-cinder-vol-ensure",
                 "storage2-nfs-ganesha-restart-nfs-ganesha", "controller1-cinder-config-restart-cinder-volume"]
        for later, earlier in zip(chain[1:], chain):
            assert monitor.depends_on(later, earlier), f"{later} does not wait for {earlier}"
        gv = script(monitor, "gluster-volume-cinder-vol-ensure")
        assert gv.index("volume create") < gv.index("ensure storage.owner-uid 165") < gv.index("volume start")
        for host in ("storage1", "storage2"):
            assert monitor.depends_on("gluster-volume-cinder-vol-ensure", f"{host}-glusterd-restart-glusterd")
            assert monitor.depends_on("gluster-volume-cinder-vol-ensure", f"gluster-volume-cinder-vol-bricks-{host}")
        assert monitor.depends_on("storage2-nfs-ganesha-restart-nfs-ganesha", "storage2-nfs-ganesha-file")
        assert monitor.depends_on("storage2-nfs-ganesha-restart-nfs-ganesha", "storage2-nfs-dirs")
        chain = ["storage2-nfs-ganesha-restart-nfs-ganesha", "compute1-instances-mount",
                 "compute1-nova-config-restart-nova-compute"]
        for later, earlier in zip(chain[1:], chain):
            assert monitor.depends_on(later, earlier), f"{later} does not wait for {earlier}"
        assert monitor.depends_on("compute1-instances-mount", "compute1-instances-idmapd")
        # what writes files or makes directories runs at once: a chain of steps is a chain of engine round trips
        for step, earlier in (("gluster-volume-cinder-vol-bricks-storage1", "storage1-glusterd-file"),
                              ("storage2-nfs-ganesha-file", "gluster-volume-cinder-vol-ensure"),
                              ("storage2-nfs-dirs", "gluster-volume-cinder-vol-ensure"),
                              ("compute1-instances-idmapd", "storage2-nfs-ganesha-file")):
            assert not monitor.depends_on(step, earlier), f"{step} waits for {earlier}"
        assert monitor.depends_on("compute1-nova-config-restart-nova-compute", "compute1-nova-config-file")
        # virsh runs before libvirtd's restart (which waits for it), and waits for nothing of the host's storage
        assert monitor.depends_on("compute1-migration-libvirt-restart-libvirtd", "compute1-libvirt-secret-set")
        assert not monitor.depends_on("compute1-libvirt-secret-set", "compute1-instances-mount")
        assert monitor.depends_on("compute1-nova-config-restart-nova-compute", "compute1-libvirt-secret-set")
        assert not monitor.depends_on("compute1-nova-config-file", "compute1-instances-mount")
        assert not monitor.depends_on("controller1-cinder-config-file", "storage2-nfs-ganesha-file")
        for restart in ("controller1-cinder-config-restart-cinder-volume", "controller1-cinder-config-restart-cinder-backup"):
            assert monitor.depends_on(restart, "storage2-nfs-exportfs")
            assert monitor.depends_on(restart, "controller1-lvm-vg")
        # the computes do not wait for cinder, nor cinder for the instances mounts (one ganesha.conf on storage2
        # serves both exports, so the mounts do wait for the gluster volume it exports)
        assert not monitor.depends_on("compute1-nova-config-restart-nova-compute", "controller1-cinder-config-file")
        assert not monitor.depends_on("controller1-cinder-config-restart-cinder-volume", "compute1-instances-mount")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_rendered_storage_content_is_secure_by_default(monitor, shared):
    _, d = deploy(shared)

    def check(_):
        ganesha = stdin(monitor, "storage2-nfs-ganesha-file")
        # the instances share: every user acts as nova; cinder's: root squashed
        assert ganesha.count("EXPORT {") == 2 and ganesha.count("Squash = Root_Squash;") == 1
        assert "Squash = All_Squash;\n    Anonymous_Uid = 64060;\n    Anonymous_Gid = 64060;" in ganesha
        assert "No_Root_Squash" not in ganesha and "Clients = 203.0.113.0/24;" in ganesha
        assert 'Path = "/srv/nfs/instances";' in ganesha and 'Pseudo = "/instances";' in ganesha
        assert 'Name = GLUSTER;' in ganesha and 'Volume = "cinder-vol";' in ganesha
        kernel = stdin(monitor, "storage2-nfs-exports-cinder-nfs").splitlines()[-1]
        assert kernel == ("/srv/nfs/cinder 203.0.113.0/24(rw,sync,no_subtree_check,root_squash) "
                          "198.51.100.0/24(rw,sync,no_subtree_check,root_squash)")
        assert "chown nova:nova /srv/nfs/instances" in script(monitor, "storage2-nfs-dirs")
        for host in ("storage1", "storage2"):
            assert "rpc-auth-allow-insecure" not in stdin(monitor, f"{host}-glusterd-file")
        gv = script(monitor, "gluster-volume-cinder-vol-ensure")
        assert "server.allow-insecure" not in gv and "ensure nfs.disable on" in gv
        assert "replica 2 transport tcp 203.0.113.41:/srv/gluster/b1 203.0.113.42:/srv/gluster/b1 force" in gv
        libvirtd = stdin(monitor, "compute1-migration-libvirt-file")
        assert "listen_tls = 1" in libvirtd and "listen_tcp = 0" in libvirtd and "auth_tcp" not in libvirtd
        # nova-compute (user nova, group libvirt) reaches libvirtd's read-write socket through the group only
        assert 'unix_sock_group = "libvirt"' in libvirtd and 'unix_sock_rw_perms = "0770"' in libvirtd
        assert "systemctl enable --now libvirtd-tls.socket" in script(monitor, "compute1-migration-socket")
        nova = stdin(monitor, "compute1-nova-config-file")
        assert "live_migration_scheme = tls" in nova
        hosts = script(monitor, "compute2-migration-hosts")
        assert "203.0.113.21 compute1" in hosts and "203.0.113.22 compute2" in hosts and "controller1" not in hosts
        mount = script(monitor, "compute1-instances-mount")
        assert "203.0.113.42:/instances /var/lib/nova/instances nfs4 defaults,_netdev 0 0" in mount
        assert 'mountpoint -q "$dir" || { mount "$dir"' in mount
        assert "Domain = cloud.example" in stdin(monitor, "compute1-instances-idmapd")
        assert [r.name for r in monitor.registrations if "qemu-conf" in r.name] == []  # instances are not on gluster
        for r in monitor.commands():
            body = str(plain(r.inputs.get("create", ""))) + str(plain(r.inputs.get("contents", r.inputs.get("stdin"))))
            assert "StrictHostKeyChecking no" not in body and "no_root_squash" not in body, r.name
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_named_insecure_opt_ins(monitor, shared):
    shared["gluster"]["volumes"][0]["insecure_ports"] = True
    shared["nfs_exports"][0].update(no_root_squash=True, all_squash=False)
    shared["migration"] = {"transport": "tcp", "allow_insecure_tcp": True, "socket_group": None}
    shared["hosts"]["storage3"] = {"address": "203.0.113.43", "host_key": STORAGE_KEYS["storage1"].replace("IBs", "IBt"),
                                   "roles": ["gluster-server"]}
    _, d = deploy(shared)

    def check(_):
        assert "Squash = No_Root_Squash;" in stdin(monitor, "storage2-nfs-ganesha-file")
        assert "ensure server.allow-insecure on" in script(monitor, "gluster-volume-cinder-vol-ensure")
        assert "option rpc-auth-allow-insecure on" in stdin(monitor, "storage1-glusterd-file")
        assert "rpc-auth-allow-insecure" not in stdin(monitor, "storage3-glusterd-file")   # holds no brick of it
        libvirtd = stdin(monitor, "compute1-migration-libvirt-file")
        assert 'auth_tcp = "none"' in libvirtd and "listen_tcp = 1" in libvirtd
        assert "unix_sock" not in libvirtd and "auth_unix_rw" not in libvirtd   # socket_group: null
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_glusterd_restarts_only_when_glusterd_vol_changes(monitor, shared):
    _, d = deploy(shared)

    def check(_):
        r = monitor.named("storage1-glusterd-restart-glusterd")
        assert plain(r.inputs["triggers"]) == [sha256(stdin(monitor, "storage1-glusterd-file")),
                                                "written-storage1-glusterd-file"]
        assert monitor.depends_on("storage1-glusterd-restart-glusterd", "storage1-glusterd-file")
    return settled(d.resources).apply(check)


def test_uid_gid_check_lists_the_differing_hosts():
    same = {"compute1": "nova 64060:64060\nlibvirt-qemu 64055:108\n", "compute2": "nova 64060:64060\nlibvirt-qemu 64055:108\n"}
    assert compare_ids(same) == "libvirt-qemu=64055:108 nova=64060:64060"
    differ = dict(same, compute2="nova 111:119\nlibvirt-qemu 64055:108\n", compute3="nova 64060:64060\nlibvirt-qemu 64055:108\n")
    with pytest.raises(pulumi.RunError) as e:
        compare_ids(differ)
    message = str(e.value)
    assert "nova uid:gid differs across computes sharing the instances path: compute1 64060:64060, " \
           "compute2 111:119, compute3 64060:64060" in message
    assert "libvirt-qemu" not in message.split(".")[0]
    assert "instances_share.align_ids" in message


def test_the_agreed_ids_must_be_the_ones_the_share_gives_nova(shared):
    """An all_squash export makes every file its anonymous ids': nova's, agreed on every compute, or nova's own
    files are not nova's (the lab found this by booting on the share: privsep's utime fails)."""
    same = {h: "nova 994:993\nlibvirt-qemu 993:992\n" for h in ("compute1", "compute2")}
    expect = plan(shared).cfg.instances_owner()
    assert expect == {"nova": ("64060:64060", "nfs_exports[instances].anonymous_uid/gid")}
    with pytest.raises(pulumi.RunError) as e:
        compare_ids(same, expect)
    assert str(e.value).startswith("nova is 994:993 on the computes, but nfs_exports[instances].anonymous_uid/gid is "
                                   "64060:64060")
    assert compare_ids(same, {"nova": ("994:993", "k")}) == "libvirt-qemu=993:992 nova=994:993"
    shared["instances_share"] = {"gluster_volume": "cinder-vol"}
    assert plan(shared).cfg.instances_owner() == {"nova": ("165:165", "gluster.volumes[cinder-vol].owner_uid/gid")}


def test_an_instances_export_that_squashes_only_root_is_refused(shared):
    shared["nfs_exports"][0]["all_squash"] = False
    assert config_error(shared).startswith("openstack-storage:nfs_exports[instances].all_squash: the instances share "
                                           "squashes only root")


def test_the_instances_mount_moves_when_the_share_does(tmp_path):
    """The mount step unmounts another share from the instances path before mounting the stack's (stand-in mount
    tools log what they are asked)."""
    from components.storage.instances_share import REMOUNT
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool, body in {"findmnt": 'cat "$T/mounted" 2>/dev/null', "mountpoint": '[ -s "$T/mounted" ]',
                       "umount": 'echo "umount $1" >> "$T/log"; : > "$T/mounted"',
                       "mount": 'echo "mount $1" >> "$T/log"; echo new:/share > "$T/mounted"'}.items():
        (bin_ / tool).write_text(f"#!/bin/bash\n{body}\n")
        (bin_ / tool).chmod(0o755)
    env = {**os.environ, "T": str(tmp_path), "PATH": f"{bin_}:{os.environ['PATH']}"}
    (tmp_path / "mounted").write_text("old:/share\n")
    script = f"dir=/var/lib/nova/instances\nsrc=new:/share\n{REMOUNT}"
    for _ in range(2):
        subprocess.run(["bash", "-eu", "-c", script], env=env, check=True, timeout=20)
    assert (tmp_path / "log").read_text().splitlines() == ["umount /var/lib/nova/instances",
                                                           "mount /var/lib/nova/instances"]


def test_a_uid_mismatch_stops_the_update_before_any_mount(shared):
    ids = {"instances-ids-read-compute1": "nova 64060:64060\nlibvirt-qemu 64055:108\n",
           "instances-ids-read-compute2": "nova 111:119\nlibvirt-qemu 64055:108\n"}
    monitor = use_mocks(ids)

    @pulumi.runtime.test
    def run():
        _, d = deploy(shared)
        return settled(d.resources)
    with pytest.raises(Exception) as e:
        run()
    assert "nova uid:gid differs" in str(e.value) and "compute2 111:119" in str(e.value)
    assert not [r for r in monitor.registrations if r.name.endswith("-instances-mount")]


@pulumi.runtime.test
def test_each_mount_waits_for_one_agreement_not_for_every_computes_read(monitor, shared):
    """The comparison of every compute's ids is one resource the mounts depend on: a mount that carried an Output of
    every compute's read made the SDK walk N dependencies for each of N mounts (bench/evaluate.py)."""
    _, d = deploy(shared)

    def check(_):
        gate, mount = monitor.named("instances-ids-agreed"), monitor.named("compute1-instances-mount")
        reads = {h: monitor.named(f"instances-ids-read-{h}").urn for h in ("compute1", "compute2")}
        assert set(reads.values()) <= set(gate.deps)
        assert gate.urn in mount.deps and reads["compute1"] in mount.deps
        assert reads["compute2"] not in mount.deps, "compute1's mount carries compute2's read"
        assert monitor.depends_on("compute1-instances-mount", "instances-ids-read-compute2")   # through the gate
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_align_ids_when_the_stack_asks(monitor, shared):
    shared["instances_share"]["align_ids"] = {"nova": {"uid": 64060, "gid": 64060}}
    _, d = deploy(shared)

    def check(_):
        align = script(monitor, "instances-ids-align-compute2")
        assert "usermod -u 64060" in align and "groupmod -g 64060" in align
        assert monitor.depends_on("instances-ids-read-compute2", "instances-ids-align-compute2")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_gluster_instances_keep_libvirts_dynamic_ownership_unless_the_stack_turns_it_off(monitor, shared):
    """On the lab's libvirt 9 a guest on GlusterFS instances migrates with dynamic_ownership on, and its disk stays
    qemu's; with the GlusterFS runbook's 0, qemu cannot open nova's disk at boot (tests/test_shared_instances_lab.py)."""
    shared["instances_share"] = {"gluster_volume": "cinder-vol", "mount_now": False}
    assert "/etc/libvirt/qemu.conf" not in plan(shared).files["compute1"]
    shared["instances_share"]["dynamic_ownership"] = False
    _, d = deploy(shared)

    def check(_):
        assert stdin(monitor, "compute1-migration-libvirt-file", "/etc/libvirt/qemu.conf").endswith("dynamic_ownership = 0\n")
        mount = script(monitor, "compute1-instances-mount")
        assert "203.0.113.41:/cinder-vol /var/lib/nova/instances glusterfs" in mount
        assert "mount \"$dir\"" not in mount and "fstab only" in mount
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_nova_ssh_uses_pinned_known_hosts(monitor, shared):
    shared["migration"] = {"transport": "ssh", "nova_ssh_public_key": f"{STORAGE_KEYS['storage1']} nova@cloud"}
    _, d = deploy(shared, {"ssh_private_key": "k", "nova_ssh_private_key": "NOVA-PRIVATE-KEY"})

    def check(_):
        ssh = files_on(monitor, "compute1-migration-ssh")
        known = ssh["/var/lib/nova/.ssh/known_hosts"].content
        assert known == (f"compute1,203.0.113.21 {shared['hosts']['compute1']['host_key']}\n"
                         f"compute2,203.0.113.22 {shared['hosts']['compute2']['host_key']}\n")
        assert "StrictHostKeyChecking yes" in ssh["/var/lib/nova/.ssh/config"].content
        key_file = ssh["/var/lib/nova/.ssh/id_ed25519"]
        assert is_secret(key_file.r.inputs["contents"][key_file.path]) and key_file.content == "NOVA-PRIVATE-KEY"
        assert key_file.attrs["mode"] == "0600" and "contents" in key_file.r.secret_outputs
        assert {f.attrs["owner"] for f in ssh.values()} == {"nova"}
        assert "live_migration_scheme = ssh" in stdin(monitor, "compute1-nova-config-file")
        assert "listen_tcp = 0" in stdin(monitor, "compute1-migration-libvirt-file")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_lvm_checks_the_volume_group_and_includes_cinder_volumes_in_tgt(monitor, shared):
    _, d = deploy(shared)

    def check(_):
        assert 'vg=cinder-volumes\nvgs "$vg"' in script(monitor, "controller1-lvm-vg")
        # run against a host without the group: the message names it and the host
        bin_dir = tempfile.mkdtemp()
        with open(f"{bin_dir}/vgs", "w") as f:
            f.write("#!/bin/sh\nexit 5\n")
        os.chmod(f"{bin_dir}/vgs", 0o755)
        r = subprocess.run(["bash", "-c", script(monitor, "controller1-lvm-vg")], capture_output=True, text=True,
                           env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, timeout=10)
        shutil.rmtree(bin_dir)
        assert r.returncode == 1 and "volume group cinder-volumes is missing on controller1" in r.stderr, r.stderr
        assert stdin(monitor, "controller1-lvm-tgt-file").endswith("include /var/lib/cinder/volumes/*\n")
        restart = monitor.named("controller1-lvm-tgt-restart-tgt")
        assert plain(restart.inputs["triggers"])[0] == sha256(stdin(monitor, "controller1-lvm-tgt-file"))
        assert 'service=tgt\nsystemctl restart "$service"' in script(monitor, "controller1-lvm-tgt-restart-tgt")
    return settled(d.resources).apply(check)


ERRORS = [
    ("brick host without the role", lambda c: c["hosts"]["storage1"].update(roles=[]),
     "openstack-storage:gluster.volumes[cinder-vol].bricks[0].host: host 'storage1' does not have role 'gluster-server'"),
    ("replica does not divide bricks", lambda c: c["gluster"]["volumes"][0].update(replica=3),
     "openstack-storage:gluster.volumes[cinder-vol]: 2 bricks do not divide into replica sets of 3"),
    ("export to everyone", lambda c: c["nfs_exports"][0].update(clients=["*"]),
     "openstack-storage:nfs_exports[instances].clients[0]: '*' opens the share to everyone"),
    ("export host without the role", lambda c: c["hosts"]["storage2"].update(roles=["gluster-server"]),
     "openstack-storage:nfs_exports[instances].host: host 'storage2' does not have role 'nfs-server'"),
    ("gluster on a current release without ganesha", lambda c: c.update(nfs_exports=c["nfs_exports"][:2]),
     "openstack-storage:cinder.backends[gluster]: release 2026.2 has no GlusterFS volume driver (removed in Ocata)"),
    ("unknown export", lambda c: c["cinder"]["backends"][1].update(export="nope"),
     "openstack-storage:cinder.backends[nfs].export: export 'nope' is not defined in nfs_exports"),
    ("unknown gluster volume", lambda c: c["cinder"]["backends"][2].update(volume="nope"),
     "openstack-storage:cinder.backends[gluster].volume: volume 'nope' is not defined in gluster.volumes"),
    ("unknown backend type", lambda c: c["cinder"]["backends"][3].update(type="zfs"),
     "openstack-storage:cinder.backends[lvm]: type must be one of ceph, nfs, glusterfs, lvm"),
    ("plain tcp without opt-in", lambda c: c.update(migration={"transport": "tcp"}),
     "openstack-storage:migration: transport tcp is unauthenticated and unencrypted"),
    ("unknown release", lambda c: c.update(release="zebra"),
     "openstack-storage:release: unknown OpenStack release 'zebra'"),
    ("instances share twice", lambda c: c["instances_share"].update(gluster_volume="cinder-vol"),
     "openstack-storage:instances_share: give exactly one of export or gluster_volume"),
    ("misspelled lvm key", lambda c: c["cinder"]["backends"][3].update(volumegroup="x"),
     "openstack-storage:cinder.backends[lvm].volumegroup: unknown key"),
]


@pytest.mark.parametrize("mutate,expected", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_shared_storage_config_errors(shared, mutate, expected):
    mutate(shared)
    message = config_error(shared)
    assert message.startswith(expected), message


@pulumi.runtime.test
def test_an_nfs_backend_alone_waits_for_its_export(monitor, shared):
    shared["cinder"]["backends"] = [b for b in shared["cinder"]["backends"] if b.get("type", "ceph") in ("ceph", "nfs")]
    shared["nfs_exports"] = [e for e in shared["nfs_exports"] if e["name"] == "cinder-nfs"]
    shared.pop("instances_share")
    _, d = deploy(shared)

    def check(_):
        restart = "controller1-cinder-config-restart-cinder-volume"
        assert monitor.depends_on(restart, "storage2-nfs-exportfs")
        assert not monitor.depends_on(restart, "gluster-volume-cinder-vol-ensure")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_summary_lists_every_file_and_restart_per_host(monitor, shared):
    _, d = deploy(shared)

    def check(_):
        storage2 = d.outputs["hosts"]["storage2"]
        assert storage2["restarts"] == ["glusterd", "nfs-ganesha"]
        assert {"/etc/glusterfs/glusterd.vol", "/etc/ganesha/ganesha.conf",
                "/etc/exports.d/openstack-storage-cinder-nfs.exports"} <= set(storage2["files"])
        compute = d.outputs["hosts"]["compute1"]
        assert compute["restarts"] == ["libvirtd", "nova-compute"] and "/etc/idmapd.conf" in compute["files"]
        assert d.outputs["hosts"]["controller1"]["restarts"] == ["cinder-backup", "cinder-volume", "glance-api", "tgt"]
    return settled(d.resources).apply(check)


def test_kernel_nfs_shares_keep_cinders_mount_default_and_a_stack_setting_wins(shared):
    shared["cinder"]["backends"][1].pop("mount_options")          # nfs, on the kernel export cinder-nfs
    shared["cinder"]["backends"][2]["mount_options"] = "vers=4.2"  # gluster, through ganesha
    p = plan(shared)
    assert not [l for l in section(p.configs["cinder"], "nfs") if l.startswith("nfs_mount_options")]
    assert "nfs_mount_options = vers=4.2" in section(p.configs["cinder"], "gluster")


def test_a_stack_without_ceph_gets_its_cloud_checked_too(shared):
    """check() used to stop at a stack without Ceph, so its volume types were never cross-checked."""
    cfg = without_ceph(shared)
    assert plan(cfg).backend_names == {"nfs": "nfs", "gluster": "gluster"}
    cfg["volume_types"] = [{"name": "fast", "backend": "ceph"}]
    assert config_error(cfg).startswith("openstack-storage:volume_types[fast].backend: backend 'ceph' is not in "
                                        "cinder.backends (nfs, gluster)")
    cfg["volume_types"] = [{"name": "nfs", "backend": "nfs"}, {"name": "nfs", "backend": "gluster"}]
    assert config_error(cfg).startswith("openstack-storage:volume_types[nfs]: 'nfs' is defined twice")
