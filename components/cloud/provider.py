"""The pulumi-openstack provider, built from stack config: every OpenStack resource names it explicitly, so
nothing falls back to OS_* variables of whoever runs pulumi."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pulumi
import pulumi_openstack as openstack

from ..config import ConfigError, OpenStackAuth
from ..core.remote import hidden


def provider(auth: OpenStackAuth, password: pulumi.Output, cacert: Optional[str],
             secret: bool = False) -> openstack.Provider:
    """`cacert`: the PEM content of the stack's CA bundle (the plan read and checked it); `secret`: the stack's
    `openstack` key holds a secret, so every setting from it is a secret input."""
    def s(value):
        return hidden(value, secret) if value is not None else None
    return openstack.Provider(
        "openstack",
        auth_url=s(auth.auth_url), user_name=s(auth.user_name), password=password, tenant_name=s(auth.project_name),
        user_domain_name=s(auth.user_domain_name), project_domain_name=s(auth.project_domain_name),
        region=s(auth.region), cacert_file=cacert, insecure=auth.insecure or None)


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
