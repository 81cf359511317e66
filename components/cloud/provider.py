"""The pulumi-openstack provider, built from stack config: every OpenStack resource names it explicitly, so
nothing falls back to OS_* variables of whoever runs pulumi."""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_openstack as openstack

from ..config import OpenStackAuth
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
