"""The pulumi-openstack provider, built from stack config: every OpenStack resource names it explicitly, so
nothing falls back to OS_* variables of whoever runs pulumi."""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_openstack as openstack

from .config import OpenStackAuth


def provider(auth: OpenStackAuth, password: pulumi.Output, cacert: Optional[str]) -> openstack.Provider:
    """`cacert`: the PEM content of the stack's CA bundle (the plan read and checked it)."""
    return openstack.Provider(
        "openstack",
        auth_url=auth.auth_url, user_name=auth.user_name, password=password, tenant_name=auth.project_name,
        user_domain_name=auth.user_domain_name, project_domain_name=auth.project_domain_name,
        region=auth.region, cacert_file=cacert, insecure=auth.insecure or None)
