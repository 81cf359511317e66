"""The whole stack config: every section, and the questions the program asks across them."""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, field_validator

from .base import RELEASES, Model, Name, Scalar, Service, release_index
from .ceph import Ceph
from .cloud import Image, OpenStackAuth, QosSpec, VolumeType
from .hosts import Host, Ssh
from .migration import Migration
from .services import Cinder, Glance, Nova
from .storage import Gluster, GlusterVolume, InstancesShare, NfsExport
from .strings import GaneshaBlock, GaneshaValue, OptionName, Text, UnitName


class StackConfig(Model):
    ssh: Ssh = Field(default_factory=Ssh, description="SSH defaults for every host.")
    release: Text = Field("2026.2", description="OpenStack release (name or version): chooses between the "
                         "current and the old (before Ocata) forms of the Gluster and migration settings, and the "
                         "option data the `options` keys are checked against (shipped for 2026.1 and 2026.2; "
                         "another release's options are written unchecked, with a warning).")
    service_manager: Literal["systemd", "supervisord", "none"] = Field(
        "systemd", description="How services are restarted after their config changed.")
    service_names: dict[Service, UnitName] = Field(default_factory=dict,
                                              description="Unit or program name where it differs from ours, e.g. "
                                                          "{glance-api: openstack-glance-api}.")
    hosts: dict[Name, Host] = Field(min_length=1, description="Every host the program touches, by name.")
    ceph: Optional[Ceph] = Field(None, description="The Ceph cluster OpenStack uses.")
    glance: Optional[Glance] = Field(None, description="glance-api.conf RBD store; unset leaves glance alone.")
    cinder: Optional[Cinder] = Field(None, description="cinder.conf backends and backup; unset leaves cinder alone.")
    nova: Optional[Nova] = Field(None, description="nova.conf `[libvirt]` RBD settings; unset leaves nova alone.")
    gluster: Optional[Gluster] = Field(None, description="GlusterFS trusted pool and volumes.")
    nfs_exports: list[NfsExport] = Field(default_factory=list, description="NFS exports.")
    ganesha_options: dict[GaneshaBlock, dict[OptionName, Union[bool, int, float, GaneshaValue]]] = Field(
        default_factory=dict, description="Further ganesha.conf blocks, e.g. {NFSv4: {Graceless: true}}; not EXPORT "
                                          "or EXPORT_DEFAULTS (exports are nfs_exports, checked).")
    instances_share: Optional[InstancesShare] = Field(None, description="Shared /var/lib/nova/instances for "
                                                      "live migration.")
    migration: Optional[Migration] = Field(None, description="libvirt live migration settings on the computes.")
    openstack: Optional[OpenStackAuth] = Field(None, description="How pulumi-openstack reaches the cloud "
                                               "(password: secret `openstack_password`), and how the program asks "
                                               "Cinder, before a backend leaves `cinder.backends`, whether volumes "
                                               "still live on it (refused while they do). Unset: that removal is "
                                               "not checked.")
    qos_specs: list[QosSpec] = Field(default_factory=list, description="Cinder QoS specs.")
    volume_types: list[VolumeType] = Field(default_factory=list, description="Cinder volume types, one per use.")
    images: list[Image] = Field(default_factory=list, description="Glance images uploaded after glance is configured.")
    image_cache_dir: Text = Field(".cache/images", description="Where sources are downloaded and converted "
                                 "(relative to the project directory).")

    @field_validator("ganesha_options")
    @classmethod
    def _no_exports(cls, blocks):
        bad = next((b for b in blocks if b.upper() in ("EXPORT", "EXPORT_DEFAULTS")), None)
        if bad:
            raise ValueError(f"block {bad} would add or loosen exports past the checks of nfs_exports; describe "
                             f"exports there")
        return blocks

    def service(self, name: str) -> str:
        return self.service_names.get(name, name)

    def hosts_with(self, role: str) -> list[str]:
        return [name for name, h in self.hosts.items() if role in h.roles]

    def native_tls(self) -> bool:
        """qemu's native TLS for the migration stream: with transport tls, on releases that have it."""
        return bool(self.migration and self.migration.tls() and self.migration.native_tls and not self.old_release())

    def ssh_for(self, host: str) -> Ssh:
        return self.hosts[host].ssh or self.ssh

    def keyrings(self) -> dict[str, dict[str, tuple[str, str, str]]]:
        """host -> client -> (owner, group, mode): exactly the keyrings each host gets."""
        placed: dict[str, dict[str, tuple[str, str, str]]] = {}
        if not self.ceph:
            return placed
        for c in self.ceph.clients:
            for h in sorted(set(c.hosts) | {h for r in c.roles for h in self.hosts_with(r)}):
                placed.setdefault(h, {})[c.name] = (c.owner, c.group, c.mode)
        if self.nova:
            # nova-compute opens RBD as nova.rbd_user, so computes need that keyring readable by nova
            for h in self.hosts_with("nova-compute"):
                placed.setdefault(h, {}).setdefault(
                    self.nova.rbd_user, (self.nova.keyring_owner, self.nova.keyring_group, "0640"))
        return placed

    def backends(self, type_: str) -> list:
        return [b for b in (self.cinder.backends if self.cinder else []) if b.type == type_]

    def clients_of(self, role: str) -> list[str]:
        """The cephx users a role's service connects as."""
        users = {"glance-api": [self.glance.rbd_user] if self.glance else [],
                 "cinder-volume": [b.rbd_user for b in self.backends("ceph")],
                 "cinder-backup": [self.cinder.backup.rbd_user] if self.cinder and self.cinder.backup else [],
                 "nova-compute": [self.nova.rbd_user] if self.nova else []}.get(role, [])
        return sorted(set(users))

    def libvirt_client(self) -> Optional[str]:
        """The cephx client whose key the computes' libvirt secret holds."""
        if self.nova:
            return self.nova.rbd_user
        if self.backends("ceph") and self.hosts_with("nova-compute"):
            return self.backends("ceph")[0].rbd_user
        return None

    def old_release(self, than: str = "ocata") -> bool:
        return release_index(self.release) < RELEASES.index(than)

    def gluster_volume(self, name: str) -> Optional[GlusterVolume]:
        return next((v for v in (self.gluster.volumes if self.gluster else []) if v.name == name), None)

    def nfs_export(self, name: str) -> Optional[NfsExport]:
        return next((e for e in self.nfs_exports if e.name == name), None)

    def ganesha_export_of(self, volume: str) -> Optional[NfsExport]:
        return next((e for e in self.nfs_exports if e.gluster_volume == volume), None)

    def served_by(self, backend) -> Optional[NfsExport]:
        """The nfs_exports entry a file backend mounts, where the stack describes it."""
        if backend.type == "nfs" and backend.export:
            return self.nfs_export(backend.export)
        if backend.type == "glusterfs" and not self.old_release():
            return self.ganesha_export_of(backend.volume)
        return None

    def root_squashed(self, backend) -> bool:
        """Whether the backend's share is an export the stack describes with root squashed (the default). Cinder's
        `auto` then finds on a new install that root cannot write the share and stops, or on an old one falls back
        to root operations and mode 0666 files: its file operations must run as the cinder user, its files 0660."""
        export = self.served_by(backend)
        return bool(export and not export.no_root_squash)

    def instances_owner(self) -> dict[str, tuple[str, str]]:
        """{"nova": (uid:gid, key)} when the instances share decides whose its files are: an all_squash export's
        anonymous ids, a gluster volume's owner."""
        share = self.instances_share
        if share and share.export:
            e = self.nfs_export(share.export)
            if e and e.all_squash:
                return {"nova": (f"{e.anonymous_uid}:{e.anonymous_gid}", f"nfs_exports[{e.name}].anonymous_uid/gid")}
        if share and share.gluster_volume:
            v = self.gluster_volume(share.gluster_volume)
            if v and v.owner_uid is not None and v.owner_gid is not None:
                return {"nova": (f"{v.owner_uid}:{v.owner_gid}", f"gluster.volumes[{v.name}].owner_uid/gid")}
        return {}
