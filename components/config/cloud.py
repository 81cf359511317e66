"""What the program creates in the cloud through its API: the provider's login, QoS specs, volume types, images."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, StringConstraints, model_validator

from .base import Model, Name, Scalar
from .strings import SpecKey, Text, Url


class OpenStackAuth(Model):
    auth_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")] = Field(
        description="Keystone v3 URL, e.g. https://keystone.example:5000/v3.")
    user_name: Text = Field("admin", description="User that creates volume types and images, and lists every "
                            "project's volumes before a backend is removed (an admin).")
    project_name: Text = Field("admin", description="Project scope.")
    user_domain_name: Text = Field("Default")
    project_domain_name: Text = Field("Default")
    region: Optional[Text] = Field(None, description="Region; unset uses the cloud's only one.")
    cacert_file: Optional[Text] = Field(None, description="CA bundle (PEM) that signed the endpoints' certificates, "
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
    specs: dict[SpecKey, Scalar] = Field(description="e.g. {total_iops_sec: 1000}.")


class VolumeType(Model):
    name: Name = Field(description="Volume type name users see.")
    backend: Name = Field(description="cinder.backends entry it lands on; its volume_backend_name is taken from the "
                          "section the program renders, so the two cannot disagree.")
    description: Optional[Text] = None
    public: bool = Field(True, description="Visible to every project; false: only to `projects`.")
    projects: list[Text] = Field(default_factory=list, description="Project IDs given access to a private type.")
    extra_specs: dict[SpecKey, Scalar] = Field(default_factory=dict, description="Further extra specs.")
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
    file: Optional[Text] = Field(None, description="Local source file (relative to the project directory or absolute).")
    url: Optional[Url] = Field(None, description="Source URL (http or https), downloaded on the machine running "
                               "pulumi.")
    allow_file_url: bool = Field(False, description="Opt-in: a file:// url, which reads a file of the machine "
                                 "running pulumi.")
    sha256: Optional[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]] = Field(
        None, description="Expected sha256 of the source; checked before anything is uploaded.")
    disk_format: DiskFormat = Field(description="Format of the source.")
    convert: bool = Field(True, description="Convert a non-raw source to raw with qemu-img on the machine running "
                          "pulumi (Ceph-backed glance serves only RAW for booting).")
    container_format: Literal["bare", "ovf", "ova"] = "bare"
    visibility: Optional[Literal["public", "private", "shared", "community"]] = Field(
        None, description="Unset keeps glance's default.")
    properties: dict[SpecKey, Scalar] = Field(default_factory=dict,
                                          description="e.g. hw_scsi_model: virtio-scsi, hw_disk_bus: scsi, "
                                                      "hw_qemu_guest_agent: 'yes', os_require_quiesce: 'yes'.")
    min_disk_gb: Optional[int] = Field(None, ge=0)
    min_ram_mb: Optional[int] = Field(None, ge=0)
    protected: bool = False
    tags: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.file is None) == (self.url is None):
            raise ValueError("give exactly one of file or url")
        if self.url and self.url.startswith("file:") and not self.allow_file_url:
            raise ValueError("a file:// url uploads a file of the machine running pulumi; use `file`, or opt in "
                             "with allow_file_url: true")
        return self
