"""Stack configuration: parsed once into typed objects and validated before any resource exists.

Every mistake raises ConfigError naming the key (`openstack-storage:ceph.pools[volumes].size`) and saying
what to do. Secrets (the SSH private key) are not part of these objects: the program reads them as Pulumi
secrets, and `load` only checks that they are set.

One module per part of the config: `base` (project, roles, releases, string types, errors), `hosts`, `ceph`,
`services` (glance, cinder, nova), `storage` (gluster, NFS, the instances share), `migration`, `cloud` (provider,
QoS, volume types, images), `stack` (StackConfig) and `load`. The names are re-exported here.
"""
from .base import (PROJECT, RELEASE_VERSIONS, RELEASES, ROLES, SECRET_KEYS, SERVICES, Address, ConfigError,
                   ConfigWarning, HostKey, Mode, Model, Name, Options, Role, Scalar, Service, _dupes, release_index)
from .ceph import Ceph, CephClient, CephClientSection, CephPool
from .cloud import DiskFormat, Image, OpenStackAuth, QosSpec, VolumeType
from .hosts import Host, Ssh, SshProxy
from .load import load, required_secrets
from .migration import Migration
from .services import (BACKEND_TYPES, Cinder, CinderBackend, CinderCephBackend, CinderCephBackup,
                       CinderGlusterBackend, CinderLvmBackend, CinderNfsBackend, FileVolumeGroup, Glance, Nova)
from .stack import StackConfig
from .storage import Brick, Gluster, GlusterVolume, InstancesShare, NfsExport, NfsIds

__all__ = [
    "PROJECT", "RELEASE_VERSIONS", "RELEASES", "ROLES", "SECRET_KEYS", "SERVICES", "Address", "ConfigError",
    "ConfigWarning", "HostKey", "Mode", "Model", "Name", "Options", "Role", "Scalar", "Service", "_dupes",
    "release_index",
    "Ceph", "CephClient", "CephClientSection", "CephPool",
    "DiskFormat", "Image", "OpenStackAuth", "QosSpec", "VolumeType",
    "Host", "Ssh", "SshProxy",
    "load", "required_secrets",
    "Migration",
    "BACKEND_TYPES", "Cinder", "CinderBackend", "CinderCephBackend", "CinderCephBackup", "CinderGlusterBackend",
    "CinderLvmBackend", "CinderNfsBackend", "FileVolumeGroup", "Glance", "Nova",
    "StackConfig",
    "Brick", "Gluster", "GlusterVolume", "InstancesShare", "NfsExport", "NfsIds",
]
