"""The parse-back of every rendered file (components/plan/render.py, fileformats.py): a value that would change a
file's structure fails the render, whatever let it through, and a plain value renders as before. The values here
are built past the config's types on purpose (model_construct): this is the second wall, tested on its own."""
import pytest

from components.config import NfsExport
from components.plan import fileformats
from components.plan.render import Extra, StructureError, render, render_ini
from components.plan.libvirt import render_libvirtd
from components.plan.storage import render_ganesha


def export(**fields) -> NfsExport:
    base = {"name": "x", "host": "h", "server": "ganesha", "path": "/srv/x", "gluster_volume": None, "pseudo": None,
            "clients": ["10.0.0.0/24"], "no_root_squash": False, "owner": None}
    return NfsExport.model_construct(**{**base, **fields})


def test_ganesha_a_quote_in_a_path_cannot_add_an_export():
    assert 'Path = "/srv/x";' in render_ganesha([export()], {})
    with pytest.raises(StructureError, match="ganesha.conf.j2"):
        render_ganesha([export(path='/srv/x"; } EXPORT { Export_Id = 9; Path = "/')], {})


def test_ganesha_a_client_cannot_bring_its_own_options():
    with pytest.raises(StructureError):
        render_ganesha([export(clients=["10.0.0.0/24; Squash = No_Root_Squash"])], {})
    with pytest.raises(StructureError):
        render_ganesha([export(clients=["10.0.0.0/24, *"])], {})


def test_ganesha_options_cannot_close_their_block():
    assert "Graceless = true;" in render_ganesha([export()], {"NFSv4": {"Graceless": True}})
    with pytest.raises(StructureError):
        render_ganesha([export()], {"NFSv4": {"Graceless": "true; } EXPORT { Path = /"}})


def test_exports_a_client_cannot_add_a_client_or_options():
    plain = render("exports.j2", export=export(server="kernel"))
    assert fileformats.exports(plain) == (("/srv/x", (("10.0.0.0/24", ("rw", "sync", "no_subtree_check",
                                                                        "root_squash")),)),)
    for client in ("10.0.0.0/24(rw,no_root_squash) *", "10.0.0.0/24(rw)", "10.0.0.0/24\n/ *(rw)"):
        with pytest.raises(StructureError, match="exports.j2"):
            render("exports.j2", export=export(server="kernel", clients=[client]))


@pytest.mark.parametrize("value", ["true\n[evil]\nx = 1", "true\n  continued", "x\rdebug = true"])
def test_ini_a_value_cannot_add_a_line_a_section_or_a_continuation(value):
    with pytest.raises(StructureError, match="glance-api.conf.j2"):
        render_ini("glance-api.conf.j2", "glance", {"DEFAULT": {"debug": value}}, glance=GLANCE, ceph_conf="/e/c")


def test_ini_an_option_name_or_section_cannot_carry_structure():
    with pytest.raises(StructureError):
        render_ini("glance-api.conf.j2", "glance", {"DEFAULT": {"a = 1\n[b]\nc": 2}}, glance=GLANCE, ceph_conf="/e/c")
    with pytest.raises(StructureError):
        render_ini("glance-api.conf.j2", "glance", {"x]\n[y": {"a": 1}}, glance=GLANCE, ceph_conf="/e/c")


def test_ini_a_plain_value_renders_and_parses_as_written():
    text = render_ini("glance-api.conf.j2", "glance", {"DEFAULT": {"debug": "a = b; c # d"}}, glance=GLANCE,
                      ceph_conf="/etc/ceph/ceph.conf")
    assert dict(dict(fileformats.ini(text))["DEFAULT"])["debug"] == "a = b; c # d"


def test_ceph_conf_a_client_option_cannot_add_a_global_setting():
    from components.config import Ceph
    ceph = Ceph.model_construct(fsid="f", mon_host=["10.0.0.1"])
    assert "rbd_cache = true" in render("ceph.conf.j2", ceph=ceph, client={"rbd_cache": True})
    with pytest.raises(StructureError, match="ceph.conf.j2"):
        render("ceph.conf.j2", ceph=ceph, client={"rbd_cache": "true\n[global]\nauth_client_required = none"})


def test_libvirtd_conf_a_group_cannot_close_its_quote():
    from components.config import Migration
    assert 'unix_sock_group = "libvirt"' in render_libvirtd(Migration())
    with pytest.raises(StructureError, match="libvirtd.conf.j2"):
        render_libvirtd(Migration.model_construct(transport="tls", socket_group='libvirt"\nauth_unix_rw = "none'))


def test_the_libvirt_secret_xml_keeps_its_elements():
    assert "<name>ceph.client.nova secret</name>" in render("libvirt-secret.xml.j2", uuid="u", usage="ceph.client.nova secret")
    with pytest.raises(StructureError, match="libvirt-secret.xml.j2"):
        render("libvirt-secret.xml.j2", uuid="u", usage="x</name></usage><usage type='iscsi'><name>y")


def test_line_files_keep_one_entry_a_line():
    assert render("tgt-cinder.conf.j2", volumes_dir="/var/lib/cinder/volumes").endswith("include /var/lib/cinder/volumes/*\n")
    with pytest.raises(StructureError):
        render("tgt-cinder.conf.j2", volumes_dir="/x\ninclude /etc")
    with pytest.raises(StructureError):
        render("idmapd.conf.j2", domain="cloud\n[Mapping]\nNobody-User = root")
    assert fileformats.expect_fields("a b\n", 2, "x") == "a b\n"
    with pytest.raises(ValueError, match="fstab"):
        fileformats.expect_fields("a b c d e f g\n", 6, "the fstab line")


def test_the_parsers_refuse_what_their_format_does_not_allow():
    with pytest.raises(ValueError):
        fileformats.ini("a = 1\n[s]\n")
    with pytest.raises(ValueError):
        fileformats.ini("[s]\na = 1\n[s]\n")
    with pytest.raises(ValueError):
        fileformats.ganesha("EXPORT { Path = /; ")
    with pytest.raises(ValueError):
        fileformats.libvirt_conf('a = "b\n')
    assert fileformats.ganesha('A { B = "x", y; C { D = 1; } }') == (("A", (("B", ('"x"', "y")), ("C", (("D", ("1",)),)))),)


GLANCE = type("Glance", (), {"store": "rbd", "show_image_direct_url": True, "pool": "images", "rbd_user": "glance",
                             "chunk_size": None})()
