"""The program on the lab's real hosts (lab/lab.sh) with the real engine: converged, repeatable, safe.

Expectations come from the lab stack's own typed config. Host state is read through lab/exec.sh (nsenter), so
checking adds no SSH login to the hosts' sshd logs. The tests run in file order against one stack; the last
one destroys it.
"""
import base64
import json
import pathlib
import re
import socket
import subprocess

import pytest

from components.core.remote import sha256
from cloud import admin_password
from labkit import ROOT, RUN, converged, pool_detail, sh

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(lab_hosts):
    return converged(sample=True)


def test_pools_clients_and_the_cinder_hosts_own_keyring(lab):
    cfg = lab.cfg()
    assert re.search(r"\+ \d+ created", lab.first_up), lab.first_up[-2000:]
    for pool in cfg.ceph.pools:
        apps = json.loads(sh("storage1", f"ceph osd pool application get {pool.name} -f json"))
        assert list(apps) == ["rbd"], pool.name
        mode = sh("storage1", f"ceph osd pool get {pool.name} pg_autoscale_mode").split(": ")[1].strip()
        assert mode == ("on" if pool.autoscaled else "off"), pool.name
        if pool.pg_num:
            assert pool_detail(pool.name)["pg_num_target"] == pool.pg_num
    for c in cfg.ceph.clients:
        text = sh("storage1", f"ceph auth get client.{c.name} 2>/dev/null | grep caps")
        caps = dict(re.findall(r'caps (\w+) = "(.*)"', text))
        assert caps == c.cap_strings(), c.name
    # cinder-volume's host reaches its pool as client.cinder, with the keyring it was given
    assert sh("controller", "rbd --id cinder ls volumes >/dev/null && echo ok").strip() == "ok"
    denied = subprocess.run(["bash", str(ROOT / "lab/exec.sh"), "controller", "rbd", "--id", "glance", "create",
                             "--size", "1", "volumes/should-not-exist"], capture_output=True, text=True)
    assert denied.returncode != 0, "client.glance could write to the volumes pool"


def test_keyrings_only_where_needed_with_owner_and_mode(lab):
    cfg = lab.cfg()
    placed = cfg.keyrings()
    for host in cfg.hosts:
        listing = sh(host, "stat -c '%n %U %G %a' /etc/ceph/*.keyring 2>/dev/null || true").split("\n")
        found = {l.split()[0]: tuple(l.split()[1:]) for l in listing if l and "client.admin" not in l}
        want = {cfg.ceph.keyring_path(c): (o, g, m.lstrip("0")) for c, (o, g, m) in placed.get(host, {}).items()}
        assert found == want, host


def test_every_compute_secret_holds_the_clients_key(lab):
    cfg = lab.cfg()
    key = lab.keys()[cfg.libvirt_client()]
    uuid = str(cfg.ceph.libvirt_secret_uuid)
    for compute in cfg.hosts_with("nova-compute"):
        assert uuid in sh(compute, "virsh secret-list")
        xml = sh(compute, f"virsh secret-dumpxml {uuid}")
        assert "private='yes'" in xml and "ephemeral='no'" in xml
        # private: the API will not tell the value, so read what libvirt persisted (base64 of the raw key)
        stored = sh(compute, f"cat /etc/libvirt/secrets/{uuid}.base64").strip()
        assert base64.b64decode(stored) == base64.b64decode(key), compute


def test_gluster_nfs_and_the_computes_mounts(lab):
    cfg = lab.cfg()
    info = sh("storage1", "gluster --mode=script volume info cinder-vol")
    assert "Status: Started" in info and "Type: Replicate" in info and "nfs.disable: on" in info
    exports = subprocess.run(["showmount", "-e", cfg.hosts["storage2"].address], capture_output=True, text=True,
                             timeout=30).stdout
    # listed by pseudo path: the lab stack sets Mount_Path_Pseudo for its NFSv3 client (lab/nfs/README.md)
    for path in ("/instances", "/cinder-nfs", "/cinder-gluster"):
        assert re.search(rf"^{path}\s+10\.77\.0\.0/24$", exports, re.M), exports
    listing = subprocess.run(["nfs-ls", f"nfs://{cfg.hosts['storage2'].address}/cinder-gluster?version=4"],
                             capture_output=True, text=True, timeout=30)
    assert listing.returncode == 0, listing.stderr     # the gluster volume, served by ganesha over NFSv4
    for compute in cfg.hosts_with("nova-compute"):
        fstab = sh(compute, "cat /etc/fstab")
        assert f"{cfg.hosts['storage2'].address}:/instances /var/lib/nova/instances nfs4 defaults,_netdev 0 0" in fstab


def test_a_host_behind_a_bastion_is_converged_through_it(lab):
    cfg = lab.cfg()
    behind = {h: cfg.ssh_for(h).proxy for h in cfg.hosts if cfg.ssh_for(h).proxy}
    assert list(behind) == ["compute2"] and behind["compute2"].address == cfg.hosts["compute1"].address
    # the machine running pulumi has no way to its sshd (the route is unreachable, so nothing leaves the machine)
    with pytest.raises(OSError):
        socket.create_connection((cfg.hosts["compute2"].address, 22), timeout=3)
    # yet it was converged (commands and read-back files alike), and every login came from the bastion's side
    assert cfg.ceph.keyring_path("cinder") in sh("compute2", "ls /etc/ceph/*.keyring")
    assert str(cfg.ceph.libvirt_secret_uuid) in sh("compute2", "virsh secret-list")
    logins = re.findall(r"Accepted publickey for root from (\S+)", (RUN / "hosts/compute2/log/sshd.log").read_text())
    assert logins and set(logins) == {"10.78.0.1"}, set(logins)


def test_rendered_configs_are_on_their_hosts(lab):
    p = lab.plan()
    files = {"controller": {"/etc/cinder/cinder.conf": p.configs["cinder"],
                            "/etc/glance/glance-api.conf": p.configs["glance"],
                            "/etc/ceph/ceph.conf": p.ceph_conf["controller"]},
             "compute1": {"/etc/nova/nova.conf": p.configs["nova"], "/etc/ceph/ceph.conf": p.ceph_conf["compute1"]}}
    for host, wanted in files.items():
        for path, content in wanted.items():
            assert sh(host, f"sha256sum {path}").split()[0] == sha256(content), f"{host}:{path}"
    assert sh("compute1", "ls /etc/cinder/cinder.conf 2>/dev/null || echo none").strip() == "none"
    assert sh("controller", "ls /etc/nova/nova.conf 2>/dev/null || echo none").strip() == "none"


def test_a_second_up_changes_nothing_and_runs_no_remote_command(lab):
    before = lab.sshd_logins()
    assert before > 0, "the first up logged no SSH login: the count below would prove nothing"
    out = lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert re.search(r"\d+ unchanged", out) and "created" not in out and "updated" not in out
    assert lab.sshd_logins() == before


# The component types renamed when the layers became the folders (issue 29): new -> as states before it hold them.
RENAMED = {"libvirt:LiveMigration": "nova:LiveMigration", "services:ServiceConfig": "openstack:ServiceConfig",
           "services:GlanceConfig": "glance:Config", "services:CinderConfig": "cinder:Config",
           "services:NovaConfig": "nova:Config", "storage:NfsServer": "nfs:Server",
           "storage:GlusterdConfig": "gluster:Glusterd", "storage:GlusterVolume": "gluster:Volume",
           "storage:IdAgreement": "nova:IdAgreement", "storage:InstancesMount": "nova:InstancesMount",
           "storage:LvmBackend": "cinder:Lvm", "cloud:Image": "glance:Image", "cloud:Qos": "cinder:Qos",
           "cloud:VolumeType": "cinder:VolumeType"}


def test_a_state_from_before_the_types_matched_their_folders_previews_no_change(lab, tmp_path):
    """The state as a version before the renovation wrote it (every renamed component under its former type) in a
    backend of its own: the engine follows the components' aliases, so nothing changes."""
    import shutil
    from scripts.pulumi_env import backend_in
    renamed = {f"openstack-storage:{new}": f"openstack-storage:{old}" for new, old in RENAMED.items()}
    state = lab.pulumi("stack", "export")
    for new, old in renamed.items():
        state = re.sub(rf"{re.escape(new)}(?=[\"$:])", old, state)
    assert all(new not in state for new in renamed)
    (tmp_path / "old.json").write_text(state)
    shutil.copytree(ROOT / ".state", tmp_path / "state")
    env = {**lab.env, "PULUMI_BACKEND_URL": backend_in(tmp_path / "state")}
    run = lambda *a: subprocess.run(["pulumi", "--non-interactive", *a, "--stack", "lab"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=300)
    imported = run("stack", "import", "--file", str(tmp_path / "old.json"))
    assert imported.returncode == 0, imported.stderr
    preview = run("preview", "--json")
    summary = json.loads(preview.stdout)["changeSummary"]
    resources = len(json.loads(state)["deployment"]["resources"])
    # every resource the state holds (but the providers and the stack itself) is the same one
    assert set(summary) == {"same"} and summary["same"] >= resources - 5, (summary, resources)


def test_a_refresh_logs_in_to_each_host_at_most_once(lab):
    """`up --refresh` reads every file and cephx user back: all of a host's reads share one SSH login (compute2's
    goes through compute1's, which is compute1's own login too)."""
    before = lab.sshd_logins_by_host()
    out = lab.pulumi("up", "--yes", "--skip-preview", "--refresh", "--expect-no-changes")
    assert "created" not in out and "updated" not in out, out[-1500:]
    after = lab.sshd_logins_by_host()
    logins = {h: after[h] - before.get(h, 0) for h in after}
    read = {h for h in lab.cfg().hosts}      # every host has a file or cephx user the stack reads back
    assert {h for h, n in logins.items() if n} == read and max(logins.values()) == 1, logins


def pids(lab, services: dict[str, list[str]]) -> dict:
    return {(h, s): sh(h, f"supervisorctl pid {s}").strip() for h, names in services.items() for s in names}


def test_one_pool_setting_changes_only_that_pool(lab):
    lab.pulumi("config", "set", "--path", "ceph.pools[1].pg_num", "16")     # images: 8 -> 16
    assert lab.changes() == {"ceph-pool-images-ensure": "update"}
    lab.pulumi("up", "--yes", "--skip-preview")
    assert pool_detail("images")["pg_num_target"] == 16    # the mgr (none in the lab) walks pg_num there


def test_one_cinder_option_restarts_only_cinder(lab):
    services = {"controller": ["cinder-volume", "cinder-backup", "glance-api"], "compute1": ["nova-compute"],
                "compute2": ["nova-compute"], "storage2": ["nfs-ganesha"]}
    before = pids(lab, services)
    lab.pulumi("config", "set", "--path", "cinder.options.DEFAULT.debug", "true")
    changes = lab.changes()
    assert {n for n, op in changes.items() if op == "update"} == {"controller-cinder-config-file"}
    assert {n for n in changes if "restart" in n} == {"controller-cinder-config-restart-cinder-volume",
                                                      "controller-cinder-config-restart-cinder-backup"}
    lab.pulumi("up", "--yes", "--skip-preview")
    after = pids(lab, services)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("controller", "cinder-volume"), ("controller", "cinder-backup")}
    assert "debug = true" in sh("controller", "cat /etc/cinder/cinder.conf")


def test_a_changed_connection_reruns_the_steps_but_restarts_nothing(lab):
    """As after a rotated SSH key: every command's connection changed, so they run again (idempotent), but a
    restart runs only when its own config changes."""
    services = {"controller": ["cinder-volume", "cinder-backup", "glance-api"], "compute1": ["libvirtd"],
                "compute2": ["libvirtd"], "storage1": ["glusterd"], "storage2": ["glusterd", "nfs-ganesha"]}
    before = pids(lab, services)
    lab.pulumi("config", "set", "--path", "ssh.connect_timeout", "9")
    out = lab.pulumi("up", "--yes", "--skip-preview")
    assert re.search(r"~ \d+ updated", out), out[-1500:]
    assert pids(lab, services) == before


def test_drift_is_seen_on_refresh_and_put_back(lab):
    sh("storage1", "ceph auth caps client.glance mon 'allow r' osd 'allow rwx pool=images' 2>/dev/null")
    sh("compute1", "echo 'debug = true' >> /etc/nova/nova.conf; chmod 0644 /etc/ceph/ceph.client.cinder.keyring")
    assert lab.changes() == {}, "a plain preview must not notice (and must not touch) the hosts"
    drift = lab.changes("--refresh")
    assert {"ceph-client-glance-ensure", "compute1-nova-config-file", "compute1-ceph-files"} <= set(drift)
    services = {"compute1": ["nova-compute"], "compute2": ["nova-compute"], "controller": ["cinder-volume"]}
    before = pids(lab, services)
    lab.pulumi("up", "--yes", "--skip-preview", "--refresh")
    # the service whose config was put back restarts (it would run on the hand-edited file otherwise); no other
    after = pids(lab, services)
    assert {k for k in before if before[k] != after[k]} == {("compute1", "nova-compute")}
    assert "allow rwx" not in sh("storage1", "ceph auth get client.glance 2>/dev/null")
    assert sh("compute1", "stat -c %a /etc/ceph/ceph.client.cinder.keyring").strip() == "640"
    assert "debug = true" not in sh("compute1", "cat /etc/nova/nova.conf")
    lab.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")


def test_no_key_or_password_in_output_state_or_command_lines(lab):
    secrets = list(lab.keys().values())
    secrets.append((RUN / "passphrase").read_text().strip())
    secrets.append(admin_password())               # the keystone password pulumi-openstack logs in with
    ssh_key = pathlib.Path(json.loads((RUN / "lab.json").read_text())["ssh_private_key_file"]).read_text()
    secrets.append(ssh_key.splitlines()[1])          # a line of the private key's body
    state = lab.pulumi("stack", "export")
    assert "ciphertext" in state                     # the secrets are there, encrypted
    assert len(lab.sampler.seen) > 50, "the command line sampler saw almost nothing"
    for s in secrets:
        assert s and len(s) > 20
        assert not any(s in o for o in lab.outputs), "a secret appeared in the engine's output"
        assert s not in state, "a secret is in the exported state in the clear"
        assert not any(s in c for c in lab.sampler.seen), "a secret appeared on a command line"


def test_destroy_leaves_pools_with_data_unless_allowed(lab):
    cfg = lab.cfg()
    deletable = {p.name for p in cfg.ceph.pools if p.allow_delete}
    assert deletable, "the lab stack names no pool that destroy may delete: this test would prove nothing"
    assert deletable <= set(sh("storage1", "ceph osd pool ls").split())
    sh("storage1", "rbd create --size 1 volumes/keep-me")
    lab.pulumi("destroy", "--yes", "--skip-preview")
    pools = sh("storage1", "ceph osd pool ls").split()
    assert {p.name for p in cfg.ceph.pools if not p.allow_delete} <= set(pools)
    assert not deletable & set(pools)                # their entries say allow_delete: true
    assert "keep-me" in sh("storage1", "rbd ls volumes")
