"""The shared storage's files: glusterd.vol, NFS-Ganesha's config, kernel exports, idmapd.conf for NFSv4 and
tgtd's include for LVM iSCSI."""
from __future__ import annotations

from ..config import NfsExport
from .render import HostFile, render

GLUSTERD_VOL = HostFile("root", "root", "0644", ("glusterd",), ("gluster",), "/etc/glusterfs/glusterd.vol")
GANESHA_CONF = HostFile("root", "root", "0644", ("nfs-ganesha",), ("nfs_exports", "ganesha_options", "gluster"),
                        "/etc/ganesha/ganesha.conf")
KERNEL_EXPORTS = HostFile("root", "root", "0644", (), ("nfs_exports",))
"""Applied by `exportfs -ra`, not by a restart."""
IDMAPD_CONF = HostFile("root", "root", "0644", (), ("instances_share",), "/etc/idmapd.conf")
TGT_INCLUDE = HostFile("root", "root", "0644", ("tgt",), (), "/etc/tgt/conf.d/cinder.conf")
VOLUMES_DIR = "/var/lib/cinder/volumes"


def kernel_exports_path(e: NfsExport) -> str:
    return f"/etc/exports.d/openstack-storage-{e.name}.exports"


def render_ganesha(exports: list[NfsExport], options: dict) -> str:
    return render("ganesha.conf.j2", options=options,
                  exports=[{"id": e.export_id(), "spec": e} for e in sorted(exports, key=lambda e: e.name)])
