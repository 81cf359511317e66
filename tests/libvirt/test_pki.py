"""The PKI of TLS migration (components/libvirt/pki.py) under mocks: every compute gets a CA and its own server and
client certificates in libvirt's and qemu's paths, keys never in the clear; the certificates are the real ones the
providers make (the mocks run the same code)."""
import ipaddress

import pulumi
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from components.libvirt.certs import CertsProvider, issue, make_ca
from components.core.remote import sha256
from harness import config_error, deploy, files_on, is_secret, plain, plan, script, settled, text

LIBVIRT = {"/etc/pki/CA/cacert.pem": ("root", "0644"), "/etc/pki/libvirt/servercert.pem": ("root", "0644"),
           "/etc/pki/libvirt/private/serverkey.pem": ("root", "0600"),
           "/etc/pki/libvirt/clientcert.pem": ("root", "0644"),
           "/etc/pki/libvirt/private/clientkey.pem": ("root", "0600")}
QEMU = {"/etc/pki/qemu/ca-cert.pem": ("root", "0644"), "/etc/pki/qemu/server-cert.pem": ("root", "0644"),
        "/etc/pki/qemu/server-key.pem": ("kvm", "0640"), "/etc/pki/qemu/client-cert.pem": ("root", "0644"),
        "/etc/pki/qemu/client-key.pem": ("kvm", "0640")}


def files_of(monitor, host: str) -> dict:
    return files_on(monitor, f"{host}-libvirt-pki-")


def check_cert(pem: str, ca_pem: str, host: str, address: str, usage: str) -> None:
    cert, ca = x509.load_pem_x509_certificate(pem.encode()), x509.load_pem_x509_certificate(ca_pem.encode())
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [host]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(address)]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH if usage == "server" else ExtendedKeyUsageOID.CLIENT_AUTH]
    # what libvirt checks before it loads a certificate
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.key_encipherment
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


@pulumi.runtime.test
def test_every_compute_gets_its_certificates_in_libvirts_and_qemus_paths(monitor, dev_full):
    _, d = deploy(dev_full)

    def check(_):
        ca = monitor.named("migration-ca")
        assert "key_pem" in ca.secret_outputs
        for host in ("compute1", "compute2"):
            address = dev_full["hosts"][host]["address"]
            files = files_of(monitor, host)
            assert {p: (f.attrs["group"], f.attrs["mode"]) for p, f in files.items()} == {**LIBVIRT, **QEMU}
            assert len({f.r.name for f in files.values()}) == 1      # written together, in one session
            ca_pem = files["/etc/pki/CA/cacert.pem"].content
            assert x509.load_pem_x509_certificate(ca_pem.encode()).extensions.get_extension_for_class(
                x509.BasicConstraints).value.ca
            for usage in ("server", "client"):
                check_cert(files[f"/etc/pki/libvirt/{usage}cert.pem"].content, ca_pem, host, address, usage)
                assert files[f"/etc/pki/qemu/{usage}-cert.pem"].content == files[f"/etc/pki/libvirt/{usage}cert.pem"].content
                for key in (f"/etc/pki/libvirt/private/{usage}key.pem", f"/etc/pki/qemu/{usage}-key.pem"):
                    assert is_secret(files[key].r.inputs["contents"][key]) and "contents" in files[key].r.secret_outputs
                    assert "PRIVATE KEY" in files[key].content
            certs = monitor.named(f"{host}-libvirt-pki-certs")
            assert {"ca_key", "server_key_pem", "client_key_pem"} <= set(certs.secret_outputs)
            assert is_secret(certs.inputs["ca_key"])
        # the two computes share the CA, not their keys
        keys = {files_of(monitor, h)["/etc/pki/libvirt/private/serverkey.pem"].content for h in ("compute1", "compute2")}
        assert len(keys) == 2
        # the stack's outputs name no key
        assert "PRIVATE KEY" not in str(d.outputs)
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_libvirtd_restarts_after_its_certificates_and_when_they_change(monitor, dev_full):
    _, d = deploy(dev_full)

    def check(_):
        restart = monitor.named("compute1-migration-libvirt-restart-libvirtd")
        triggers = plain(restart.inputs["triggers"])
        # libvirtd.conf's hash, its write, and the write of the compute's certificates
        assert triggers == [sha256(text(monitor.named("compute1-migration-libvirt-file"))),
                            "written-compute1-migration-libvirt-file", "written-compute1-libvirt-pki-files"], triggers
        # and it restarts when either write changed a file (the mocks' first writes change every one)
        assert script(restart).startswith('service=libvirtd\nsystemctl restart "$service"'), script(restart)
        for path in LIBVIRT:
            assert monitor.depends_on("compute1-migration-libvirt-restart-libvirtd",
                                      files_of(monitor, "compute1")[path].r.name), path
        # libvirtd.conf itself is written without waiting for them: only the restart reads the certificates
        assert not monitor.depends_on("compute1-migration-libvirt-file", "compute1-libvirt-pki-files")
        assert not monitor.depends_on("compute1-migration-libvirt-file", "compute1-libvirt-pki-certs")
        # virsh secret-set needs libvirtd up: never while it restarts (the lab saw "Failed to connect socket"). It
        # runs first, against the running libvirtd, which keeps the persistent secret across the restart; the
        # restart waits for it, and nova-compute's for both
        for h in ("compute1", "compute2"):
            assert monitor.depends_on(f"{h}-migration-libvirt-restart-libvirtd", f"{h}-libvirt-secret-set"), h
            assert not monitor.depends_on(f"{h}-libvirt-secret-set", f"{h}-migration-libvirt-restart-libvirtd"), h
            for earlier in ("libvirt-secret-set", "migration-libvirt-restart-libvirtd"):
                assert monitor.depends_on(f"{h}-nova-config-restart-nova-compute", f"{h}-{earlier}"), (h, earlier)
        assert not monitor.depends_on("compute1-migration-libvirt-restart-libvirtd", "compute2-libvirt-secret-set")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_a_new_compute_gets_certificates_too(monitor, dev_full):
    dev_full["hosts"]["compute3"] = {**dev_full["hosts"]["compute2"], "address": "203.0.113.23"}
    _, d = deploy(dev_full)

    def check(_):
        files = files_of(monitor, "compute3")
        assert set(files) == {*LIBVIRT, *QEMU}
        check_cert(files["/etc/pki/libvirt/servercert.pem"].content, files["/etc/pki/CA/cacert.pem"].content,
                   "compute3", "203.0.113.23", "server")
    return settled(d.resources).apply(check)


def test_a_changed_name_address_or_ca_issues_a_new_certificate():
    ca, key = make_ca("test CA")
    old = {"ca_cert": ca, "ca_key": key, "common_name": "compute1", "dns_names": ["compute1"],
           "ip_addresses": ["203.0.113.21"], "days": 825}
    p = CertsProvider()
    assert not p.diff("id", old, dict(old)).changes
    for field, value in (("ip_addresses", ["203.0.113.99"]), ("dns_names", ["compute9"]), ("ca_cert", make_ca("b")[0])):
        d = p.diff("id", old, {**old, field: value})
        assert d.changes and d.replaces == [field], field


def test_a_key_that_is_not_the_cas_is_refused():
    ca, _ = make_ca("one")
    _, other = make_ca("two")
    with pytest.raises(ValueError, match="migration_ca_key is not the private key of migration.ca_cert"):
        issue(ca, other, "compute1", ["compute1"], ["203.0.113.21"], "server", 825)


@pulumi.runtime.test
def test_a_ca_the_stack_supplies_signs_the_certificates(monitor, dev_full):
    ca, key = make_ca("operator's CA")
    dev_full["migration"]["ca_cert"] = ca
    from harness import OPENSTACK_PASSWORD, SSH_KEY
    _, d = deploy(dev_full, {"ssh_private_key": SSH_KEY, "openstack_password": OPENSTACK_PASSWORD,
                             "migration_ca_key": key})

    def check(_):
        assert not [r for r in monitor.registrations if r.name == "migration-ca"]
        files = files_of(monitor, "compute1")
        assert files["/etc/pki/CA/cacert.pem"].content == ca
        check_cert(files["/etc/pki/libvirt/clientcert.pem"].content, ca, "compute1",
                   dev_full["hosts"]["compute1"]["address"], "client")
        assert is_secret(monitor.named("compute1-libvirt-pki-certs").inputs["ca_key"])
    return settled(d.resources).apply(check)


def test_a_supplied_ca_needs_its_key_as_a_secret(dev_full):
    dev_full["migration"]["ca_cert"] = make_ca("operator's CA")[0]
    assert config_error(dev_full).startswith("openstack-storage:migration_ca_key: missing; set it as a secret")


def test_native_tls_in_nova_conf_and_not_without_tls(dev_full):
    assert "live_migration_with_native_tls = true" in plan(dev_full).configs["nova"]
    dev_full["migration"] = {"transport": "tcp-sasl"}
    assert "native_tls" not in plan(dev_full).configs["nova"]


@pulumi.runtime.test
def test_nova_compute_restarts_when_libvirtd_does(monitor, dev_full):
    """nova-compute loses its libvirt connection when libvirtd restarts, and nova disables the compute until it
    reconnects (the lab's boot then found "No valid host"): libvirtd's file changes restart it too, after libvirtd."""
    _, d = deploy(dev_full)

    def check(_):
        for h in ("compute1", "compute2"):
            triggers = plain(monitor.named(f"{h}-nova-config-restart-nova-compute").inputs["triggers"])
            assert {f"written-{h}-migration-libvirt-file", f"written-{h}-libvirt-pki-files"} <= set(triggers), triggers
            assert monitor.depends_on(f"{h}-nova-config-restart-nova-compute", f"{h}-migration-libvirt-restart-libvirtd")
        other = plain(monitor.named("compute1-nova-config-restart-nova-compute").inputs["triggers"])
        assert "written-compute2-libvirt-pki-files" not in other
    return settled(d.resources).apply(check)
