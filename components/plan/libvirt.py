"""libvirtd.conf (the migration transport) and qemu.conf (dynamic_ownership off, when the stack asks)."""
from __future__ import annotations

from ..config import Migration
from .render import HostFile, render

LIBVIRTD_CONF = HostFile("root", "root", "0644", ("libvirtd",), ("migration",), "/etc/libvirt/libvirtd.conf")
QEMU_CONF = HostFile("root", "root", "0644", ("libvirtd",), ("migration",), "/etc/libvirt/qemu.conf")


def render_libvirtd(m: Migration) -> str:
    return render("libvirtd.conf.j2", transport=m.transport, socket_group=m.socket_group)


def render_qemu() -> str:
    return render("qemu.conf.j2")
