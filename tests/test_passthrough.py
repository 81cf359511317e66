"""Pass-through options (cinder.options, cinder.backends[].options, glance.options, nova.options) are checked
against the option data the program ships for the stack's release, before any resource: one ConfigError naming the
stack key and the option; a release without data is a warning, not an error and not a silent pass."""
import runpy
import subprocess
import warnings
from pathlib import Path

import pulumi
import pytest

from components.config import options as optcheck
from components.config import ConfigWarning, load
from conftest import validate_releases
from harness import config_error, encode, settled, stack_config, text

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "openstack-storage:"
VALID = {
    "nova": {"libvirt": {"images_type": "rbd", "live_migration_downtime": 500, "cpu_mode": "host-passthrough"},
             "DEFAULT": {"debug": True, "my_ip": "203.0.113.21"}, "vnc": {"novncproxy_base_url": "https://vnc:6080"}},
    "cinder": {"DEFAULT": {"osapi_volume_workers": 2, "debug": "Yes", "backup_compression_algorithm": "zstd"},
               "ceph": {"report_discard_supported": True}},
    "glance": {"DEFAULT": {"image_size_cap": 1 << 40}, "taskflow_executor": {"max_workers": 4}, "rbd": {"rbd_store_chunk_size": 8},
               "glance_store": {"default_backend": "rbd"}},
}


def set_options(stack: dict, service: str, section: str, option: str, value) -> dict:
    stack[service].setdefault("options", {}).setdefault(section, {})[option] = value
    return stack


def loads(stack: dict):
    return load(encode(stack), {"ssh_private_key", "openstack_password"})


def test_valid_options_of_each_service_pass(dev_full):
    for service, options in VALID.items():
        dev_full[service]["options"] = options
    dev_full["cinder"]["backends"][0]["options"] = {"rbd_exclusive_cinder_pool": False, "reserved_percentage": 5}
    dev_full["images"] = []
    cfg = loads(dev_full)
    assert cfg.nova.options["libvirt"]["images_type"] == "rbd"


CASES = [
    ("unknown option, with the near miss", "nova", "libvirt", "images_tipe", "rbd",
     "nova.options.libvirt.images_tipe: unknown option [libvirt] images_tipe in nova 34.0.0 (release 2026.2); "
     "did you mean images_type?"),
    ("unknown option, nothing close", "cinder", "DEFAULT", "zzz_qqq", 1,
     "cinder.options.DEFAULT.zzz_qqq: unknown option [DEFAULT] zzz_qqq in cinder 29.0.0 (release 2026.2)"),
    ("a backend option outside a backend section", "cinder", "DEFAULT", "rbd_pool", "volumes",
     "cinder.options.DEFAULT.rbd_pool: unknown option [DEFAULT] rbd_pool in cinder 29.0.0 (release 2026.2); "
     "it is an option of [ceph]"),
    ("unknown section", "nova", "libvrt", "images_type", "rbd",
     "nova.options.libvrt: unknown section [libvrt] in nova 34.0.0 (release 2026.2); did you mean libvirt?"),
    ("not an integer", "cinder", "DEFAULT", "osapi_volume_workers", "many",
     "cinder.options.DEFAULT.osapi_volume_workers: 'many' is not an integer"),
    ("not a boolean", "cinder", "DEFAULT", "debug", "maybe",
     "cinder.options.DEFAULT.debug: 'maybe' is not a boolean"),
    ("not a number", "nova", "DEFAULT", "cpu_allocation_ratio", "lots",
     "nova.options.DEFAULT.cpu_allocation_ratio: 'lots' is not a number"),
    ("below the minimum", "nova", "libvirt", "inject_partition", -3,
     "nova.options.libvirt.inject_partition: -3 is below the minimum -2"),
    ("above the maximum", "cinder", "ceph", "reserved_percentage", 101,
     "cinder.options.ceph.reserved_percentage: 101 is above the maximum 100"),
    ("a port out of range", "glance", "DEFAULT", "pydev_worker_debug_port", 70000,
     "glance.options.DEFAULT.pydev_worker_debug_port: 70000 is above the maximum 65535"),
    ("not among the choices", "nova", "libvirt", "virt_type", "xen",
     "nova.options.libvirt.virt_type: 'xen' is not one of: kvm, lxc, qemu, parallels"),
    ("a dict that is not key:value", "nova", "DEFAULT", "reserved_huge_pages", "node:0,size:2048,count",
     "nova.options.DEFAULT.reserved_huge_pages: 'count' is not key:value (a dict is written k1:v1,k2:v2)"),
    ("an option in the wrong section", "nova", "DEFAULT", "vendordata_dynamic_targets", "a@http://v",
     "nova.options.DEFAULT.vendordata_dynamic_targets: unknown option [DEFAULT] vendordata_dynamic_targets in nova "
     "34.0.0 (release 2026.2); it is an option of [api]"),
    ("not a host domain", "nova", "libvirt", "live_migration_inbound_addr", "compute1/24",
     "nova.options.libvirt.live_migration_inbound_addr: 'compute1/24' is not an IP address or host name"),
    ("not a host address", "cinder", "DEFAULT", "my_ip", "controller 1",
     "cinder.options.DEFAULT.my_ip: 'controller 1' is not an IP address or host name"),
    ("not a URI", "nova", "vnc", "novncproxy_base_url", "vnc.example:6080",
     "nova.options.vnc.novncproxy_base_url: 'vnc.example:6080' is not a URI with a scheme and a host"),
    ("deprecated for removal", "nova", "libvirt", "live_migration_tunnelled", True,
     "nova.options.libvirt.live_migration_tunnelled: deprecated for removal in nova 34.0.0 (release 2026.2), "
     "since 23.0.0: The \"tunnelled live migration\" has two inherent limitations"),
    ("an old name", "nova", "DEFAULT", "vnc_enabled", True,
     "nova.options.DEFAULT.vnc_enabled: [DEFAULT] vnc_enabled is the old name of [vnc] enabled in nova 34.0.0 "
     "(release 2026.2); use that"),
    ("glance store section: another store type's option", "glance", "rbd", "filesystem_store_datadir", "/srv",
     "glance.options.rbd.filesystem_store_datadir: unknown option [rbd] filesystem_store_datadir in glance 33.0.0"),
    ("glance store section: below the minimum", "glance", "rbd", "rbd_store_chunk_size", 0,
     "glance.options.rbd.rbd_store_chunk_size: 0 is below the minimum 1"),
    ("glance: deprecated for removal", "glance", "glance_store", "default_store", "rbd",
     "glance.options.glance_store.default_store: deprecated for removal in glance 33.0.0"),
]


@pytest.mark.parametrize("service,section,option,value,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_option_is_one_error_naming_its_key(dev, service, section, option, value, expected):
    message = config_error(set_options(dev, service, section, option, value))
    assert message.startswith(PREFIX + expected), message
    assert "\n" not in message


@pytest.mark.parametrize("option,value,expected", [
    ("rbd_max_clone_depth", "many", "cinder.backends[ceph].options.rbd_max_clone_depth: 'many' is not an integer"),
    ("rbd_pol", "volumes", "cinder.backends[ceph].options.rbd_pol: unknown option [ceph] rbd_pol in cinder 29.0.0 "
                           "(release 2026.2); did you mean rbd_pool?"),
    ("iser_helper", "tgtadm", "cinder.backends[ceph].options.iser_helper: deprecated for removal in cinder 29.0.0 "
                              "(release 2026.2), since 2025.1: Has been unused since the Havana release."),
    ("iscsi_secondary_ip_addresses", "10.0.0.5", "cinder.backends[ceph].options.iscsi_secondary_ip_addresses: "
     "[ceph] iscsi_secondary_ip_addresses is the old name of [ceph] target_secondary_ip_addresses"),
])
def test_backend_options_are_checked_as_a_backend_section(dev, option, value, expected):
    dev["cinder"]["backends"][0]["options"] = {option: value}
    message = config_error(dev)
    assert message.startswith(PREFIX + expected), message


@pytest.mark.parametrize("kind,value,expected", [
    ({"t": "int", "min": 1}, True, "'true' is not an integer"),
    ({"t": "int", "c": [0, 1]}, 2, "2 is not one of: 0, 1"),
    ("bool", "On", None), ("bool", 0, None), ("bool", "2", "'2' is not a boolean (true/false, yes/no, on/off, 1/0)"),
    ("port", -1, "-1 is below the minimum 0"), ("port", "8080", None),
    ("dict", "a:1,b", "'b' is not key:value (a dict is written k1:v1,k2:v2)"), ("dict", "a:1,b:2", None),
    ("host", "compute_1.example", None), ("host", "2001:db8::1", None), ("host", "a b", "'a b' is not an IP address or host name"),
    ("ip", "10.0.0.300", "'10.0.0.300' is not an IP address"),
    ("list", ["a", 1], None), ("str", "$my_ip", None), ({"t": "int", "min": 1}, "$workers", None),
    ("uri", "http://glance:9292", None), ({"t": "float", "max": 1.5}, 2, "2.0 is above the maximum 1.5"),
])
def test_value_problem(kind, value, expected):
    assert optcheck.value_problem(kind, value) == expected


def test_a_release_without_data_warns_and_does_not_stop(dev):
    dev["release"] = "2025.1"
    set_options(dev, "nova", "libvirt", "images_tipe", "rbd")
    with pytest.warns(ConfigWarning) as caught:
        loads(dev)
    assert [str(w.message) for w in caught] == [
        "openstack-storage:release: the program ships no option data for release 2025.1 (only 2026.1, 2026.2): "
        "nova.options.libvirt not checked"]


@pulumi.runtime.test
def test_the_program_shows_the_warning_in_pulumi_and_goes_on(monitor, dev, monkeypatch):
    stack_config(set_options({**dev, "release": "2025.1"}, "nova", "libvirt", "images_tipe", "rbd"))
    shown = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: shown.append(message))
    main = runpy.run_path(str(ROOT / "__main__.py"))

    def check(_):
        assert shown == ["openstack-storage:release: the program ships no option data for release 2025.1 "
                         "(only 2026.1, 2026.2): nova.options.libvirt not checked"]
        # and goes on: nova.conf is written with the option it could not check
        assert "images_tipe = rbd" in text(monitor.named("compute1-nova-config-file")).splitlines()
    return settled(main["deployment"].resources).apply(check)


def test_no_warning_without_pass_through_options_or_with_data(dev):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        loads({**dev, "release": "2025.1"})
        loads({**set_options(dev, "nova", "libvirt", "images_type", "rbd"), "release": "hibiscus"})


@pytest.mark.validate
@pytest.mark.parametrize("release", validate_releases())
def test_shipped_data_is_what_the_generator_writes_from_the_pins(validate_tooling, release):
    """Each release of validate/releases is shipped, its data is its locked pins' (validate/requirements*.txt), and
    the files are exactly what validate/optdata.py writes from them in that release's virtualenv."""
    pins_file, _ = validate_releases()[release]
    pins = dict(line.strip().split("==") for line in pins_file.read_text().splitlines()
                if line.strip() and not line.startswith("#"))
    assert optcheck.shipped() == sorted(validate_releases())
    for service in ("cinder", "glance", "nova"):
        assert optcheck.load(release, service)["version"] == pins[service]
    python = validate_tooling[release] / "bin" / "python"
    r = subprocess.run([str(python), str(ROOT / "validate" / "optdata.py"), "--release", release, "--check"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
