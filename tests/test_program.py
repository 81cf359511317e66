"""The Ceph RBD backbone under Pulumi mocks: what is registered, in which order, with what content.
Every assertion runs inside @pulumi.runtime.test, on an Output that resolves after all registrations."""
import json
import re
import runpy

import pulumi
import pytest

from components import program
from components.core.remote import sha256
from harness import (COMMAND, LOCAL, ROOT, SSH_KEY, config_error, deploy, fake_key, files_on, is_secret, plain, registered, script,
                     settled, stack_config, text)

UUID = "457eb676-33da-42ec-9a8c-9293d545c337"
CLIENTS = ("cinder", "glance", "cinder-backup")


stdin = text


@pulumi.runtime.test
def test_dependency_chain_client_keyring_secret_then_the_nova_compute_restart(monitor, dev):
    _, d = deploy(dev)

    def check(_):
        restart = "compute1-nova-config-restart-nova-compute"
        chain = ["ceph-client-cinder-ensure", "compute1-ceph-files", restart]
        for later, earlier in zip(chain[1:], chain):
            assert monitor.depends_on(later, earlier), f"{later} does not wait for {earlier}"
        for earlier in ("compute1-libvirt-secret-set", "compute1-nova-config-file"):
            assert monitor.depends_on(restart, earlier), f"{restart} does not wait for {earlier}"
        # virsh waits for the key, not for the rest of the host (and for libvirtd's restart: test_shared_storage)
        assert monitor.depends_on("compute1-libvirt-secret-set", "ceph-client-cinder-ensure")
        assert not monitor.depends_on("compute1-libvirt-secret-set", "compute1-ceph-files")
        # a config file nothing reads until the restart is written at once: the compute's chain is one step shorter
        assert not monitor.depends_on("compute1-nova-config-file", "compute1-ceph-files")
        # and the other way round would be a cycle: the engine must not wait in reverse
        assert not monitor.depends_on("ceph-client-cinder-ensure", "compute1-ceph-files")
        # keys are made while the pools are (caps name pools as text); a host's services wait for every pool its
        # clients' caps name, and only those (compute1 holds cinder's key only: no backups)
        assert not monitor.depends_on("ceph-client-glance-ensure", "ceph-pool-images-ensure")
        assert monitor.depends_on(restart, "ceph-pool-vms-ensure")
        assert monitor.depends_on("controller1-glance-config-restart-glance-api", "ceph-pool-images-ensure")
        assert not monitor.depends_on(restart, "ceph-pool-backups-ensure")
        # cinder restarts after the keyrings and ceph.conf on its own host, not after the computes
        assert monitor.depends_on("controller1-cinder-config-restart-cinder-volume", "controller1-ceph-files")
        assert monitor.depends_on("controller1-ceph-files", "ceph-client-cinder-backup-ensure")
        assert not monitor.depends_on("controller1-cinder-config-restart-cinder-volume", "compute1-libvirt-secret-set")
        # independent hosts stay parallel
        assert not monitor.depends_on("compute2-nova-config-restart-nova-compute", "compute1-libvirt-secret-set")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_rendered_configs_reach_exactly_their_hosts(monitor, dev):
    p, d = deploy(dev)

    def check(_):
        paths = {}
        for r in monitor.commands():
            if plain(r.inputs.get("kind")) == "file":
                host = r.name.split("-")[0]
                paths.setdefault(host, set()).update(plain(r.inputs["files"]))
        assert paths["controller1"] == {"/etc/ceph/ceph.conf", "/etc/ceph/ceph.client.cinder.keyring",
                                        "/etc/ceph/ceph.client.glance.keyring",
                                        "/etc/ceph/ceph.client.cinder-backup.keyring",
                                        "/etc/cinder/cinder.conf", "/etc/glance/glance-api.conf"}
        for compute in ("compute1", "compute2"):
            assert paths[compute] == {"/etc/ceph/ceph.conf", "/etc/ceph/ceph.client.cinder.keyring",
                                      "/etc/nova/nova.conf"}
        assert "ceph1" not in paths   # the admin host only runs pool and client steps
        nova = stdin(monitor.named("compute1-nova-config-file"))
        assert nova == p.configs["nova"]
        for line in ("images_type = rbd", "images_rbd_pool = vms", "images_rbd_ceph_conf = /etc/ceph/ceph.conf",
                     "rbd_user = cinder", "disk_cachemodes = network=writeback", "hw_disk_discard = unmap",
                     "inject_password = false", "inject_key = false", "inject_partition = -2"):
            assert line in nova.splitlines(), line
        cinder = stdin(monitor.named("controller1-cinder-config-file")).splitlines()
        assert "enabled_backends = ceph" in cinder
        ceph_at = cinder.index("[ceph]")
        assert cinder.index("volume_driver = cinder.volume.drivers.rbd.RBDDriver") > ceph_at
        assert cinder.index("backup_driver = cinder.backup.drivers.ceph.CephBackupDriver") < ceph_at
        assert "backup_ceph_user = cinder-backup" in cinder and "backup_ceph_pool = backups" in cinder
        assert "rbd_max_clone_depth = 5" in cinder
        glance = stdin(monitor.named("controller1-glance-config-file")).splitlines()
        assert "enabled_backends = rbd:rbd" in glance and "show_image_direct_url = true" in glance
        assert glance.index("rbd_store_pool = images") > glance.index("[rbd]")
        ceph_conf = files_on(monitor, "compute2-ceph-files")["/etc/ceph/ceph.conf"].content.splitlines()
        assert "fsid = 6f0c4d2e-3b7a-4c55-9a61-0d2b8e4f7a10" in ceph_conf and "[client]" in ceph_conf
        assert "rbd_cache = true" in ceph_conf
        assert "admin_socket = /var/run/ceph/guests/$cluster-$type.$id.$pid.$cctid.asok" in ceph_conf
        controller = files_on(monitor, "controller1-ceph-files")["/etc/ceph/ceph.conf"].content.splitlines()
        assert "rbd_cache = true" in controller and not [l for l in controller if l.startswith(("admin_socket", "log_file"))]
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_unset_settings_keep_the_service_default(monitor, dev):
    dev["nova"] = {"rbd_user": "cinder", "images_rbd_pool": "vms"}
    dev["cinder"]["backends"] = [{"name": "ceph", "pool": "volumes", "rbd_user": "cinder"}]
    _, d = deploy(dev)

    def check(_):
        nova = stdin(monitor.named("compute1-nova-config-file"))
        assert "disk_cachemodes" not in nova and "hw_disk_discard" not in nova
        cinder = stdin(monitor.named("controller1-cinder-config-file"))
        assert "rbd_max_clone_depth" not in cinder and "rados_connect_timeout" not in cinder
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_secret_uuid_is_the_same_in_nova_cinder_and_every_libvirt_secret(monitor, dev):
    _, d = deploy(dev)

    def check(_):
        found = {}   # where the UUID is written -> the UUIDs read there
        for name in ("compute1-nova-config-file", "compute2-nova-config-file", "controller1-cinder-config-file"):
            found[name] = [l.split(" = ")[1] for l in stdin(monitor.named(name)).splitlines()
                           if l.startswith("rbd_secret_uuid = ")]
        for compute in ("compute1", "compute2"):
            s = script(monitor.named(f"{compute}-libvirt-secret-set"))
            found[f"{compute} secret define"] = re.findall(r"<uuid>(.*)</uuid>", s)
            found[f"{compute} secret value"] = re.findall(r"--secret '?([^' ]+)", s)
            assert "private='yes'" in s and "ephemeral='no'" in s
            assert "<name>ceph.client.cinder secret</name>" in s
        assert UUID == dev["ceph"]["libvirt_secret_uuid"]
        assert found == {where: [UUID] for where in found}
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_no_key_or_password_on_a_command_line_or_in_plain_inputs(monitor, dev):
    _, d = deploy(dev)
    keys = [fake_key(c) for c in CLIENTS]

    def check(_):
        for r in monitor.commands():
            for field in ("create", "update", "delete", "script"):
                text = json.dumps(plain(r.inputs.get(field, "")))
                assert not any(k in text for k in keys), f"{r.name}.{field} holds a key"
                assert "PRIVATE KEY" not in text
            # anything holding a key travels as a secret, on stdin or as a file's content
            for raw in list((r.inputs.get("contents") or {}).values()) or [r.inputs.get("stdin")]:
                if raw is not None and any(k in json.dumps(plain(raw)) for k in keys):
                    assert is_secret(raw), f"{r.name} sends a key without marking it secret"
                    assert set(r.secret_outputs) & {"stdin", "contents"}, f"{r.name} would keep the key in state"
            assert is_secret(r.inputs["connection"]), f"{r.name}: SSH connection (private key) not secret"
            if r.type == COMMAND:
                conn = plain(r.inputs["connection"])
                assert conn["hostKey"].startswith("ssh-ed25519 ") and "PRIVATE KEY" in conn["privateKey"], r.name
                if "stdin" in r.inputs:     # a secret on stdin: nothing of the step is logged
                    assert plain(r.inputs["logging"]) == "none", r.name
        # the clients whose key comes back from the cluster: a secret output
        for c in CLIENTS:
            r = monitor.named(f"ceph-client-{c}-ensure")
            assert "key" in r.secret_outputs and "connection" in r.secret_outputs
        for compute in ("compute1", "compute2"):
            r = monitor.named(f"{compute}-libvirt-secret-set")
            assert plain(r.inputs["stdin"]) == fake_key("cinder") and is_secret(r.inputs["stdin"])
            assert "--file" in script(r) and "--base64" not in script(r)
        keyring = files_on(monitor, "controller1-ceph-files")["/etc/ceph/ceph.client.glance.keyring"]
        assert is_secret(keyring.r.inputs["contents"][keyring.path]) and fake_key("glance") in keyring.content
        assert keyring.attrs == {"owner": "root", "group": "glance", "mode": "0640"}
        assert not is_secret(keyring.r.inputs["contents"]["/etc/ceph/ceph.conf"])       # ceph.conf holds no key
        assert files_on(monitor, "compute1-ceph-files")["/etc/ceph/ceph.client.cinder.keyring"].attrs["group"] == "nova"
        # the stack outputs hold no key either (left_behind: host names, paths and SSH errors only)
        assert not any(k in json.dumps({**d.outputs, "left_behind": None}) for k in keys)
        assert isinstance(d.outputs["left_behind"], pulumi.Output)
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_a_file_resource_names_its_secret_files_and_only_one_with_a_secret_does(monitor, dev_full):
    """A refresh reads back the text of a drifted file unless its content is secret (an Output in the program: a key,
    or a certificate made at deploy time): the resources with such a file name them (`secret`), and the others have
    no such input, so that their inputs did not change (an upgrade shows nothing)."""
    _, d = deploy(dev_full)

    def check(_):
        for r in monitor.files():
            listed = plain(r.inputs.get("secret")) or []
            assert {p for p, c in r.inputs["contents"].items() if is_secret(c)} <= set(listed), r.name
            assert listed or "secret" not in r.inputs, r.name
        ceph = files_on(monitor, "controller1-ceph-files")
        assert plain(ceph["/etc/ceph/ceph.conf"].r.inputs["secret"]) == sorted(p for p in ceph if p.endswith(".keyring"))
        nova = files_on(monitor, "compute1-nova")["/etc/nova/nova.conf"]
        assert not is_secret(nova.r.inputs["contents"][nova.path]) and "secret" not in nova.r.inputs
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_a_service_restarts_only_on_its_own_config(monitor, dev):
    p, d = deploy(dev)

    def check(_):
        restarts = {r.name: r for r in monitor.commands() if "-restart-" in r.name}
        assert set(restarts) == {"controller1-cinder-config-restart-cinder-volume",
                                 "controller1-cinder-config-restart-cinder-backup",
                                 "controller1-glance-config-restart-glance-api",
                                 "compute1-nova-config-restart-nova-compute",
                                 "compute2-nova-config-restart-nova-compute"}
        for name, r in restarts.items():
            service = name.split("-config-")[0].split("-", 1)[1]
            # the content's hash, and the file's write (a drift put back restarts too)
            assert plain(r.inputs["triggers"]) == [sha256(p.configs[service]), f"written-{name.split('-restart-')[0]}-file"], name
            service = name.split('-restart-')[1]
            assert script(r).startswith(f"service={service}\nsystemctl restart \"$service\" || true\n")
            # and the step fails, with the service's status, when it does not come back
            assert 'systemctl is-active --quiet "$service"' in script(r) and "exit 1" in script(r)
        # files carry no triggers (a content change is an update), and a step has no update: pulumi-command runs its
        # create again
        for r in monitor.files():
            assert "triggers" not in r.inputs
        for r in monitor.of_kind("step"):    # an input change re-runs a step; a restart only on its triggers
            want = "true" if "-restart-" in r.name else None
            assert plain(r.inputs.get("update")) == want, r.name
    return settled(d.resources).apply(check)


def test_changing_a_nova_option_changes_only_the_nova_restart_trigger(dev):
    def triggers() -> dict:
        return {r.name: plain(r.inputs["triggers"]) for r in registered(lambda: deploy(dev)[1]) if "-restart-" in r.name}
    before = triggers()
    dev["nova"]["hw_disk_discard"] = "ignore"
    after = triggers()
    assert set(after) == set(before) == {"controller1-cinder-config-restart-cinder-volume",
                                         "controller1-cinder-config-restart-cinder-backup",
                                         "controller1-glance-config-restart-glance-api",
                                         "compute1-nova-config-restart-nova-compute",
                                         "compute2-nova-config-restart-nova-compute"}
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {"compute1-nova-config-restart-nova-compute", "compute2-nova-config-restart-nova-compute"}


@pulumi.runtime.test
def test_service_manager_supervisord(monitor, dev):
    dev["service_manager"] = "supervisord"
    dev["service_names"] = {"glance-api": "glance"}
    _, d = deploy(dev)

    def check(_):
        body = script(monitor.named("controller1-glance-config-restart-glance"))
        assert body.startswith("service=glance\npy=$(sed -n '1s/^#! *//p' \"$(command -v supervisorctl)\")\n"
                               "state=$($py - \"$service\" <<")
        assert "rpc.stopProcess(name, False)" in body and 'supervisorctl tail "$service"' in body
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_service_manager_none_restarts_nothing(monitor, dev):
    dev["service_manager"] = "none"
    p, d = deploy(dev)

    def check(_):
        assert [r.name for r in monitor.commands() if "-restart-" in r.name] == []
        for r in monitor.of_kind("step"):
            assert not re.search(r"(systemctl|supervisorctl) restart", script(r)), r.name
        # the configs are still written, whole
        for host, service in (("compute1", "nova"), ("controller1", "cinder"), ("controller1", "glance")):
            assert stdin(monitor.named(f"{host}-{service}-config-file")) == p.configs[service]
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_pools_survive_destroy_unless_the_stack_allows_it(monitor, dev):
    dev["ceph"]["pools"][3]["allow_delete"] = True       # vms
    _, d = deploy(dev)

    def check(_):
        for pool in ("volumes", "images", "backups"):
            r = monitor.named(f"ceph-pool-{pool}-ensure")
            assert r.retain_on_delete and not plain(r.inputs.get("delete")), pool
        vms = monitor.named("ceph-pool-vms-ensure")
        assert not vms.retain_on_delete
        assert "osd pool rm vms vms --yes-i-really-really-mean-it" in plain(vms.inputs["delete"])
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_pool_and_client_scripts_check_state_first(monitor, dev):
    dev["ceph"]["pools"][0].update(pg_num=128)
    _, d = deploy(dev)

    def check(_):
        vol = script(monitor.named("ceph-pool-volumes-ensure"))
        assert vol.index('if [ -z "$detail" ]') < vol.index("osd pool create")   # (tests/ceph/test_pool.py runs it)
        assert "ensure pg_autoscale_mode off" in vol and vol.index("pg_autoscale_mode off") < vol.index("ensure pg_num 128")
        assert "pgp_num" not in vol
        img = script(monitor.named("ceph-pool-images-ensure"))
        assert "ensure pg_autoscale_mode on" in img and "ensure pg_num" not in img
        assert "rbd pool init" in img and "ensure size 3" in img
        cinder = script(monitor.named("ceph-client-cinder-ensure"))
        assert cinder.index('mon "auth get" entity="$c"') < cinder.index("auth get-or-create")
        # every ceph and rbd call is bounded and names the monitors when they do not answer
        for body in (vol, img, cinder):
            assert "ceph() { bounded \"ceph $*\" ceph --cluster ceph --connect-timeout 20 \"$@\"; }" in body
            assert "mons=203.0.113.30\n" in body and "the Ceph monitors ($mons) did not answer within 20 s" in body
            assert "mon() {" in body and "bounded \"ceph $1 ${a[*]#*=}\" $(sed" in body
            assert body.index("bounded()") < body.index('mon "osd pool ls"' if body is not cinder else 'mon "auth get"')
        assert "ceph auth caps \"$c\" mon 'profile rbd' osd 'profile rbd-read-only pool=images, " \
               "profile rbd pool=vms, profile rbd pool=volumes' mgr 'profile rbd pool=vms, profile rbd pool=volumes'" in cinder
        assert "allow class-read" not in cinder and "allow rwx" not in cinder
        assert "get-key" not in cinder    # the key comes with `auth get` (tests/ceph/test_client.py runs the script)
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_ssh_connection_pins_the_host_key(monitor, dev):
    _, d = deploy(dev)

    def check(_):
        conn = plain(monitor.named("compute2-nova-config-file").inputs["connection"])
        assert conn["host"] == "203.0.113.22" and conn["user"] == "root" and conn["port"] == 22
        assert conn["host_key"] == dev["hosts"]["compute2"]["host_key"]
        assert conn["private_key"] == SSH_KEY
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_components_follow_the_naming_and_parenting_convention(monitor, dev):
    _, d = deploy(dev)

    def check(_):
        urns = monitor.by_urn()
        for r in monitor.commands():
            parent = urns[r.parent]
            assert parent.type.startswith("openstack-storage:"), r.name
            assert r.name.startswith(parent.name + "-"), (r.name, parent.name)
    return settled(d.resources).apply(check)


def test_wrong_config_prints_one_error_and_registers_nothing(monitor, dev):
    dev["ceph"]["clients"][0]["caps"]["volumez"] = "rbd"
    stack_config(dev)

    @pulumi.runtime.test
    def run_main():
        with pytest.raises(pulumi.RunError) as e:
            runpy.run_path(str(ROOT / "__main__.py"))
        assert str(e.value) == ("openstack-storage:ceph.clients[cinder].caps.volumez: pool 'volumez' is not "
                                "defined in ceph.pools; add it there or fix the name")
        assert monitor.registrations == []
    run_main()


def test_main_registers_what_the_program_deploys_with_a_valid_config(dev):
    def main():
        stack_config(dev)
        return runpy.run_path(str(ROOT / "__main__.py"))["deployment"]

    def record(registrations) -> list:     # inputs as sent: a secret stays wrapped
        return sorted((r.type, r.name, r.parent, sorted(r.deps), json.dumps(r.inputs, sort_keys=True),
                       sorted(r.secret_outputs)) for r in registrations)
    through_main = record(registered(main))
    direct = record(registered(lambda: deploy(dev)[1]))
    assert through_main == direct
    assert ("openstack-storage:ceph:Pool", "ceph-pool-volumes") in {r[:2] for r in through_main}


def test_main_sends_the_sdks_debug_messages_only_when_asked(dev, monkeypatch):
    """The SDK's debug message per registration step cost the program's thread a wait on the engine each; __main__
    drops them unless OPENSTACK_STORAGE_SDK_DEBUG is set (`pulumi up --debug` is where they show)."""
    sent = {}
    for asked in ("", "1"):
        # stands in for the SDK's sender: what reaches it would have gone to the engine
        monkeypatch.setattr(pulumi.log, "debug", lambda msg, *_, asked=asked, **__: sent.get(asked, []).append(msg))
        monkeypatch.setenv("OPENSTACK_STORAGE_SDK_DEBUG", asked)

        def main():
            stack_config(dev)
            sent[asked] = []        # from here on (the test's own stack resource was registered before)
            return runpy.run_path(str(ROOT / "__main__.py"))["deployment"]
        assert registered(main)
    assert sent[""] == []
    assert any(m.startswith("resource registration successful") for m in sent["1"]), sent["1"][:5]


@pulumi.runtime.test
def test_actions_are_remote_commands_and_only_host_state_is_dynamic(monitor, dev_full, tmp_path):
    """pulumi-command runs every action; the dynamic resources left on hosts are the ones that read them back."""
    dev_full["images"][0] = {"name": "blank", "file": "examples/dev-cloud-ca.pem", "disk_format": "raw"}
    _, d = deploy(dev_full)

    def check(_):
        dynamic = [r for r in monitor.registrations if r.type == "pulumi-python:dynamic:Resource"]
        # on hosts: only what reads itself back; the migration PKI is made where pulumi runs and touches no host, and
        # the backend guard only asks the cloud's API
        assert {plain(r.inputs["kind"]) for r in dynamic if "connection" in r.inputs} == {"file", "ceph-client"}
        assert {plain(r.inputs["kind"]) for r in dynamic if "connection" not in r.inputs} == {
            "ca", "certificates", "backend-guard", "host-secrets"}
        commands = monitor.of_kind("step")
        assert {r.name for r in commands} >= {"ceph-pool-vms-ensure", "compute1-libvirt-secret-set",
                                              "controller1-cinder-config-restart-cinder-volume"}
        pinned = {h["address"]: h["host_key"] for h in dev_full["hosts"].values()}
        for r in commands:      # each pins the key of the host it connects to
            conn = plain(r.inputs["connection"])
            assert conn["hostKey"] == pinned[conn["host"]], r.name
        # pools and clients run on the Ceph admin host, with its pinned key
        assert plain(monitor.named("ceph-pool-vms-ensure").inputs["connection"])["hostKey"] == \
            dev_full["hosts"]["ceph1"]["host_key"]
        prepare = monitor.named("image-blank-prepare")
        assert prepare.type == "command:local:Command"
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_hosts_behind_a_bastion_go_through_it_with_both_keys_pinned(monitor, dev):
    bastion = {"address": "198.51.100.7", "port": 2222, "user": "jump",
               "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdLqGkXbBAnTqyZ7yW3Ghm5bC4X0Zq8kH2y9q3xYbQ1"}
    dev["ssh"]["proxy"] = bastion
    dev["hosts"]["ceph1"]["ssh"] = {"user": "root", "port": 22}        # reached directly: no proxy
    _, d = deploy(dev, {"ssh_private_key": SSH_KEY, "ssh_proxy_private_key": "jump-key-test-only"})

    def check(_):
        via = {"host": "198.51.100.7", "port": 2222.0, "user": "jump", "hostKey": bastion["host_key"],
               "privateKey": "jump-key-test-only"}
        for r in monitor.of_kind("step"):
            conn = plain(r.inputs["connection"])
            if conn["host"] == dev["hosts"]["ceph1"]["address"]:
                assert "proxy" not in conn, r.name
            else:
                assert {k: conn["proxy"].get(k) for k in via} == via, r.name
        # the read-back resources take the same way
        f = plain(monitor.named("compute1-nova-config-file").inputs["connection"])
        assert f["proxy"] == {"host": "198.51.100.7", "port": 2222, "user": "jump", "host_key": bastion["host_key"],
                              "private_key": "jump-key-test-only", "name": "the bastion of compute1",
                              "timeout": 10, "attempts": 3}
        assert "proxy" not in plain(monitor.named("ceph-client-cinder-ensure").inputs["connection"])
    return settled(d.resources).apply(check)


def test_a_bastion_needs_a_pinned_host_key(dev):
    dev["ssh"]["proxy"] = {"address": "198.51.100.7", "host_key": "ssh-rsa"}
    assert config_error(dev).startswith("openstack-storage:ssh.proxy.host_key:")


@pulumi.runtime.test
def test_connection_bounds_come_from_the_stack(monitor, dev):
    dev["ssh"].update(connect_timeout=4, connect_attempts=2)
    _, d = deploy(dev)

    def check(_):
        for r in monitor.of_kind("step"):
            conn = plain(r.inputs["connection"])
            assert (conn["perDialTimeout"], conn["dialErrorLimit"]) == (4, 2), r.name
        f = plain(monitor.named("compute1-nova-config-file").inputs["connection"])
        assert (f["timeout"], f["attempts"], f["name"]) == (4, 2, "host compute1")
    return settled(d.resources).apply(check)


# The components that run scripts, per stack: steps on hosts, the image's step here, and the read-back resources
# (files, cephx users), whose providers run scripts of their own to write and to read.
SCRIPT_OWNERS = {"ceph:Pool", "ceph:Client", "ceph:Conf", "services:CinderConfig", "services:GlanceConfig",
                 "cloud:Image", "libvirt:Config", "libvirt:Pki", "libvirt:Secret", "services:NovaConfig",
                 "libvirt:LiveMigration"}
STORAGE_OWNERS = {"storage:GlusterdConfig", "storage:GlusterVolume", "storage:NfsServer", "services:ServiceConfig",
                  "storage:IdAgreement", "storage:InstancesMount", "storage:LvmBackend", "storage:FileVolumeAccess"}


def every_script(monitor) -> dict[str, tuple]:
    """`resource.what` -> (its registration, the script): the steps' create and delete, and what the providers of
    files and cephx users run to write and to read back."""
    from components.core.hoststate import caps_script, read_script, write_script
    out = {}
    for r in monitor.registrations:
        props, kind = plain(r.inputs), plain(r.inputs.get("kind"))
        if r.type in (COMMAND, LOCAL):
            out.update({f"{r.name}.{field}": (r, script(r, field)) for field in ("create", "delete") if props.get(field)})
        elif kind == "file":
            out.update({f"{r.name}.write": (r, write_script(props)), f"{r.name}.read": (r, read_script(props))})
        elif kind == "ceph-client":
            out.update({f"{r.name}.ensure": (r, props["script"]),
                        f"{r.name}.read": (r, caps_script(props["cli"], props["name"]))})
    return out


@pytest.mark.parametrize("stack,manager,owners", [
    ("dev_full", "systemd", SCRIPT_OWNERS), ("dev_full", "supervisord", SCRIPT_OWNERS),
    ("shared", "systemd", SCRIPT_OWNERS - {"cloud:Image"} | STORAGE_OWNERS),
    ("lab", "supervisord", SCRIPT_OWNERS - {"cloud:Image"} | STORAGE_OWNERS)])
@pulumi.runtime.test
def test_every_generated_script_is_valid_bash(monitor, stack, manager, owners, request):
    import subprocess
    cfg = request.getfixturevalue(stack)
    cfg["service_manager"] = manager
    if stack == "dev_full":
        cfg["images"][0] = {"name": "blank", "file": "examples/dev-cloud-ca.pem", "disk_format": "raw"}
    _, d = deploy(cfg)

    def check(_):
        scripts, urns = every_script(monitor), monitor.by_urn()
        # every kind of component that runs a script is among them
        assert {urns[r.parent].type.split(":", 1)[1] for r, _ in scripts.values()} == owners
        for name, (_, body) in scripts.items():
            checked = subprocess.run(["bash", "-n"], input=body, capture_output=True, text=True)
            assert checked.returncode == 0, f"{name}: {checked.stderr}\n{body}"
    return settled(d.resources).apply(check)
