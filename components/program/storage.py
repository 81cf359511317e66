"""Shared storage: GlusterFS volumes, NFS servers, the computes' shared instances path, LVM, cinder's file volume
group; cinder-volume restarts only once the storage its config points at is there."""
from __future__ import annotations

from ..plan import Plan
from ..plan.cinder import nfs_share
from ..plan.storage import GLUSTERD_VOL
from ..services.service_config import ServiceConfigArgs
from ..storage.file_volumes import FileVolumeAccess, FileVolumeAccessArgs
from ..storage.gluster import GlusterdConfig, GlusterVolume, GlusterVolumeArgs
from ..storage.instances_share import IdAgreement, IdAgreementArgs, InstancesMount, InstancesMountArgs
from ..storage.lvm import LvmBackend, LvmBackendArgs
from ..storage.nfs import NfsServer, NfsServerArgs
from .wiring import Wiring


def servers(p: Plan, w: Wiring) -> None:
    """glusterd and its volumes, then the NFS servers (a Ganesha export of a volume waits for it)."""
    cfg, hosts, manager = p.cfg, w.hosts, p.cfg.service_manager
    glusterd = {h: w.add(GlusterdConfig(f"{h}-glusterd",
                                        ServiceConfigArgs(hosts[h], [p.files[h][GLUSTERD_VOL.path]], manager)), h)
                for h in cfg.hosts_with("gluster-server") if cfg.gluster}
    for v in cfg.gluster.volumes if cfg.gluster else []:
        brick_hosts = sorted({b.host for b in v.bricks})
        w.gluster[v.name] = w.add(GlusterVolume(f"gluster-volume-{v.name}", GlusterVolumeArgs(
            v, {h: hosts[h] for h in brick_hosts}, {h: cfg.hosts[h].address for h in brick_hosts},
            exported=cfg.ganesha_export_of(v.name) is not None, glusterd=[glusterd[h] for h in brick_hosts],
            secret="gluster" in p.secret_keys)))
    for host in sorted({e.host for e in cfg.nfs_exports}):
        exports = [e for e in cfg.nfs_exports if e.host == host]
        server = w.add(NfsServer(f"{host}-nfs", NfsServerArgs(
            hosts[host], exports, p.files[host], manager,
            volumes=[w.gluster[e.gluster_volume] for e in exports if e.gluster_volume])))
        for e in exports:
            w.nfs[e.name] = server


def instances(p: Plan, w: Wiring) -> None:
    """The shared instances path on every compute, mounted once the computes agree on nova's ids."""
    cfg, hosts, share = p.cfg, w.hosts, p.cfg.instances_share
    computes = cfg.hosts_with("nova-compute")
    ids = w.add(IdAgreement("instances-ids", IdAgreementArgs(
        {h: hosts[h] for h in computes}, share.align_ids, expect=cfg.instances_owner())))
    if share.export:
        e = cfg.nfs_export(share.export)
        source, fstype, store = nfs_share(cfg, e.name), "nfs4" if e.server == "ganesha" else "nfs", w.nfs[e.name]
    else:
        v = cfg.gluster_volume(share.gluster_volume)
        source, fstype, store = f"{cfg.hosts[v.bricks[0].host].address}:/{v.name}", "glusterfs", w.gluster[v.name]
    for h in computes:
        w.add(InstancesMount(f"{h}-instances", InstancesMountArgs(
            hosts[h], share, source, fstype, ids.ids[h], ids.gate, p.files[h], store=[store])), h)


def volume_hosts(p: Plan, w: Wiring) -> None:
    """LVM and the file volume group on cinder-volume's hosts (and the group on the computes); then what cinder.conf
    points at comes before cinder-volume restarts."""
    cfg, hosts = p.cfg, w.hosts
    lvm, volume_hosts = cfg.backends("lvm"), cfg.hosts_with("cinder-volume")
    for h in volume_hosts if lvm else []:
        w.add(LvmBackend(f"{h}-lvm", LvmBackendArgs(
            hosts[h], p.files[h], h, sorted({b.volume_group for b in lvm}), cfg.service_manager)), h)
    group = cfg.cinder.file_volume_group if cfg.cinder else None
    computes = cfg.hosts_with("nova-compute")
    for h in sorted(set(computes) | set(volume_hosts)) if group else []:
        w.add(FileVolumeAccess(f"{h}-file-volumes", FileVolumeAccessArgs(
            hosts[h], group, compute=h in computes, cinder_volume=h in volume_hosts)), h)
    for h in volume_hosts:
        for b in cfg.backends("nfs"):
            if b.export:
                w.before_restart[h].append(w.nfs[b.export])
        for b in cfg.backends("glusterfs"):
            w.before_restart[h].append(w.gluster[b.volume])
            export = cfg.ganesha_export_of(b.volume)
            if export and not cfg.old_release():
                w.before_restart[h].append(w.nfs[export.name])
