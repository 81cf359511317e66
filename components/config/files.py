"""The files a stack names (image files, the cloud's CA bundle), read while the config is checked: a missing or
wrong one is a config error before anything runs."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

from .base import ConfigError
from .cloud import OpenStackAuth


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_cacert(auth: Optional[OpenStackAuth], root: Path) -> Optional[str]:
    """The provider reads the CA bundle even in a preview: a missing or unreadable one is a config error now,
    not a provider failure later. Relative paths start at the project directory, like image files."""
    if not (auth and auth.cacert_file):
        return None
    path = (root / auth.cacert_file).resolve()
    try:
        pem = path.read_text(errors="replace")
    except OSError as e:
        raise ConfigError("openstack.cacert_file", f"cannot read {path} ({e.strerror}); give the CA bundle that "
                          "signed the cloud's endpoints, relative to the project directory or absolute") from None
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError("openstack.cacert_file", f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return pem
