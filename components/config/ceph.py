"""The Ceph cluster the clients use: pools, cephx users, the clients' `[client]` section."""
from __future__ import annotations

from typing import Annotated, Literal, Optional
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator, model_validator

from . import formats
from .base import Mode, Model, Name, Role, Scalar
from .strings import CephPath, OptionName, UnixName, data_dir, secret_mode


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
    owner: UnixName = Field("root", description="Keyring file owner.")
    group: UnixName = Field(description="Keyring file group: the group the consuming service runs as.")
    mode: Annotated[Mode, AfterValidator(secret_mode)] = Field(
        "0640", description="Keyring file mode; nothing for other users (a keyring holds a key).")
    key_generation: int = Field(0, ge=0, le=1_000_000, description="Raise it by one to rotate this user's cephx key "
                                "(compromised or expiring): one `pulumi up` gives Ceph a new key, which then refuses "
                                "the old one, rewrites every keyring and libvirt secret holding it and restarts only "
                                "the services that use it. Lowering it does nothing.")

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
    admin_socket: Optional[CephPath] = Field(None, description="e.g. /var/run/ceph/guests/$cluster-$type.$id.$pid.$cctid.asok; "
                                        "its directory is created, owned by runtime_owner:runtime_group.")
    log_file: Optional[CephPath] = Field(None, description="e.g. /var/log/qemu/qemu-guest-$pid.log; directory created likewise.")
    runtime_owner: UnixName = Field("libvirt-qemu", description="Owner of the admin socket and log directories (qemu's user).")
    runtime_group: UnixName = Field("kvm", description="Group of those directories.")
    options: dict[OptionName, Scalar] = Field(default_factory=dict, description="Further `[client]` options, "
                                              "verbatim (names with _, not spaces).")

    @model_validator(mode="after")
    def _dirs(self):
        for d in self.runtime_dirs():
            try:
                data_dir(d)
            except ValueError as e:
                raise ValueError(f"the directory of admin_socket or log_file: {e}") from None
        return self

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

    def conf_path(self) -> str:
        return f"/etc/ceph/{self.cluster}.conf"

    def keyring_path(self, client: str) -> str:
        return f"/etc/ceph/{self.cluster}.client.{client}.keyring"

    def client_named(self, name: str) -> Optional[CephClient]:
        return next((c for c in self.clients if c.name == name), None)
