"""The OpenStack services' storage settings: glance-api's RBD store, cinder's backends and backup, nova's
libvirt disks."""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, model_validator

from .base import Model, Name, Options, Scalar
from .strings import CacheMode, IPAddress, LibvirtUri, MountOptions, OptionName, Share, UnixName


class Glance(Model):
    rbd_user: Name = Field(description="cephx client glance-api connects as.")
    pool: Name = Field(description="Images pool.")
    store: Name = Field("rbd", description="Store identifier in glance's `enabled_backends` (`<store>:rbd`).")
    chunk_size: Optional[int] = Field(None, ge=1, description="rbd_store_chunk_size in MB.")
    show_image_direct_url: bool = Field(True, description="Needed for copy-on-write clones from images; "
                                        "exposes the store location, so keep the API endpoint internal.")
    options: Options = Field(default_factory=dict, description="Further glance-api.conf options, "
                            "{section: {option: value}}; the store's section is `store`.")


class CinderCephBackend(Model):
    type: Literal["ceph"] = Field("ceph", description="Backend driver: `ceph` (RBDDriver).")
    name: Name = Field("ceph", description="Backend section name, also its volume_backend_name.")
    pool: Name = Field(description="Pool the volumes live in.")
    rbd_user: Name = Field(description="cephx client cinder-volume connects as (the same as nova.rbd_user).")
    flatten_volume_from_snapshot: Optional[bool] = None
    max_clone_depth: Optional[int] = Field(None, ge=0)
    chunk_size: Optional[int] = Field(None, ge=1, description="rbd_store_chunk_size in MB.")
    connect_timeout: Optional[int] = Field(None, description="rados_connect_timeout in seconds.")
    options: dict[OptionName, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")


class CinderNfsBackend(Model):
    type: Literal["nfs"]
    name: Name = Field(description="Backend section name, also its volume_backend_name.")
    export: Optional[Name] = Field(None, description="nfs.exports entry that serves the shares.")
    shares: list[Share] = Field(default_factory=list, description="Or shares by hand, `server:/path`.")
    mount_options: Optional[MountOptions] = Field(None, description="nfs_mount_options; unset: vers=4.1 for an NFS-Ganesha "
                                         "export (its pseudo paths exist only over NFSv4), else cinder's default.")
    options: dict[OptionName, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")

    @model_validator(mode="after")
    def _one_source(self):
        if bool(self.export) == bool(self.shares):
            raise ValueError("give exactly one of export or shares")
        return self


class CinderGlusterBackend(Model):
    type: Literal["glusterfs"]
    name: Name = Field(description="Backend section name, also its volume_backend_name.")
    volume: Name = Field(description="gluster.volumes entry. Before Ocata: the native GlusterfsDriver; from Ocata "
                         "on: the NFS driver on the volume's NFS-Ganesha export (an nfs.exports entry).")
    mount_options: Optional[MountOptions] = Field(None, description="nfs_mount_options (NFS path only); unset: vers=4.1.")
    options: dict[OptionName, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")


class CinderLvmBackend(Model):
    type: Literal["lvm"]
    name: Name = Field(description="Backend section name, also its volume_backend_name.")
    volume_group: Name = Field("cinder-volumes", description="LVM volume group on every cinder-volume host.")
    target_helper: Literal["tgtadm", "lioadm"] = Field("tgtadm", description="iSCSI target helper.")
    target_ip_address: Optional[IPAddress] = Field(None, description="Portal address; unset keeps cinder's default "
                                             "($my_ip).")
    options: dict[OptionName, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")


BACKEND_TYPES = ("ceph", "nfs", "glusterfs", "lvm")


def _backend_type(value) -> str:
    return value.get("type", "ceph") if isinstance(value, dict) else getattr(value, "type", "ceph")


CinderBackend = Annotated[Union[Annotated[CinderCephBackend, Tag("ceph")], Annotated[CinderNfsBackend, Tag("nfs")],
                                Annotated[CinderGlusterBackend, Tag("glusterfs")],
                                Annotated[CinderLvmBackend, Tag("lvm")]],
                          Discriminator(_backend_type, custom_error_type="backend_type",
                                        custom_error_message=f"type must be one of {', '.join(BACKEND_TYPES)}")]


class CinderCephBackup(Model):
    pool: Name = Field(description="Pool the backups go to.")
    rbd_user: Name = Field(description="cephx client cinder-backup connects as.")
    chunk_size: Optional[int] = Field(None, ge=1, description="backup_ceph_chunk_size in bytes.")
    stripe_unit: Optional[int] = Field(None, ge=0)
    stripe_count: Optional[int] = Field(None, ge=0)
    restore_discard_excess_bytes: Optional[bool] = None


class FileVolumeGroup(Model):
    gid: int = Field(ge=1, description="The gid of cinder's group on the cinder-volume hosts (`getent group cinder`): "
                     "the group of every volume file cinder makes.")
    name: UnixName = Field("cinder", description="That group's name on the cinder-volume hosts; a compute with no "
                           "group of this gid gets one by this name.")
    qemu_user: UnixName = Field("libvirt-qemu", description="The user qemu runs as on the computes (qemu.conf `user`: "
                                "Debian's libvirt-qemu, RHEL's qemu); it joins the group.")


class Cinder(Model):
    backends: list[CinderBackend] = Field(default_factory=list, description="Volume backends, one section each "
                                          "(`type`: ceph, nfs, glusterfs, lvm).")
    file_volume_group: Optional[FileVolumeGroup] = Field(
        None, description="On a root-squashed export cinder keeps each volume a 0660 file of its group "
        "(nas_secure_file_permissions), so qemu on a compute opens an attached one only through that group: the "
        "computes get it, with qemu's user in it (a guest started before that needs a hard reboot to attach one). "
        "Needed when such a backend and computes are in the stack.")
    backup: Optional[CinderCephBackup] = Field(None, description="cinder-backup to Ceph.")
    options: Options = Field(default_factory=dict, description="Further cinder.conf options, "
                            "{section: {option: value}}; a backend's section is its `name`.")


class Nova(Model):
    rbd_user: Name = Field(description="cephx client libvirt uses for RBD volumes and disks; "
                           "its key goes into the libvirt secret.")
    images_type: Literal["rbd", "qcow2", "raw", "flat", "default"] = Field(
        "rbd", description="Ephemeral disk backend.")
    images_rbd_pool: Optional[Name] = Field(None, description="Pool for ephemeral disks (images_type rbd).")
    disk_cachemodes: list[CacheMode] = Field(default_factory=list, description='e.g. ["network=writeback"].')
    hw_disk_discard: Optional[Literal["unmap", "ignore"]] = None
    file_injection: bool = Field(False, description="Off by default: rely on the metadata service and cloud-init.")
    libvirt_uri: Optional[LibvirtUri] = Field(None, description="libvirt URI for virsh on the computes; unset keeps "
                                       "virsh's default (qemu:///system).")
    keyring_owner: UnixName = Field("root", description="Owner of the rbd_user keyring on computes.")
    keyring_group: UnixName = Field("nova", description="Group of the rbd_user keyring on computes (nova-compute reads it).")
    options: Options = Field(default_factory=dict, description="Further nova.conf options, "
                            "{section: {option: value}}.")

    @model_validator(mode="after")
    def _pool_for_rbd(self):
        if self.images_type == "rbd" and not self.images_rbd_pool:
            raise ValueError("images_type rbd needs images_rbd_pool")
        return self
