"""A change of the stack's `release` (issue 30, item 5): the program ships the option data of 2026.1 and 2026.2, so a
pass-through option the target release removed or renamed stops the preview with one ConfigError naming the stack key
and the replacement, before any resource; every file is rendered again with the target release's names; and every
option the templates write from typed keys exists, under that name, in each shipped release's data."""
import configparser
import re
from pathlib import Path

import pytest

from components.config import options as optcheck
from harness import config_error, plan

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "openstack-storage:"


def with_option(stack: dict, release: str, service: str, section: str, option: str, value) -> dict:
    stack = {**stack, "release": release}
    if service == "cinder" and section == "ceph":       # the example stack's backend section
        stack["cinder"]["backends"][0]["options"] = {option: value}
    else:
        stack[service].setdefault("options", {}).setdefault(section, {})[option] = value
    return stack


def test_an_option_of_2026_1_passes_there_and_is_written(dev):
    p = plan(with_option(dev, "2026.1", "cinder", "DEFAULT", "image_conversion_cpu_limit", 4))
    assert "image_conversion_cpu_limit = 4" in p.configs["cinder"].splitlines()


# Options 2026.1 takes that 2026.2 does not: (case, service, section, option, value, the error at 2026.2).
TO_2026_2 = [
    ("renamed", "cinder", "DEFAULT", "image_conversion_cpu_limit", 4,
     "cinder.options.DEFAULT.image_conversion_cpu_limit: [DEFAULT] image_conversion_cpu_limit is the old name of "
     "[DEFAULT] image_introspection_cpu_limit in cinder 29.0.0 (release 2026.2), deprecated for removal since "
     "2026.2/Hibiscus; use that"),
    ("removed", "glance", "DEFAULT", "bind_port", 9292,
     "glance.options.DEFAULT.bind_port: [DEFAULT] bind_port was removed in glance 33.0.0 (release 2026.2); "
     "glance 32.0.0 (release 2026.1) has it; remove it"),
    ("removed from a backend section", "cinder", "ceph", "flashsystem_iscsi_portid", 1,
     "cinder.backends[ceph].options.flashsystem_iscsi_portid: [ceph] flashsystem_iscsi_portid was removed in "
     "cinder 29.0.0 (release 2026.2); cinder 28.0.0 (release 2026.1) has it; remove it"),
    ("a section removed", "nova", "os_vif_linux_bridge", "use_ipv6", True,
     "nova.options.os_vif_linux_bridge: section [os_vif_linux_bridge] was removed in nova 34.0.0 (release 2026.2); "
     "nova 33.0.2 (release 2026.1) has it; remove it"),
    ("deprecated for removal in 2026.2", "nova", "profiler_jaeger", "process_tags", "a:b",
     "nova.options.profiler_jaeger.process_tags: deprecated for removal in nova 34.0.0 (release 2026.2)"),
]


@pytest.mark.parametrize("service,section,option,value,expected", [c[1:] for c in TO_2026_2],
                         ids=[c[0] for c in TO_2026_2])
def test_switching_to_2026_2_stops_on_what_it_removed_or_renamed(dev, service, section, option, value, expected):
    plan(with_option(dev, "2026.1", service, section, option, value))        # passes at 2026.1
    message = config_error(with_option(dev, "2026.2", service, section, option, value))
    assert message.startswith(PREFIX + expected), message
    assert "\n" not in message


def test_a_removed_option_is_named_with_its_replacement():
    """An option a release removed after renaming it: the earlier release's new name, where the target has it."""
    glance = optcheck.Service(optcheck.load("2026.2", "glance"), "2026.2", {}, optcheck.others("2026.2", "glance"))
    assert glance.problem("keystone_authtoken", "auth_uri", "https://keystone:5000") == (
        "[keystone_authtoken] auth_uri was removed in glance 33.0.0 (release 2026.2); glance 32.0.0 (release 2026.1) "
        "has it; use [keystone_authtoken] www_authenticate_uri")


def test_switching_back_names_the_earlier_release_name(dev):
    stack = with_option(dev, "2026.2", "cinder", "DEFAULT", "image_introspection_cpu_limit", 4)
    plan(stack)
    assert config_error({**stack, "release": "2026.1"}).startswith(
        PREFIX + "cinder.options.DEFAULT.image_introspection_cpu_limit: [DEFAULT] image_introspection_cpu_limit is "
        "new in cinder 29.0.0 (release 2026.2); cinder 28.0.0 (release 2026.1) does not have it; in release 2026.1 use "
        "[DEFAULT] image_conversion_cpu_limit")


def test_a_release_switch_renders_every_file_with_the_release_names(shared):
    """The same stack at 2026.1 and, its renamed option renamed, at 2026.2: the files differ in that line only (the
    templates' own options have the same names in both releases: the test below)."""
    old = plan(with_option(shared, "2026.1", "cinder", "DEFAULT", "image_conversion_cpu_limit", 4))
    shared["cinder"]["options"] = {}
    new = plan(with_option(shared, "2026.2", "cinder", "DEFAULT", "image_introspection_cpu_limit", 4))
    assert old.files.keys() == new.files.keys()
    changed = {(host, path) for host in old.files for path in old.files[host]
               if old.files[host][path] != new.files[host][path]}
    assert changed and {path for _, path in changed} == {"/etc/cinder/cinder.conf"}
    for host, path in changed:
        before, after = old.files[host][path].content.splitlines(), new.files[host][path].content.splitlines()
        assert [(a, b) for a, b in zip(before, after) if a != b] == [
            ("image_conversion_cpu_limit = 4", "image_introspection_cpu_limit = 4")]


# What the templates write only for releases before Ocata, which have no shipped data.
BEFORE_OCATA = {"cinder": {"glusterfs_shares_config", "glusterfs_mount_point_base"},
                "nova": {"live_migration_uri", "live_migration_flag", "qemu_allowed_storage_drivers"}, "glance": set()}
TEMPLATES = {"cinder": "cinder.conf.j2", "glance": "glance-api.conf.j2", "nova": "nova.conf.j2"}


def every_typed_key(stack: dict) -> dict:
    """The four-backend stack with the typed keys it leaves unset that make a template write one more option."""
    stack["instances_share"]["instances_path"] = "/srv/nova/instances"
    next(b for b in stack["cinder"]["backends"] if b.get("type") == "lvm")["target_ip_address"] = "203.0.113.12"
    return stack


def written(text: str) -> list[tuple[str, str, str]]:
    parser = configparser.RawConfigParser(default_section="\0", interpolation=None, strict=True)
    parser.optionxform = str
    parser.read_string(text)
    return [(s, o, v) for s in parser.sections() for o, v in parser[s].items()]


@pytest.mark.parametrize("release", optcheck.shipped())
def test_every_option_a_template_writes_is_in_the_release_data(shared, release):
    """Each cinder.conf, glance-api.conf and nova.conf option the templates write is a current option of that
    release (not unknown, an old name or deprecated for removal), checked as a pass-through option is; and the
    stack writes every option its template can, but those of releases before Ocata."""
    p = plan({**every_typed_key(shared), "release": release})
    for service, template in TEMPLATES.items():
        data, options = optcheck.load(release, service), written(p.configs[service])
        templates = ({s: "backend_defaults" for s, _, _ in options if s != "DEFAULT"} if service == "cinder" else
                     {shared["glance"].get("store", "rbd"): data["stores"]["rbd"]} if service == "glance" else {})
        svc = optcheck.Service(data, release, templates)
        assert [(s, o, svc.problem(s, o, v)) for s, o, v in options if svc.problem(s, o, v)] == [], template
        source = (ROOT / "templates" / template).read_text()
        names = set(re.findall(r"^([a-z_]+) = ", source, re.M)) | set(re.findall(r'"([a-z_]+)": ', source))
        assert names - {o for _, o, _ in options} == BEFORE_OCATA[service], template
