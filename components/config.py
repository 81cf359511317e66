"""Stack configuration: parsed once into typed objects and validated before any resource exists.

Every mistake raises ConfigError naming the key (`openstack-storage:ceph.pools[volumes].size`) and saying
what to do. Secrets (the SSH private key) are not part of these objects: the program reads them as Pulumi
secrets, and `load` only checks that they are set.
"""
from __future__ import annotations

import ipaddress
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union
from uuid import UUID

import pydantic
from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag,
                      field_validator, model_validator)

from . import formats

PROJECT = "openstack-storage"
SECRET_KEYS = ("ssh_private_key", "openstack_password", "nova_ssh_private_key", "ssh_proxy_private_key",
               "migration_ca_key")

ROLES = ("glance-api", "cinder-volume", "cinder-backup", "nova-compute", "gluster-server", "nfs-server")
Role = Literal["glance-api", "cinder-volume", "cinder-backup", "nova-compute", "gluster-server", "nfs-server"]

# OpenStack releases in order; from 2023.1 on, releases are also named by version.
RELEASES = ("austin bexar cactus diablo essex folsom grizzly havana icehouse juno kilo liberty mitaka newton ocata "
            "pike queens rocky stein train ussuri victoria wallaby xena yoga zed antelope bobcat caracal dalmatian "
            "epoxy flamingo gazpacho hibiscus").split()
RELEASE_VERSIONS = {"2023.1": "antelope", "2023.2": "bobcat", "2024.1": "caracal", "2024.2": "dalmatian",
                    "2025.1": "epoxy", "2025.2": "flamingo", "2026.1": "gazpacho", "2026.2": "hibiscus"}


def release_index(release: str) -> int:
    name = RELEASE_VERSIONS.get(release, release.lower())
    return RELEASES.index(name) if name in RELEASES else len(RELEASES)

SERVICES = ROLES[:4] + ("glusterd", "nfs-ganesha", "libvirtd", "tgt")
Service = Literal["glance-api", "cinder-volume", "cinder-backup", "nova-compute", "glusterd", "nfs-ganesha", "libvirtd",
                  "tgt"]

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=63)]
Mode = Annotated[str, StringConstraints(pattern=r"^0[0-7]{3}$")]
Address = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]*$")]
HostKey = Annotated[str, AfterValidator(formats.host_key)]
Scalar = Union[bool, int, float, str]
# Extra oslo.config options a stack passes through unchanged: {section: {option: value}}.
Options = dict[str, dict[str, Union[Scalar, list[Scalar]]]]


class ConfigError(Exception):
    """A stack config mistake: `key` is the full config key, `message` what is wrong and what to do."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{PROJECT}:{key}: {message}")
        self.key = key


class ConfigWarning(UserWarning):
    """Something the program could not check and goes on without; __main__ shows it as a Pulumi warning."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{PROJECT}:{key}: {message}")
        self.key = key


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SshProxy(Model):
    address: Address = Field(description="The bastion (jump host) the program connects through.")
    port: int = Field(22, ge=1, le=65535, description="Its SSH port.")
    user: str = Field("root", description="Login user on the bastion (it only forwards the connection).")
    host_key: HostKey = Field(description="Pinned SSH host public key of the bastion.")


class Ssh(Model):
    user: str = Field("root", description="SSH login user on the hosts.")
    port: int = Field(22, ge=1, le=65535, description="SSH port.")
    connect_timeout: int = Field(10, ge=1, le=300, description="Seconds one connection attempt may take (a hung or "
                                 "unreachable host fails after connect_attempts of them).")
    connect_attempts: int = Field(3, ge=1, le=20, description="Connection attempts per step before it fails "
                                  "(a refused or timed-out host is retried this often).")
    proxy: Optional[SshProxy] = Field(None, description="Reach the hosts through this bastion; its login uses the "
                                      "secret `ssh_proxy_private_key` when set, else `ssh_private_key`.")


class Host(Model):
    address: Address = Field(description="IP address or DNS name the program connects to over SSH.")
    host_key: HostKey = Field(description="Pinned SSH host public key (`ssh-ed25519 AAAA...`, as in the host's "
                              "/etc/ssh/ssh_host_ed25519_key.pub without its comment); a host presenting another "
                              "key is refused.")
    roles: list[Role] = Field(default_factory=list, description=f"Services on this host: {', '.join(ROLES)}.")
    ssh: Optional[Ssh] = Field(None, description="Per-host override of the stack's `ssh` settings.")

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles):
        dup = [r for r, n in Counter(roles).items() if n > 1]
        if dup:
            raise ValueError(f"role {dup[0]!r} is listed twice")
        return roles


class CephPool(Model):
    name: Name = Field(description="Pool name.")
    pg_num: Optional[int] = Field(None, ge=1, le=65536,
                                  description="Fixed placement-group count; turns the autoscaler off for this pool.")
    autoscale: Optional[bool] = Field(None, description="pg autoscaler on (default when pg_num is not set).")
    target_size_ratio: Optional[float] = Field(None, gt=0, le=1,
                                               description="Autoscaler hint: expected share of the cluster.")
    size: Optional[int] = Field(None, ge=1, le=10, description="Replica count; unset keeps the cluster default.")
    min_size: Optional[int] = Field(None, ge=1, le=10, description="Replicas needed for I/O; unset keeps default.")
    crush_rule: Optional[Name] = Field(None, description="CRUSH rule name; unset keeps the cluster default.")
    application: Literal["rbd"] = Field("rbd", description="Pool application; rbd pools are also `rbd pool init`ed.")
    allow_delete: bool = Field(False, description="Let `pulumi destroy` delete this pool and its data. "
                               "Off: the pool is left in place and only forgotten.")

    @model_validator(mode="after")
    def _pg_settings(self):
        if self.pg_num is not None and self.autoscale:
            raise ValueError("pg_num with autoscale: true would fight the autoscaler; "
                             "drop pg_num, or set autoscale: false")
        if self.target_size_ratio is not None and self.pg_num is not None:
            raise ValueError("target_size_ratio is an autoscaler hint; it has no effect with a fixed pg_num")
        if self.size and self.min_size and self.min_size > self.size:
            raise ValueError(f"min_size {self.min_size} is larger than size {self.size}")
        return self

    @property
    def autoscaled(self) -> bool:
        return self.pg_num is None and self.autoscale is not False


class CephClient(Model):
    name: Name = Field(description="cephx user without the `client.` prefix, e.g. `cinder`.")
    caps: dict[Name, Literal["rbd", "rbd-read-only"]] = Field(
        description="Per pool: `rbd` (read-write) or `rbd-read-only`. Built into `profile rbd` caps "
                    "(mon `profile rbd`, which can blocklist dead clients; osd and mgr per pool).")
    roles: list[Role] = Field(default_factory=list, description="Hosts with these roles get the keyring.")
    hosts: list[Name] = Field(default_factory=list, description="Further hosts that get the keyring.")
    owner: str = Field("root", description="Keyring file owner.")
    group: str = Field(description="Keyring file group: the group the consuming service runs as.")
    mode: Mode = Field("0640", description="Keyring file mode.")

    @field_validator("name")
    @classmethod
    def _no_prefix(cls, name):
        if name.startswith("client."):
            raise ValueError(f"write {name[len('client.'):]!r}, without the 'client.' prefix")
        return name

    @field_validator("caps")
    @classmethod
    def _some_caps(cls, caps):
        if not caps:
            raise ValueError("name at least one pool, e.g. {volumes: rbd}")
        return caps

    def cap_strings(self) -> dict[str, str]:
        """The cephx caps, in a stable order so that an unchanged config gives unchanged commands."""
        osd = ", ".join(f"profile {p} pool={pool}" for pool, p in sorted(self.caps.items()))
        rw = [pool for pool, p in sorted(self.caps.items()) if p == "rbd"]
        caps = {"mon": "profile rbd", "osd": osd}
        if rw:
            caps["mgr"] = ", ".join(f"profile rbd pool={pool}" for pool in rw)
        return caps


class CephClientSection(Model):
    """The `[client]` section of ceph.conf on every Ceph client host."""
    rbd_cache: Optional[bool] = None
    rbd_cache_writethrough_until_flush: Optional[bool] = None
    rbd_concurrent_management_ops: Optional[int] = Field(None, ge=1)
    admin_socket: Optional[str] = Field(None, description="e.g. /var/run/ceph/guests/$cluster-$type.$id.$pid.$cctid.asok; "
                                        "its directory is created, owned by runtime_owner:runtime_group.")
    log_file: Optional[str] = Field(None, description="e.g. /var/log/qemu/qemu-guest-$pid.log; directory created likewise.")
    runtime_owner: str = Field("libvirt-qemu", description="Owner of the admin socket and log directories (qemu's user).")
    runtime_group: str = Field("kvm", description="Group of those directories.")
    options: dict[str, Scalar] = Field(default_factory=dict, description="Further `[client]` options, verbatim.")

    def settings(self, qemu: bool) -> dict[str, Scalar]:
        """The section for a host; admin socket and log paths are qemu's, so only computes (`qemu`) get them,
        elsewhere they would make every librbd client (cinder-volume, glance-api) warn about missing dirs."""
        skip = {"runtime_owner", "runtime_group", "options"} | (set() if qemu else {"admin_socket", "log_file"})
        return {**self.model_dump(exclude=skip, exclude_none=True), **self.options}

    def runtime_dirs(self) -> list[str]:
        return sorted({p.rsplit("/", 1)[0] for p in (self.admin_socket, self.log_file) if p and "/" in p})


class Ceph(Model):
    cluster: Name = Field("ceph", description="Cluster name: /etc/ceph/<cluster>.conf and keyring names.")
    fsid: UUID = Field(description="Cluster fsid, written to ceph.conf on the clients.")
    mon_host: list[str] = Field(min_length=1, description="Monitor addresses for the clients' ceph.conf, as Ceph "
                                "writes them: a list, or one string with commas or spaces between monitors; a "
                                f"monitor is written {formats.MON_FORMS}.")
    admin_host: Name = Field(description="Host (from `hosts`) with the admin keyring, where pools and users are made.")
    libvirt_secret_uuid: UUID = Field(description="UUID of the libvirt secret holding nova's cephx key; "
                                      "the same in nova.conf, cinder.conf and on every compute.")
    client: CephClientSection = Field(default_factory=CephClientSection,
                                      description="The `[client]` section of ceph.conf; unset options are not written.")
    pools: list[CephPool] = Field(min_length=1, description="Pools the program creates and keeps in shape.")
    clients: list[CephClient] = Field(default_factory=list, description="cephx users and where their keyrings go.")
    connect_timeout: int = Field(20, ge=1, le=600, description="Seconds a ceph or rbd command the program runs may "
                                 "wait for the monitors; then the step fails naming them.")

    @field_validator("mon_host", mode="before")
    @classmethod
    def _monitors(cls, value):
        return formats.monitors(value)

    def mon_addresses(self) -> list[str]:
        """Each monitor's plain host (IPv6 without brackets, no port or type), for libvirt's <host name=...>."""
        return [formats.mon_address(m) for m in self.mon_host]

    def cli(self) -> str:
        """Bash functions `ceph` and `rbd` for this cluster, bounded: when the monitors do not answer within
        connect_timeout the step fails, naming them, instead of hanging."""
        t, mons = self.connect_timeout, ", ".join(self.mon_host)
        return f"""bounded() {{
  local rc=0 err
  err=$(mktemp)
  local what=$1; shift
  timeout --kill-after 5 {t + 10} "$@" 2>"$err" || rc=$?
  cat "$err" >&2
  if [ "$rc" -ne 0 ] && {{ [ "$rc" -eq 124 ] || grep -qiE 'timed out|error connecting to the cluster' "$err"; }}; then
    echo "the Ceph monitors ({mons}) did not answer within {t} s ($what) from $(hostname);" \\
      "is the cluster up and reachable? (ceph.connect_timeout)" >&2
  fi
  rm -f "$err"
  return "$rc"
}}
ceph() {{ bounded "ceph $*" ceph --cluster {self.cluster} --connect-timeout {t} "$@"; }}
rbd() {{ bounded "rbd $*" rbd --cluster {self.cluster} --client-mount-timeout {t} --rados-mon-op-timeout {t} "$@"; }}
"""

    def conf_path(self) -> str:
        return f"/etc/ceph/{self.cluster}.conf"

    def keyring_path(self, client: str) -> str:
        return f"/etc/ceph/{self.cluster}.client.{client}.keyring"

    def pool(self, name: str) -> Optional[CephPool]:
        return next((p for p in self.pools if p.name == name), None)

    def client_named(self, name: str) -> Optional[CephClient]:
        return next((c for c in self.clients if c.name == name), None)


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
    options: dict[str, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")


class CinderNfsBackend(Model):
    type: Literal["nfs"]
    name: Name = Field(description="Backend section name, also its volume_backend_name.")
    export: Optional[Name] = Field(None, description="nfs.exports entry that serves the shares.")
    shares: list[str] = Field(default_factory=list, description="Or shares by hand, `server:/path`.")
    mount_options: Optional[str] = Field(None, description="nfs_mount_options; unset: vers=4.1 for an NFS-Ganesha "
                                         "export (its pseudo paths exist only over NFSv4), else cinder's default.")
    options: dict[str, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")

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
    mount_options: Optional[str] = Field(None, description="nfs_mount_options (NFS path only); unset: vers=4.1.")
    options: dict[str, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")


class CinderLvmBackend(Model):
    type: Literal["lvm"]
    name: Name = Field(description="Backend section name, also its volume_backend_name.")
    volume_group: Name = Field("cinder-volumes", description="LVM volume group on every cinder-volume host.")
    target_helper: Literal["tgtadm", "lioadm"] = Field("tgtadm", description="iSCSI target helper.")
    target_ip_address: Optional[str] = Field(None, description="Portal address; unset keeps cinder's default "
                                             "($my_ip).")
    options: dict[str, Scalar] = Field(default_factory=dict, description="Further options of this backend section.")


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


class Cinder(Model):
    backends: list[CinderBackend] = Field(default_factory=list, description="Volume backends, one section each "
                                          "(`type`: ceph, nfs, glusterfs, lvm).")
    backup: Optional[CinderCephBackup] = Field(None, description="cinder-backup to Ceph.")
    options: Options = Field(default_factory=dict, description="Further cinder.conf options, "
                            "{section: {option: value}}; a backend's section is its `name`.")


class Nova(Model):
    rbd_user: Name = Field(description="cephx client libvirt uses for RBD volumes and disks; "
                           "its key goes into the libvirt secret.")
    images_type: Literal["rbd", "qcow2", "raw", "flat", "default"] = Field(
        "rbd", description="Ephemeral disk backend.")
    images_rbd_pool: Optional[Name] = Field(None, description="Pool for ephemeral disks (images_type rbd).")
    disk_cachemodes: list[str] = Field(default_factory=list, description='e.g. ["network=writeback"].')
    hw_disk_discard: Optional[Literal["unmap", "ignore"]] = None
    file_injection: bool = Field(False, description="Off by default: rely on the metadata service and cloud-init.")
    libvirt_uri: Optional[str] = Field(None, description="libvirt URI for virsh on the computes; unset keeps "
                                       "virsh's default (qemu:///system).")
    keyring_owner: str = Field("root", description="Owner of the rbd_user keyring on computes.")
    keyring_group: str = Field("nova", description="Group of the rbd_user keyring on computes (nova-compute reads it).")
    options: Options = Field(default_factory=dict, description="Further nova.conf options, "
                            "{section: {option: value}}.")

    @model_validator(mode="after")
    def _pool_for_rbd(self):
        if self.images_type == "rbd" and not self.images_rbd_pool:
            raise ValueError("images_type rbd needs images_rbd_pool")
        return self


class Brick(Model):
    host: Name
    path: str = Field(description="Brick directory; created if missing.")


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
    options: dict[str, Scalar] = Field(default_factory=dict, description="Further volume options.")

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
    path: Optional[str] = Field(None, description="Exported directory (VFS); created if missing.")
    gluster_volume: Optional[Name] = Field(None, description="Or a gluster.volumes entry, exported through "
                                           "NFS-Ganesha's GLUSTER FSAL.")
    pseudo: Optional[str] = Field(None, description="NFSv4 pseudo path (ganesha); default /<name>.")
    clients: list[str] = Field(min_length=1, description="Networks allowed to mount, e.g. 10.0.0.0/24. `*` is "
                               "refused.")
    no_root_squash: bool = Field(False, description="Opt-in: root on clients acts as root on the share.")
    owner: Optional[str] = Field(None, description="Owner:group of the exported directory, e.g. nova:nova.")

    @model_validator(mode="after")
    def _source(self):
        if bool(self.path) == bool(self.gluster_volume):
            raise ValueError("give exactly one of path or gluster_volume")
        if self.gluster_volume and self.server != "ganesha":
            raise ValueError("a gluster volume is exported through NFS-Ganesha; set server: ganesha")
        for c in self.clients:
            if c.strip() in ("*", "0.0.0.0/0", "::/0"):
                raise ValueError(f"clients {c!r} opens the share to everyone; name the compute network")
            try:
                ipaddress.ip_network(c, strict=False)
            except ValueError:
                raise ValueError(f"clients {c!r} is not a network such as 10.0.0.0/24") from None
        return self

    def pseudo_path(self) -> str:
        return self.pseudo or f"/{self.name}"


class NfsIds(Model):
    uid: int = Field(ge=1)
    gid: int = Field(ge=1)


class InstancesShare(Model):
    export: Optional[Name] = Field(None, description="nfs.exports entry mounted at instances_path on every compute.")
    gluster_volume: Optional[Name] = Field(None, description="Or a gluster volume mounted there (FUSE); qemu's "
                                           "dynamic_ownership is then turned off.")
    instances_path: str = "/var/lib/nova/instances"
    mount_options: str = Field("defaults,_netdev", description="fstab options.")
    mount_now: bool = Field(True, description="Mount now as well as in fstab; false only where the kernel lacks the "
                            "client (fstab only).")
    align_ids: dict[Literal["nova", "libvirt-qemu"], NfsIds] = Field(
        default_factory=dict, description="Set these users' uid/gid on every compute; unset: only check that they "
                                          "agree and stop with the differing hosts.")
    idmap_domain: Optional[str] = Field(None, description="NFSv4 idmapd Domain on server and computes.")

    @model_validator(mode="after")
    def _one(self):
        if bool(self.export) == bool(self.gluster_volume):
            raise ValueError("give exactly one of export or gluster_volume")
        return self


class Migration(Model):
    transport: Literal["tls", "tcp-sasl", "ssh", "tcp"] = Field(
        "tls", description="libvirt migration transport; `tcp` (auth_tcp none) needs allow_insecure_tcp.")
    allow_insecure_tcp: bool = Field(False, description="Opt-in: unauthenticated, unencrypted libvirt TCP.")
    hosts_file: bool = Field(True, description="Add the computes to /etc/hosts on every compute.")
    nova_ssh_public_key: Optional[str] = Field(None, description="Public half of secret `nova_ssh_private_key`: SSH "
                                               "between nova users for migrate/resize, with pinned known_hosts.")
    ca_cert: Optional[str] = Field(None, description="With transport tls: PEM of the CA that signs the computes' "
                                   "certificates, its key the secret `migration_ca_key`. Unset: the program creates "
                                   "a CA and keeps it (key included) as a secret in the stack's state.")
    native_tls: bool = Field(True, description="With transport tls: qemu's native TLS for the migration stream too "
                             "(nova live_migration_with_native_tls; certificates in /etc/pki/qemu).")
    qemu_group: str = Field("kvm", description="Group qemu runs as: it may read /etc/pki/qemu's private keys.")
    cert_days: int = Field(825, ge=1, le=3650, description="Validity of the computes' certificates, in days.")
    socket_group: Optional[Name] = Field("libvirt", description="Group whose members (nova, as nova-compute runs) "
                                         "may use libvirtd's local read-write socket (unix_sock_group, mode 0770, no "
                                         "polkit); unset leaves the socket to the distribution's defaults.")

    @model_validator(mode="after")
    def _insecure(self):
        if self.transport == "tcp" and not self.allow_insecure_tcp:
            raise ValueError("transport tcp is unauthenticated and unencrypted (auth_tcp none); use tls, tcp-sasl or "
                             "ssh, or opt in with allow_insecure_tcp: true")
        if self.transport == "ssh" and not self.nova_ssh_public_key:
            raise ValueError("transport ssh needs nova_ssh_public_key (and secret nova_ssh_private_key)")
        if self.ca_cert and self.transport != "tls":
            raise ValueError(f"ca_cert is for transport tls, not {self.transport}; remove it or use tls")
        if self.ca_cert and "-----BEGIN CERTIFICATE-----" not in self.ca_cert:
            raise ValueError("ca_cert is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
        return self

    def tls(self) -> bool:
        return self.transport == "tls"


class OpenStackAuth(Model):
    auth_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")] = Field(
        description="Keystone v3 URL, e.g. https://keystone.example:5000/v3.")
    user_name: str = Field("admin", description="User that creates volume types and images.")
    project_name: str = Field("admin", description="Project scope.")
    user_domain_name: str = Field("Default")
    project_domain_name: str = Field("Default")
    region: Optional[str] = Field(None, description="Region; unset uses the cloud's only one.")
    cacert_file: Optional[str] = Field(None, description="CA bundle (PEM) that signed the endpoints' certificates, "
                                       "relative to the project directory or absolute; checked before anything runs.")
    insecure: bool = Field(False, description="Opt-in: skip TLS certificate verification.")
    allow_plain_http: bool = Field(False, description="Opt-in: allow an http:// auth_url, which sends the password "
                                   "in the clear (only for a lab on loopback or private test hosts).")

    @model_validator(mode="after")
    def _tls(self):
        if self.auth_url.startswith("http://") and not self.allow_plain_http:
            raise ValueError("http:// sends the password in the clear; use https, or opt in with allow_plain_http: true")
        if self.insecure and self.cacert_file:
            raise ValueError("insecure: true and cacert_file contradict each other; keep one")
        return self


class QosSpec(Model):
    name: Name = Field(description="QoS spec name.")
    consumer: Literal["front-end", "back-end", "both"] = Field("back-end", description="Who enforces it.")
    specs: dict[str, Scalar] = Field(description="e.g. {total_iops_sec: 1000}.")


class VolumeType(Model):
    name: Name = Field(description="Volume type name users see.")
    backend: Name = Field(description="cinder.backends entry it lands on; its volume_backend_name is taken from the "
                          "section the program renders, so the two cannot disagree.")
    description: Optional[str] = None
    public: bool = Field(True, description="Visible to every project; false: only to `projects`.")
    projects: list[str] = Field(default_factory=list, description="Project IDs given access to a private type.")
    extra_specs: dict[str, Scalar] = Field(default_factory=dict, description="Further extra specs.")
    qos: Optional[Name] = Field(None, description="qos_specs entry associated with this type.")

    @model_validator(mode="after")
    def _access(self):
        if self.public and self.projects:
            raise ValueError("projects only apply to a private type; set public: false")
        if "volume_backend_name" in self.extra_specs:
            raise ValueError("extra_specs.volume_backend_name is set from `backend`; remove it")
        return self


DiskFormat = Literal["raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx", "iso"]


class Image(Model):
    name: Name = Field(description="Image name in glance.")
    file: Optional[str] = Field(None, description="Local source file (relative to the project directory or absolute).")
    url: Optional[str] = Field(None, description="Source URL, downloaded on the machine running pulumi.")
    sha256: Optional[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]] = Field(
        None, description="Expected sha256 of the source; checked before anything is uploaded.")
    disk_format: DiskFormat = Field(description="Format of the source.")
    convert: bool = Field(True, description="Convert a non-raw source to raw with qemu-img on the machine running "
                          "pulumi (Ceph-backed glance serves only RAW for booting).")
    container_format: Literal["bare", "ovf", "ova"] = "bare"
    visibility: Optional[Literal["public", "private", "shared", "community"]] = Field(
        None, description="Unset keeps glance's default.")
    properties: dict[str, Scalar] = Field(default_factory=dict,
                                          description="e.g. hw_scsi_model: virtio-scsi, hw_disk_bus: scsi, "
                                                      "hw_qemu_guest_agent: 'yes', os_require_quiesce: 'yes'.")
    min_disk_gb: Optional[int] = Field(None, ge=0)
    min_ram_mb: Optional[int] = Field(None, ge=0)
    protected: bool = False
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.file is None) == (self.url is None):
            raise ValueError("give exactly one of file or url")
        return self


class StackConfig(Model):
    ssh: Ssh = Field(default_factory=Ssh, description="SSH defaults for every host.")
    release: str = Field("2026.2", description="OpenStack release (name or version): chooses between the "
                         "current and the old (before Ocata) forms of the Gluster and migration settings, and the "
                         "option data the `options` keys are checked against.")
    service_manager: Literal["systemd", "supervisord", "none"] = Field(
        "systemd", description="How services are restarted after their config changed.")
    service_names: dict[Service, str] = Field(default_factory=dict,
                                              description="Unit or program name where it differs from ours, e.g. "
                                                          "{glance-api: openstack-glance-api}.")
    hosts: dict[Name, Host] = Field(min_length=1, description="Every host the program touches, by name.")
    ceph: Optional[Ceph] = Field(None, description="The Ceph cluster OpenStack uses.")
    glance: Optional[Glance] = Field(None, description="glance-api.conf RBD store; unset leaves glance alone.")
    cinder: Optional[Cinder] = Field(None, description="cinder.conf backends and backup; unset leaves cinder alone.")
    nova: Optional[Nova] = Field(None, description="nova.conf `[libvirt]` RBD settings; unset leaves nova alone.")
    gluster: Optional[Gluster] = Field(None, description="GlusterFS trusted pool and volumes.")
    nfs_exports: list[NfsExport] = Field(default_factory=list, description="NFS exports.")
    ganesha_options: dict[str, dict[str, Scalar]] = Field(
        default_factory=dict, description="Further ganesha.conf blocks, e.g. {NFSv4: {Graceless: true}}.")
    instances_share: Optional[InstancesShare] = Field(None, description="Shared /var/lib/nova/instances for "
                                                      "live migration.")
    migration: Optional[Migration] = Field(None, description="libvirt live migration settings on the computes.")
    openstack: Optional[OpenStackAuth] = Field(None, description="How pulumi-openstack reaches the cloud "
                                               "(password: secret `openstack_password`).")
    qos_specs: list[QosSpec] = Field(default_factory=list, description="Cinder QoS specs.")
    volume_types: list[VolumeType] = Field(default_factory=list, description="Cinder volume types, one per use.")
    images: list[Image] = Field(default_factory=list, description="Glance images uploaded after glance is configured.")
    image_cache_dir: str = Field(".cache/images", description="Where sources are downloaded and converted "
                                 "(relative to the project directory).")

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


# ---- loading --------------------------------------------------------------------------------------

def _decode(value: Any) -> Any:
    # Pulumi hands structured values over as JSON text and scalars as plain text.
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _key(loc: tuple, raw: Any) -> str:
    """pydantic location -> config key, naming list items by their `name` where they have one."""
    out, node = "", raw
    for part in loc:
        if part in BACKEND_TYPES and isinstance(node, dict) and part not in node:
            continue   # pydantic's union tag, not a key of the config
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("name") if isinstance(item, dict) else None
            out += f"[{label if isinstance(label, str) else part}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load(values: dict[str, Any], secret_keys_set: set[str] | frozenset = frozenset(),
         root: Optional[Path] = None) -> StackConfig:
    """Parse and check a stack's config: `values` maps `openstack-storage:key` (or bare `key`) to raw values;
    `root`, the project directory, is where relative file paths (images, the CA bundle) start."""
    raw: dict[str, Any] = {}
    for full_key, value in values.items():
        ns, _, key = full_key.rpartition(":")
        if ns not in ("", PROJECT):
            continue   # another package's namespace (e.g. `openstack:`)
        if key in SECRET_KEYS:
            continue
        raw[key] = _decode(value)
    try:
        cfg = StackConfig.model_validate(raw)
    except pydantic.ValidationError as e:
        err = e.errors()[0]
        key = _key(err["loc"], raw) or "(top level)"
        if err["type"] == "extra_forbidden":
            raise ConfigError(key, "unknown key; check its spelling against the config reference in README.md") from None
        if err["type"] == "missing":
            raise ConfigError(key, "missing; this key is required") from None
        msg = err["msg"].removeprefix("Value error, ")
        shown = "" if err["type"].startswith(("value_error", "assertion")) else f" (got {_shown(err.get('input'))})"
        raise ConfigError(key, f"{msg}{shown}") from None
    for key in required_secrets(cfg):
        if key not in secret_keys_set:
            raise ConfigError(key, f"missing; set it as a secret: pulumi config set --secret {key} < FILE")
    from . import checks        # here, not at the top: the checks use the components, which import this
    checks.check(cfg, root or Path.cwd())
    return cfg


def required_secrets(cfg: StackConfig) -> list[str]:
    return (["ssh_private_key"] + (["openstack_password"] if cfg.openstack else [])
            + (["nova_ssh_private_key"] if cfg.migration and cfg.migration.nova_ssh_public_key else [])
            + (["migration_ca_key"] if cfg.migration and cfg.migration.ca_cert else []))


def _dupes(names) -> Optional[str]:
    return next((n for n, c in Counter(names).items() if c > 1), None)
