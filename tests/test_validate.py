"""Every rendered cinder.conf, glance-api.conf and nova.conf passes validate/check.py: the stock oslo-config-validator
against the option data of the pinned cinder, glance and nova (validate/requirements.txt), backend sections
checked with their backend option set, plus values and deprecated-for-removal options; and so for every release
validate/releases lists, each stack rendered for that release checked in that release's virtualenv. validate/build.sh
builds the tooling once per session; when it fails, every test here fails with its output."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from components import program
from components.config import options as optcheck
from conftest import validate_releases
from harness import encode

pytestmark = pytest.mark.validate

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("cinder", "glance", "nova")
RELEASES = list(validate_releases())
LAB_RELEASE = RELEASES[0]


@pytest.fixture(scope="session")
def check(tmp_path_factory, validate_tooling):
    """check(service, text, release) -> (exit code, problem lines, summary), with the tooling built first."""
    workdir = tmp_path_factory.mktemp("validate")
    count = iter(range(1000))

    def run(service: str, text: str, release: str = LAB_RELEASE):
        path = workdir / f"{next(count)}-{service}.conf"
        path.write_text(text)
        python = validate_tooling[release] / "bin" / "python"
        c = subprocess.run([str(python), str(ROOT / "validate" / "check.py"), service, str(path)],
                           capture_output=True, text=True, timeout=300)
        return c.returncode, c.stdout.splitlines(), c.stderr.strip()
    return run


def _host_key(name: str) -> str:
    """A well-formed ed25519 public key, different per host."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + hashlib.sha256(name.encode()).digest()
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


LAB_ADDRESSES = {"controller": "10.77.0.10", "compute1": "10.77.0.21", "compute2": "10.77.0.22",
                 "storage1": "10.77.0.31", "storage2": "10.77.0.32"}


def dev_stack(request, release: str = LAB_RELEASE) -> program.Plan:
    """The example environment, Pulumi.dev.yaml, as the engine hands it over (secrets are only known as set)."""
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()
              if not (isinstance(v, dict) and "secure" in v)}
    values["openstack-storage:release"] = release
    return program.plan(values, {"ssh_private_key", "openstack_password"}, root=ROOT)


def shared_stack(request, release: str = LAB_RELEASE) -> program.Plan:
    """The four-backend stack (Ceph, NFS, GlusterFS through NFS-Ganesha, LVM) of the `shared` fixture."""
    return program.plan(encode({**request.getfixturevalue("shared"), "release": release}), {"ssh_private_key"},
                        root=ROOT)


def lab_stack(request, release: str = LAB_RELEASE) -> program.Plan:
    """The lab stack as lab/stack.py writes it, for a lab with these addresses, host keys, fsid and monitor (its
    image is left out: the file exists only on a running lab, and no service config depends on it)."""
    from stack import stack_config      # lab/stack.py
    names = [*yaml.safe_load((ROOT / "lab" / "stack.yaml").read_text())["openstack-storage:hosts"], "compute1", "compute2"]
    lab = {"hosts": {n: {"address": LAB_ADDRESSES.get(n, "10.77.0.99"), "host_key": _host_key(n)} for n in names},
           "ceph": {"fsid": "0b7d3c52-6a1e-4f8b-9d2c-3e5f7a9b1c4d", "mon_host": ["10.77.0.31"]},
           "cinder_ids": {"uid": 999, "gid": 995}, "nova_ids": {"uid": 994, "gid": 993}}
    values = stack_config(lab)
    values.pop("openstack-storage:images")
    values["openstack-storage:release"] = release
    return program.plan({k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()},
                        {"ssh_private_key", "openstack_password"}, root=ROOT)


STACKS = {"dev": dev_stack, "shared": shared_stack, "lab": lab_stack}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("release", RELEASES)
def test_rendered_config_passes(check, request, release, stack, service):
    configs = STACKS[stack](request, release).configs
    assert service in configs, f"the {stack} stack renders no {service} config: nothing would be validated"
    code, problems, summary = check(service, configs[service], release)
    assert (code, problems) == (0, []), f"{release} {stack} {service}:\n" + "\n".join(problems) + f"\n{summary}"
    assert f"against {service} {optcheck.load(release, service)['version']}" in summary


def test_every_backend_section_is_checked_with_the_backend_option_set(check, request):
    code, problems, summary = check("cinder", shared_stack(request).configs["cinder"])
    assert code == 0, problems
    assert "{'ceph': 'backend_defaults', 'nfs': 'backend_defaults', 'gluster': 'backend_defaults', " \
           "'lvm': 'backend_defaults'}" in summary
    code, problems, summary = check("glance", shared_stack(request).configs["glance"])
    assert (code, problems) == (0, []), problems
    assert "{'rbd': 'glance.store.rbd.store'}" in summary


def add_to_section(text: str, section: str, line: str) -> str:
    """The config with `line` appended to [section] (last, so it is the value oslo.config uses), or with a new
    section holding it."""
    lines = text.splitlines()
    if f"[{section}]" not in lines:
        return text + f"\n[{section}]\n{line}\n"
    start = lines.index(f"[{section}]") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    return "\n".join(lines[:end] + [line] + lines[end:]) + "\n"


@pytest.mark.parametrize("service, section, line, expected", [
    # unknown options, the stock validator's part; backend sections have the backend option set and no other
    ("cinder", "ceph", "rbd_pol = volumes", "ERROR: ceph/rbd_pol is not part of the sample config"),
    ("cinder", "lvm", "volume_grup = cinder-volumes", "ERROR: lvm/volume_grup is not part of the sample config"),
    ("cinder", "lvm2", "volume_group = cinder-volumes",      # a section enabled_backends does not name
     "ERROR: lvm2/volume_group is not part of the sample config"),
    ("cinder", "DEFAULT", "rbd_pool = volumes", "ERROR: DEFAULT/rbd_pool is not part of the sample config"),
    ("glance", "rbd", "rbd_store_pol = images", "ERROR: rbd/rbd_store_pol is not part of the sample config"),
    ("glance", "rbd", "filesystem_store_datadir = /srv",    # another store type's option
     "ERROR: rbd/filesystem_store_datadir is not part of the sample config"),
    ("nova", "libvirt", "image_type = rbd", "ERROR: libvirt/image_type is not part of the sample config"),
    # a deprecated option name (the stock validator's warning, made fatal)
    ("cinder", "ceph", "iscsi_secondary_ip_addresses = 10.0.0.5",
     "WARNING: Deprecated opt ceph/iscsi_secondary_ip_addresses found"),
    # values: type, choices, min
    ("cinder", "ceph", "rbd_max_clone_depth = many",
     "ERROR: ceph/rbd_max_clone_depth = 'many' is not a valid integer value"),
    ("cinder", "ceph", "rbd_flatten_volume_from_snapshot = ja",
     "ERROR: ceph/rbd_flatten_volume_from_snapshot = 'ja' is not a valid boolean value"),
    ("cinder", "lvm", "target_helper = tgt",
     "ERROR: lvm/target_helper = 'tgt' is not a valid string value: Valid values are [tgtadm, lioadm"),
    ("glance", "rbd", "rbd_store_chunk_size = 8M",
     "ERROR: rbd/rbd_store_chunk_size = '8M' is not a valid integer value"),
    ("nova", "libvirt", "images_type = rdb",
     "ERROR: libvirt/images_type = 'rdb' is not a valid string value: Valid values are [raw, flat, qcow2, lvm, rbd"),
    ("nova", "libvirt", "inject_partition = -3",
     "ERROR: libvirt/inject_partition = '-3' is not a valid integer value: Should be greater than or equal to -2"),
    # deprecated for removal
    ("nova", "libvirt", "live_migration_uri = qemu+tls://%s/system",
     "ERROR: libvirt/live_migration_uri is deprecated for removal since 15.0.0"),
    ("glance", "glance_store", "default_store = rbd", "ERROR: glance_store/default_store is deprecated for removal"),
    ("cinder", "ceph", "iser_helper = tgtadm", "ERROR: ceph/iser_helper is deprecated for removal since 2025.1"),
])
def test_the_check_fails_naming_the_option(check, request, service, section, line, expected):
    text = add_to_section(shared_stack(request).configs[service], section, line)
    code, problems, summary = check(service, text)
    assert code == 1, f"{service}: [{section}] {line} passed: {summary}"
    assert len(problems) == 1 and problems[0].startswith(expected), "\n".join(problems)


def test_an_unparsable_file_fails(check):
    code, problems, _ = check("cinder", "[DEFAULT]\nenabled_backends ceph\n")
    assert code == 1 and "No ':' or '=' found in assignment" in problems[0], problems
