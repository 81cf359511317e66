"""The CA and the computes' certificates for libvirt's TLS migration: Python dynamic resources made on the machine
running pulumi (the `cryptography` library). Their private keys exist only as secret outputs in state, never in a
preview, a log or a command line.

Apart from the component that places them (pki.py), so that the provider process, which unpickles these providers
by module path in every run, imports this module and pulumi alone: not the program's config models or templates.
"""
from __future__ import annotations

import datetime
import ipaddress
from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

CA_DAYS = 3650


def _key_pem(key) -> str:
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert(subject: str, issuer_name, public_key, signer, days: int, extensions: list):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "openstack-storage"),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days)))
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def make_ca(common_name: str, days: int = CA_DAYS) -> tuple[str, str]:
    """A new CA: (certificate PEM, private key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                          decipher_only=False)
    return _cert(common_name, None, key.public_key(), key, days,
                 [(x509.BasicConstraints(ca=True, path_length=0), True), (usage, True)]), _key_pem(key)


def issue(ca_cert: str, ca_key: str, common_name: str, dns_names: list[str], ip_addresses: list[str], usage: str,
          days: int) -> tuple[str, str]:
    """A `server` or `client` certificate signed by the CA: (certificate PEM, private key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID
    ca = x509.load_pem_x509_certificate(ca_cert.encode())
    signer = serialization.load_pem_private_key(ca_key.encode(), None)
    if signer.public_key().public_numbers() != ca.public_key().public_numbers():
        raise ValueError("migration_ca_key is not the private key of migration.ca_cert")
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([*(x509.DNSName(n) for n in dns_names),
                                       *(x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses)])
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if usage == "server" else ExtendedKeyUsageOID.CLIENT_AUTH])
    key_usage = x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False)
    return _cert(common_name, ca.subject, key.public_key(), signer, days,
                 [(x509.BasicConstraints(ca=False, path_length=None), True), (key_usage, True), (eku, False),
                  (san, False)]), _key_pem(key)


class CaProvider(ResourceProvider):
    def create(self, props: dict) -> CreateResult:
        cert, key = make_ca(props["common_name"])
        return CreateResult(props["common_name"], {**props, "cert_pem": cert, "key_pem": key})

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = olds.get("common_name") != news.get("common_name")
        return DiffResult(changes=changed, replaces=["common_name"] if changed else [], delete_before_replace=False)


class CertificateAuthority(Resource):
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]

    def __init__(self, name: str, common_name: str, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(CaProvider(), name, {"kind": "ca", "common_name": common_name, "cert_pem": None,
                                              "key_pem": None},
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["key_pem"])))


CERT_FIELDS = ("ca_cert", "common_name", "dns_names", "ip_addresses", "days")


class CertsProvider(ResourceProvider):
    """A compute's server and client certificates, made together (they name the same host, from the same CA)."""

    def create(self, props: dict) -> CreateResult:
        out = {**props}
        for usage in ("server", "client"):
            out[f"{usage}_cert_pem"], out[f"{usage}_key_pem"] = issue(
                *(props[k] for k in ("ca_cert", "ca_key", "common_name", "dns_names", "ip_addresses")), usage,
                int(props["days"]))
        return CreateResult(f"certificates:{props['common_name']}", out)

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        """Anything the certificates say (or their CA) changed: new ones, with new keys."""
        replaces = [k for k in CERT_FIELDS if str(olds.get(k)) != str(news.get(k))]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)


class CertProvider(ResourceProvider):
    """The one-certificate provider of stacks made before a compute's two certificates were one resource: kept so
    that such a stack can let go of them (the engine loads a resource's provider from its state to delete it)."""


class Certificates(Resource):
    server_cert_pem: pulumi.Output[str]
    server_key_pem: pulumi.Output[str]
    client_cert_pem: pulumi.Output[str]
    client_key_pem: pulumi.Output[str]

    def __init__(self, name: str, ca_cert: pulumi.Input[str], ca_key: pulumi.Input[str], common_name: str,
                 dns_names: list[str], ip_addresses: list[str], days: int,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(CertsProvider(), name, {
            "kind": "certificates", "ca_cert": ca_cert, "ca_key": pulumi.Output.secret(ca_key),
            "common_name": common_name, "dns_names": dns_names, "ip_addresses": ip_addresses, "days": days,
            **{f"{u}_{k}_pem": None for u in ("server", "client") for k in ("cert", "key")},
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["ca_key", "server_key_pem", "client_key_pem"])))
