"""Shared file storage: GlusterFS volumes, NFS exports and the computes' shared instances directory."""
from __future__ import annotations

import hashlib
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, Field, model_validator

from .base import Model, Name, Scalar, _dupes
from .strings import DataDir, Domain, MountOptions, Network, OwnerGroup, PseudoPath, Text, gluster_option


class Brick(Model):
    host: Name
    path: DataDir = Field(description="Brick directory; created if missing.")


class GlusterVolume(Model):
    name: Name
    replica: Optional[int] = Field(None, ge=2, description="Replica count; unset: distribute.")
    bricks: list[Brick] = Field(min_length=1)
    force: bool = Field(False, description="Allow bricks on the root file system (gluster's `force`).")
    owner_uid: Optional[int] = Field(None, ge=0, description="storage.owner-uid: numeric uid of the consuming "
                                     "service (e.g. cinder's).")
    owner_gid: Optional[int] = Field(None, ge=0, description="storage.owner-gid.")
    insecure_ports: bool = Field(False, description="Opt-in: clients from unprivileged ports "
                                 "(server.allow-insecure on the volume and rpc-auth-allow-insecure in glusterd.vol); "
                                 "only the native libgfapi path of old releases needs it.")
    options: dict[Annotated[str, AfterValidator(gluster_option)], Union[bool, int, float, Text]] = Field(
        default_factory=dict, description="Further volume options.")

    @model_validator(mode="after")
    def _replica(self):
        if self.replica and len(self.bricks) % self.replica:
            raise ValueError(f"{len(self.bricks)} bricks do not divide into replica sets of {self.replica}")
        dup = _dupes(f"{b.host}:{b.path}" for b in self.bricks)
        if dup:
            raise ValueError(f"brick {dup} is listed twice")
        return self


class Gluster(Model):
    volumes: list[GlusterVolume] = Field(min_length=1)


class NfsExport(Model):
    name: Name
    host: Name = Field(description="NFS server host (role nfs-server).")
    server: Literal["ganesha", "kernel"] = Field("ganesha", description="NFS-Ganesha EXPORT block, or kernel "
                                                 "/etc/exports.d + exportfs -ra.")
    path: Optional[DataDir] = Field(None, description="Exported directory (VFS); created if missing.")
    gluster_volume: Optional[Name] = Field(None, description="Or a gluster.volumes entry, exported through "
                                           "NFS-Ganesha's GLUSTER FSAL.")
    pseudo: Optional[PseudoPath] = Field(None, description="NFSv4 pseudo path (ganesha); default /<name>.")
    clients: list[Network] = Field(min_length=1, description="Networks allowed to mount, e.g. 10.0.0.0/24. `*` is "
                               "refused.")
    no_root_squash: bool = Field(False, description="Opt-in: root on clients acts as root on the share.")
    all_squash: bool = Field(False, description="Every client user acts as anonymous_uid/gid on the share: for the "
                             "instances share, nova's agreed ids, so nova, qemu and root (nova's privsep, libvirt) "
                             "share nova's files and none acts as root.")
    anonymous_uid: Optional[int] = Field(None, ge=1, description="Squash root to this uid instead of nobody (e.g. "
                                         "cinder's, whose root-run parts, such as privsep reading a volume's format, "
                                         "must read its files); root still never acts as root.")
    anonymous_gid: Optional[int] = Field(None, ge=1, description="Likewise the gid.")
    owner: Optional[OwnerGroup] = Field(None, description="Owner:group of the exported directory, e.g. nova:nova; "
                                        "set on that directory only.")

    @model_validator(mode="after")
    def _source(self):
        if bool(self.path) == bool(self.gluster_volume):
            raise ValueError("give exactly one of path or gluster_volume")
        if self.all_squash and (self.no_root_squash or self.anonymous_uid is None or self.anonymous_gid is None):
            raise ValueError("all_squash needs anonymous_uid and anonymous_gid (whom every user acts as), and not "
                             "no_root_squash")
        if self.gluster_volume and self.server != "ganesha":
            raise ValueError("a gluster volume is exported through NFS-Ganesha; set server: ganesha")
        return self

    def pseudo_path(self) -> str:
        return self.pseudo or f"/{self.name}"

    def export_id(self) -> int:
        """Stable per export, so adding one never renumbers the others (0 is the pseudo root); new when its path,
        pseudo path or volume changes: ganesha 4.3 keeps serving the old pseudo path of an export whose Export_Id
        stayed, and can crash on the next reload."""
        key = f"{self.name}|{self.path}|{self.pseudo_path()}|{self.gluster_volume}"
        return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 60000 + 100


class NfsIds(Model):
    uid: int = Field(ge=1)
    gid: int = Field(ge=1)


class InstancesShare(Model):
    export: Optional[Name] = Field(None, description="nfs.exports entry mounted at instances_path on every compute.")
    gluster_volume: Optional[Name] = Field(None, description="Or a gluster volume mounted there (FUSE).")
    instances_path: DataDir = "/var/lib/nova/instances"
    mount_options: MountOptions = Field("defaults,_netdev", description="fstab options.")
    mount_now: bool = Field(True, description="Mount now as well as in fstab; false only where the kernel lacks the "
                            "client (fstab only).")
    align_ids: dict[Literal["nova", "libvirt-qemu"], NfsIds] = Field(
        default_factory=dict, description="Set these users' uid/gid on every compute; unset: only check that they "
                                          "agree and stop with the differing hosts.")
    idmap_domain: Optional[Domain] = Field(None, description="NFSv4 idmapd Domain on server and computes.")
    dynamic_ownership: bool = Field(True, description="qemu.conf dynamic_ownership on the computes (false writes "
                                    "`dynamic_ownership = 0`, true keeps libvirt's default). Libvirt 9 counts "
                                    "NFS and GlusterFS's FUSE mounts as shared and leaves a migrated guest's disk to "
                                    "the destination, so the GlusterFS runbook's 0 (against an old libvirt's chown "
                                    "back to root) is not needed, and with it qemu cannot write nova's 0644 disks.")

    @model_validator(mode="after")
    def _one(self):
        if bool(self.export) == bool(self.gluster_volume):
            raise ValueError("give exactly one of export or gluster_volume")
        return self
