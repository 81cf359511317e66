"""The lab's hosts as the program meets them (was lab/check.sh): SSH with the pinned host keys of lab/run/lab.json
(compute2 through its bastion, as lab/run/ssh/config says), each host its own /etc, Ceph, GlusterFS, NFS-Ganesha,
libvirt and the supervisord programs the program restarts. Read-only: nothing on a host is changed.

    pytest tests/test_lab_hosts.py        (brings the lab up when it is down, as every lab test)
"""
import json
import subprocess

import pytest

from labkit import RUN, sh

pytestmark = pytest.mark.lab

HOSTS = ("controller", "compute1", "compute2", "storage1", "storage2")
CONTROLLER_PROGRAMS = ("mariadb", "rabbitmq", "keystone", "cinder-api", "cinder-scheduler", "placement-api",
                       "nova-api", "nova-conductor", "nova-scheduler", "neutron-api")


def lab() -> dict:
    return json.loads((RUN / "lab.json").read_text())


def ssh(host: str, command: str) -> subprocess.CompletedProcess:
    """`command` on `host` over SSH, strict host key checking against the pinned keys, no password, bounded."""
    j = lab()
    return subprocess.run(["ssh", "-F", j["ssh_config_file"], "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                           "-o", "ConnectTimeout=5", host, command], capture_output=True, text=True, timeout=60)


def ok(host: str, command: str) -> str:
    r = ssh(host, command)
    assert r.returncode == 0, f"{host}: {command!r}: {r.stderr.strip()[-500:]}"
    return r.stdout


@pytest.mark.parametrize("host", HOSTS)
def test_ssh_with_the_pinned_key_reaches_the_host_by_its_name(lab_hosts, host):
    assert ok(host, "hostname").strip() == host


@pytest.mark.parametrize("host", HOSTS)
def test_a_wrong_pinned_key_is_refused(lab_hosts, host, tmp_path):
    j = lab()
    other = next(h for h in HOSTS if h != host)
    wrong = tmp_path / "known_hosts"   # the host's address with another host's key (a bastion keeps its own)
    wrong.write_text(f"{j['hosts'][host]['address']} {j['hosts'][other]['host_key']}\n")
    r = subprocess.run(["ssh", "-F", j["ssh_config_file"], "-o", f"UserKnownHostsFile={wrong}", "-o", "BatchMode=yes",
                        "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5", host, "true"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "REMOTE HOST IDENTIFICATION HAS CHANGED" in r.stderr, r.stderr


@pytest.mark.parametrize("host", HOSTS)
def test_each_host_has_the_service_users_in_its_own_etc_and_resolves_the_others(lab_hosts, host):
    ok(host, "id cinder && id glance && id nova && id -gn libvirt-qemu | grep -qx kvm && getent group ceph")
    # (a name may resolve to several addresses: the program's computes block, compute2's bastion link)
    assert {line.split()[1] for line in ok(host, "getent hosts " + " ".join(HOSTS)).splitlines()} == set(HOSTS)


def test_the_machine_has_none_of_the_hosts_users(lab_hosts):
    assert subprocess.run(["id", "cinder"], capture_output=True).returncode != 0


def test_ceph_is_healthy_with_the_labs_fsid_and_an_osd_up(lab_hosts):
    status = json.loads(ok("storage1", "ceph -s -f json"))
    assert status["fsid"] == lab()["ceph"]["fsid"]
    assert status["health"]["status"] in ("HEALTH_OK", "HEALTH_WARN"), status["health"]
    assert status["osdmap"]["num_up_osds"] == 1
    assert json.loads(ok("storage1", "ceph mgr stat -f json"))["available"]   # nova-compute reads `ceph df`


@pytest.mark.parametrize("host", ("storage1", "storage2"))
def test_glusterd_runs_with_its_peer_and_brick_directory(lab_hosts, host):
    ok(host, "kill -0 $(cat /run/glusterd.pid) && gluster --mode=script peer status && test -d /srv/gluster/brick1")


def test_ganesha_and_rpcbind_serve_nfs_on_storage2(lab_hosts):
    ok("storage2", "kill -0 $(cat /run/ganesha/ganesha.pid) && rpcinfo -p | grep -qw nfs && test -d /srv/nfs/instances")


@pytest.mark.parametrize("host", ("compute1", "compute2"))
def test_computes_run_libvirtd_virtlogd_and_the_real_nova_compute(lab_hosts, host):
    ok(host, f"virsh -c {lab()['libvirt_uri']} secret-list")
    status = dict(line.split()[:2] for line in ok(host, "supervisorctl status").splitlines())
    assert {status.get(p) for p in ("libvirtd", "virtlogd", "nova-compute")} == {"RUNNING"}, status
    assert "nova-compute" in ok(host, "ps -o args= -p $(supervisorctl pid nova-compute)")
    # nova-compute's user may use libvirtd's socket only through its group
    assert "libvirt" in ok(host, "id -Gn nova").split()


def test_the_controllers_openstack_programs_run(lab_hosts):
    status = dict(line.split()[:2] for line in ok("controller", "supervisorctl status").splitlines())
    assert {p: status.get(p) for p in CONTROLLER_PROGRAMS} == {p: "RUNNING" for p in CONTROLLER_PROGRAMS}


def test_exec_sh_enters_a_host_without_ssh(lab_hosts):
    assert sh("storage1", "hostname").strip() == "storage1"
