"""Strings a stack copies from elsewhere, parsed the way their owners write them: SSH public host keys and Ceph
monitor addresses; and a value as oslo.config reads it. Each parser raises ValueError saying what is wrong; the config models call them, so the error
names the stack key."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Any

CURVES = {"ecdsa-sha2-nistp256": 32, "ecdsa-sha2-nistp384": 48, "ecdsa-sha2-nistp521": 66}
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", *CURVES)
WHERE = "copy the line '<type> <base64>' from the host's /etc/ssh/ssh_host_*_key.pub (without its comment) " \
        "or from ssh-keyscan"


def host_key(line: str) -> str:
    """An SSH public key line as pinned: `<type> <base64 blob>`, the blob whole and of that type."""
    kind, _, data = line.partition(" ")
    if kind not in KEY_TYPES:
        raise ValueError(f"key type {kind!r} is not one of {', '.join(KEY_TYPES)}; {WHERE}")
    try:
        blob = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise ValueError(f"the key after {kind} is not base64; {WHERE}") from None
    if not blob:
        raise ValueError(f"no key after {kind}; {WHERE}")
    fields = []
    while blob:     # the blob is a run of length-prefixed strings
        size = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else len(blob)
        if len(blob) - 4 < size:
            raise ValueError(f"the {kind} key is cut short; {WHERE}")
        fields.append(blob[4:4 + size])
        blob = blob[4 + size:]
    if fields[0] != kind.encode():
        raise ValueError(f"the blob holds a {fields[0].decode(errors='replace')!r} key, not {kind}; {WHERE}")
    if not _whole(kind, fields[1:]):
        raise ValueError(f"the blob is not a whole {kind} key; {WHERE}")
    return line


def _whole(kind: str, fields: list[bytes]) -> bool:
    """What follows the type in the blob: ed25519 a 32-byte point; RSA its exponent and modulus; ECDSA the curve's
    name and an uncompressed point (0x04, x, y)."""
    if kind == "ssh-ed25519":
        return len(fields) == 1 and len(fields[0]) == 32
    if kind == "ssh-rsa":
        return len(fields) == 2 and all(fields)
    return len(fields) == 2 and fields[0] == kind.rsplit("-", 1)[1].encode() \
        and len(fields[1]) == 1 + 2 * CURVES[kind] and fields[1][:1] == b"\x04"


_PORT = r"(?::(?P<port>\d{1,5}))?"
# One address as Ceph's entity_addr_t reads it: an optional messenger type, IPv4 or bracketed IPv6, a port, a nonce.
_ADDR = re.compile(r"(?:(?:v1|v2|any):)?(?P<ip>[0-9.]+|\[[0-9A-Fa-f:.]+\])" + _PORT + r"(?:/\d+)?")
_HOSTNAME = re.compile(r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)"
                       + _PORT)
MON_FORMS = "10.0.0.1, 10.0.0.1:6789, v2:10.0.0.1:3300, [v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0], [::1]:6789 or a " \
            "host name"


def _split(text: str, separators: str) -> list[str]:
    """`text` cut at the separators outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text + separators[0]):
        depth += (c == "[") - (c == "]")
        if depth < 0:
            break
        if depth == 0 and c in separators:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"{text!r} has a bracket too many or too few; write {MON_FORMS}")
    return [p for p in parts if p]


def _address(text: str) -> str:
    """The host of one address, IPv6 without its brackets; ValueError when it is no address Ceph reads."""
    if "%" in text:
        raise ValueError("an IPv6 scope id (%...) is not written in ceph.conf")
    try:
        return str(ipaddress.ip_address(text))      # a bare IPv6 address, which then has no port
    except ValueError:
        pass
    m = _ADDR.fullmatch(text)
    if m:
        ip = m["ip"].strip("[]")
        if ":" in ip and not m["ip"].startswith("["):
            raise ValueError(f"IPv6 {ip} with a port needs brackets: [{ip}]")
        host = str(ipaddress.ip_address(ip))
    else:
        m = _HOSTNAME.fullmatch(text)
        if not m or re.fullmatch(r"[0-9.]+", m["name"]):
            raise ValueError(text)
        host = m["name"]
    if m["port"] and not 0 < int(m["port"]) < 65536:
        raise ValueError(f"port {m['port']} is not between 1 and 65535")
    return host


def monitors(value) -> list[str]:
    """mon_host as a list of monitors, one entry each as written: from a list, or one string separated by commas or
    spaces as ceph.conf has it; a bracketed list is one monitor's addresses."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"give the monitors as a list or one string ({MON_FORMS})")
    out = [m for t in texts for m in _split(t.strip(), ", \t")]
    for m in out:
        mon_address(m)
    return out


def mon_address(monitor: str) -> str:
    """One monitor's plain host (of its first address: a monitor's v1 and v2 addresses share it), e.g. for
    libvirt's <host name=...>."""
    inner = monitor[1:-1] if monitor.startswith("[") and monitor.endswith("]") and not _ADDR.fullmatch(monitor) \
        else None
    addrs = _split(inner, ",") if inner is not None else [monitor]
    try:
        hosts = [_address(a) for a in addrs]
    except ValueError as e:
        detail = "" if str(e) in addrs else f" ({e})"
        raise ValueError(f"{monitor!r} is not a monitor address as Ceph writes them{detail}; write {MON_FORMS}") \
            from None
    if not hosts:
        raise ValueError(f"{monitor!r} names no address; write {MON_FORMS}")
    return hosts[0]


def oslo(value: Any) -> str:
    """A value as oslo.config reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(oslo(v) for v in value)
    return str(value)
