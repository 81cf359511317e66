"""The string types of the stack config: each says where its value goes, and refuses what does not fit there.

Every string of the config has one of these types, so a value reaches a script, a rendered file or a host path
only in a form its sink cannot misread: no control character or line break anywhere, identifiers and paths from a
small alphabet, addresses and networks parsed (no IPv6 scope ids), one public key, http(s) URLs. Each validator
raises ValueError saying what is wrong and what to write; the model's error then names the stack key.
"""
from __future__ import annotations

import ipaddress
import posixpath
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from . import formats

# C0 and C1 controls, DEL, and the separators Python's splitlines() breaks on: none belongs in a single value.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown(text: str) -> str:
    """`text` with its control characters escaped, for an error message that stays one line."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def text(value: str) -> str:
    bad = CONTROL.search(value)
    if bad:
        raise ValueError(f"contains the control character {repr(bad.group())[1:-1]}; a value is one line of "
                         f"printable text")
    return value


def _pattern(regex: str, what: str, max_length: int = 255):
    compiled = re.compile(regex)

    def check(value: str) -> str:
        text(value)
        if len(value) > max_length or not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value
    return check


# Paths the program must never take over: making one of them an export, a brick, a mount point or a directory it
# owns would hand the system to a service user or hide it under a mount.
SYSTEM_DIRS = frozenset(
    "/ /bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root /run /sbin /srv /sys /tmp "
    "/usr /usr/bin /usr/lib /usr/lib64 /usr/libexec /usr/local /usr/sbin /usr/share /var /var/cache /var/lib "
    "/var/lib/nova /var/lib/cinder /var/lib/glance /var/lib/libvirt /var/lib/ceph /var/local /var/log /var/mail "
    "/var/opt /var/run /var/spool /var/tmp /var/lib/nova/.ssh".split())
# Trees where no data directory of the program belongs (configuration, the OS, kernel interfaces).
SYSTEM_TREES = ("/etc/", "/usr/", "/boot/", "/dev/", "/proc/", "/sys/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/root/")
PATH_CHAR = re.compile(r"[^/A-Za-z0-9._@+-]")
CEPH_PATH_CHAR = re.compile(r"[^/A-Za-z0-9._@+$-]")


def absolute_path(value: str, dollar: bool = False) -> str:
    """An absolute, normalised path of plain characters (`$` too where Ceph expands metavariables)."""
    text(value)
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute path; start it with /")
    bad = (CEPH_PATH_CHAR if dollar else PATH_CHAR).search(value)
    if bad:
        raise ValueError(f"{value!r} has the character {bad.group()!r}; a path here may hold letters, digits and "
                         f"{'$' if dollar else ''}._@+- between slashes")
    if posixpath.normpath(value) != value or "/../" in value + "/" or value.startswith("//"):
        raise ValueError(f"{value!r} is not a normalised path; write {posixpath.normpath(value)!r} "
                         f"(no //, no trailing /, no . or .. parts)")
    if len(value) > 4095:
        raise ValueError("the path is longer than PATH_MAX")
    return value


def data_dir(value: str) -> str:
    """A directory the program creates, exports, mounts on or owns: not a system directory nor inside /etc, /usr,
    /boot, /dev, /proc, /sys, /root."""
    absolute_path(value)
    if value in SYSTEM_DIRS:
        raise ValueError(f"{value!r} is a system directory; give a directory of its own, e.g. /srv/<name>")
    tree = next((t for t in SYSTEM_TREES if value.startswith(t) and not value.startswith("/usr/local/")), None)
    if tree:
        raise ValueError(f"{value!r} is inside {tree.rstrip('/')}, where no data directory belongs; use e.g. "
                         f"/srv or /var/lib/<service>")
    return value


def pseudo_path(value: str) -> str:
    absolute_path(value)
    if value == "/":
        raise ValueError("'/' is the NFSv4 pseudo root every export hangs from; give a path under it, e.g. /cinder")
    return value


def _scope(value: str) -> None:
    if "%" in value:
        raise ValueError(f"{value!r} has an IPv6 scope id (%...); give the address without it")


HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                      r"[A-Za-z0-9])?)*")


def ip_address(value: str) -> str:
    text(value)
    _scope(value)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None
    return value


def host_address(value: str) -> str:
    """An IP address (IPv4 or IPv6, no scope id) or a DNS host name."""
    try:
        return ip_address(value)
    except ValueError:
        if CONTROL.search(value) or "%" in value:
            raise
    if not HOSTNAME.fullmatch(value) or re.fullmatch(r"[0-9.]+", value):
        raise ValueError(f"{value!r} is not an IP address or a DNS host name")
    return value


def network(value: str) -> str:
    """A client network (`10.0.0.0/24`, `2001:db8::/64`) or one address; never everyone."""
    text(value)
    _scope(value)
    if value.strip() in ("*", "0.0.0.0/0", "::/0"):
        raise ValueError(f"{value!r} opens the share to everyone; name the compute network")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not a network such as 10.0.0.0/24") from None
    if net.prefixlen == 0:
        raise ValueError(f"{value!r} opens the share to everyone; name the compute network")
    return value


def share(value: str) -> str:
    """An NFS share as cinder's shares file has it: `host:/path`, an IPv6 host in brackets."""
    text(value)
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]/]+):(/.*)", value)
    if not m:
        raise ValueError(f"{value!r} is not a share such as 10.0.0.5:/srv/cinder ([2001:db8::5]:/srv/cinder)")
    host = m.group(1)
    ip_address(host[1:-1]) if host.startswith("[") else host_address(host)
    absolute_path(m.group(2))
    return value


def public_key(value: str) -> str:
    """One SSH public key line: `<type> <base64> [comment]`, no options, the key whole."""
    text(value)
    parts = value.strip().split(" ", 2)
    if len(parts) < 2:
        raise ValueError("is not an SSH public key line ('<type> <base64> [comment]')")
    formats.host_key(" ".join(parts[:2]))
    return value


def url(value: str) -> str:
    """An http or https URL (a `file://` URL only where the image opts in: see Image.allow_file_url)."""
    text(value)
    parts = urlsplit(value)
    if " " in value or parts.scheme not in ("http", "https", "file"):
        raise ValueError(f"{value!r} is not an http or https URL")
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError(f"{value!r} names no host")
    return value


def secret_mode(value: str) -> str:
    if int(value, 8) & 0o007:
        raise ValueError(f"{value} lets every user of the host read or change the key; give the service's group "
                         f"read access instead (0640) or none (0600)")
    return value


def owner_group(value: str) -> str:
    """`user` or `user:group`."""
    for part in value.split(":", 1):
        unix_name(part)
    return value


# oslo.config, Ceph and gluster option names; section names; Unix users and groups; systemd units and supervisord
# programs.
option_name = _pattern(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", "an option name (letters, digits, _ . -)")
section_name = _pattern(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*", "a section name (letters, digits, _ . : -)")
unix_name = _pattern(r"[A-Za-z_][A-Za-z0-9_.-]*", "a user or group name (letters, digits, _ . -)", 32)
unit_name = _pattern(r"[A-Za-z0-9][A-Za-z0-9:_.@-]*", "a systemd unit or supervisord program name "
                     "(letters, digits, : _ . @ -)")
gluster_option = _pattern(r"[A-Za-z0-9][A-Za-z0-9._-]*", "a gluster volume option such as performance.cache-size")
spec_key = _pattern(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*", "a key (letters, digits, _ . : -)")
mount_options = _pattern(r"[A-Za-z0-9_.=:/+-]+(,[A-Za-z0-9_.=:/+-]+)*",
                         "mount options, comma-separated (letters, digits, _ . = : / + -)")
cache_mode = _pattern(r"(file|block|network|mount)=(default|none|writethrough|writeback|directsync|unsafe)",
                      "a disk cache mode such as network=writeback (file|block|network|mount = "
                      "default|none|writethrough|writeback|directsync|unsafe)")
domain = _pattern(HOSTNAME.pattern, "a DNS domain such as cloud.example")
libvirt_uri = _pattern(r"[a-z0-9+]+:///?[A-Za-z0-9._~:/?=&%@+-]*", "a libvirt URI such as qemu:///system")
ganesha_block = _pattern(r"[A-Za-z][A-Za-z0-9_]*", "a ganesha.conf block name (letters, digits, _)")
# A ganesha.conf value, or a list of them: its syntax ends a value at ; and a block at }, lists with ",", quotes
# with ", comments with #, and a space ends a word.
ganesha_value = _pattern(r'[^\s"{};#=,]+(\s*,\s*[^\s"{};#=,]+)*',
                         'a ganesha.conf value or comma-separated list (no spaces inside one, nor " { } ; # =)')

Text = Annotated[str, AfterValidator(text)]
AbsPath = Annotated[str, AfterValidator(absolute_path)]
CephPath = Annotated[str, AfterValidator(lambda v: absolute_path(v, dollar=True))]
DataDir = Annotated[str, AfterValidator(data_dir)]
PseudoPath = Annotated[str, AfterValidator(pseudo_path)]
HostAddress = Annotated[str, AfterValidator(host_address)]
IPAddress = Annotated[str, AfterValidator(ip_address)]
Network = Annotated[str, AfterValidator(network)]
Share = Annotated[str, AfterValidator(share)]
PublicKey = Annotated[str, AfterValidator(public_key)]
Url = Annotated[str, AfterValidator(url)]
OwnerGroup = Annotated[str, AfterValidator(owner_group)]
OptionName = Annotated[str, AfterValidator(option_name)]
SectionName = Annotated[str, AfterValidator(section_name)]
UnixName = Annotated[str, AfterValidator(unix_name)]
UnitName = Annotated[str, AfterValidator(unit_name)]
SpecKey = Annotated[str, AfterValidator(spec_key)]
MountOptions = Annotated[str, AfterValidator(mount_options)]
CacheMode = Annotated[str, AfterValidator(cache_mode)]
Domain = Annotated[str, AfterValidator(domain)]
LibvirtUri = Annotated[str, AfterValidator(libvirt_uri)]
GaneshaBlock = Annotated[str, AfterValidator(ganesha_block)]
GaneshaValue = Annotated[str, AfterValidator(ganesha_value)]
