"""What every part of the stack config shares: the project, secret keys, roles, services and releases, the
constrained string types, the errors, and the `Model` base (unknown keys refused, frozen)."""
from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from . import formats
from .strings import HostAddress, OptionName, SectionName, Text, shown

PROJECT = "openstack-storage"
SECRET_KEYS = ("ssh_private_key", "openstack_password", "nova_ssh_private_key", "ssh_proxy_private_key",
               "migration_ca_key")

ROLES = ("glance-api", "cinder-volume", "cinder-backup", "nova-compute", "gluster-server", "nfs-server")
Role = Literal[ROLES]

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
"""The services the program restarts: the roles that are one, and the daemons the storage and libvirt need."""
Service = Literal[SERVICES]

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=63)]
Mode = Annotated[str, StringConstraints(pattern=r"^0[0-7]{3}$")]
Address = HostAddress
HostKey = Annotated[str, AfterValidator(formats.host_key)]
Scalar = Union[bool, int, float, Text]
# Extra oslo.config options a stack passes through unchanged: {section: {option: value}}.
Options = dict[SectionName, dict[OptionName, Union[Scalar, list[Scalar]]]]


class ConfigError(Exception):
    """A stack config mistake: `key` is the full config key, `message` what is wrong and what to do."""

    def __init__(self, key: str, message: str):
        # one line, whatever the config held: a value with a line break must not forge a second message
        super().__init__(shown(f"{PROJECT}:{key}: {message}"))
        self.key = key


class ConfigWarning(UserWarning):
    """Something the program could not check and goes on without; __main__ shows it as a Pulumi warning."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{PROJECT}:{key}: {message}")
        self.key = key


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _dupes(names) -> Optional[str]:
    return next((n for n, c in Counter(names).items() if c > 1), None)
