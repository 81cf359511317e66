"""components/hoststate.py, components/libvirt_pki.py and libvirt/pki.py's imports: a stack's state written before
the components moved into packages, or before the certificate providers moved into libvirt/certs.py, still loads.

Pulumi keeps a dynamic resource's provider in the state, pickled by reference: the module path and class name
(pulumi.dynamic's serialize_provider). A refresh or a delete unpickles it in a fresh provider process
that has imported nothing of the program (pulumi/dynamic/__main__.py's get_provider: base64, then dill.loads)."""
import base64
import subprocess
import sys

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.core import hoststate
from harness import ROOT

# serialize_provider(Provider()) by the code before the move (86154d9), the providers then in
# components/hoststate.py and components/libvirt_pki.py: what such a stack's state holds.
OLD = {
    "components.hoststate.RemoteFilesProvider":
        "gASVMwAAAAAAAACMFGNvbXBvbmVudHMuaG9zdHN0YXRllIwTUmVtb3RlRmlsZXNQcm92aWRlcpSTlCmBlC4=",
    "components.hoststate.RemoteFileProvider":
        "gASVMgAAAAAAAACMFGNvbXBvbmVudHMuaG9zdHN0YXRllIwSUmVtb3RlRmlsZVByb3ZpZGVylJOUKYGULg==",
    "components.hoststate.CephClientProvider":
        "gASVMgAAAAAAAACMFGNvbXBvbmVudHMuaG9zdHN0YXRllIwSQ2VwaENsaWVudFByb3ZpZGVylJOUKYGULg==",
    "components.libvirt_pki.CaProvider":
        "gASVLAAAAAAAAACMFmNvbXBvbmVudHMubGlidmlydF9wa2mUjApDYVByb3ZpZGVylJOUKYGULg==",
    "components.libvirt_pki.CertsProvider":
        "gASVLwAAAAAAAACMFmNvbXBvbmVudHMubGlidmlydF9wa2mUjA1DZXJ0c1Byb3ZpZGVylJOUKYGULg==",
    "components.libvirt_pki.CertProvider":
        "gASVLgAAAAAAAACMFmNvbXBvbmVudHMubGlidmlydF9wa2mUjAxDZXJ0UHJvdmlkZXKUk5QpgZQu",
}
# serialize_provider(Provider()) by the code before libvirt/certs.py (ed90ad3): the CA and certificate providers then
# in components/libvirt/pki.py.
OLD.update({
    "components.libvirt.pki.CaProvider":
        "gASVLAAAAAAAAACMFmNvbXBvbmVudHMubGlidmlydC5wa2mUjApDYVByb3ZpZGVylJOUKYGULg==",
    "components.libvirt.pki.CertsProvider":
        "gASVLwAAAAAAAACMFmNvbXBvbmVudHMubGlidmlydC5wa2mUjA1DZXJ0c1Byb3ZpZGVylJOUKYGULg==",
    "components.libvirt.pki.CertProvider":
        "gASVLgAAAAAAAACMFmNvbXBvbmVudHMubGlidmlydC5wa2mUjAxDZXJ0UHJvdmlkZXKUk5QpgZQu",
})
NOW = {"components.hoststate": "components.core.hoststate", "components.libvirt_pki": "components.libvirt.certs",
       "components.libvirt.pki": "components.libvirt.certs"}

LOAD = """import base64, sys, dill
for s in sys.argv[1:]:
    p = dill.loads(base64.b64decode(s))
    print(f"{type(p).__module__}.{type(p).__qualname__}")
"""


def test_a_state_from_before_the_move_loads_its_providers_in_a_fresh_provider_process():
    for name, pickled in OLD.items():
        assert name.rpartition(".")[0].encode() in base64.b64decode(pickled)    # the old path, as the state has it
    r = subprocess.run([sys.executable, "-c", LOAD, *OLD.values()], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{NOW[module]}.{cls}" for module, _, cls in (n.rpartition(".") for n in OLD)]


def test_the_old_paths_are_what_loads_them_and_new_states_name_the_new_ones(monkeypatch):
    pickled = base64.b64decode(OLD["components.hoststate.RemoteFilesProvider"])
    monkeypatch.setitem(sys.modules, "components.hoststate", None)     # as if the module were not there
    with pytest.raises(ModuleNotFoundError, match="components.hoststate"):
        dill.loads(pickled)
    monkeypatch.undo()
    provider = dill.loads(pickled)
    assert type(provider) is hoststate.RemoteFilesProvider
    assert b"components.core.hoststate" in base64.b64decode(serialize_provider(provider))


LIGHT = """import base64, sys, dill
for s in sys.argv[1:]:
    dill.loads(base64.b64decode(s))
print(" ".join(sorted(m for m in sys.modules if m.startswith(("components", "jinja2", "pydantic", "pulumi_command")))))
"""


def test_the_provider_process_imports_only_the_providers_modules():
    """The provider process unpickles every dynamic resource's provider, on every run, and the engine waits for its
    first answer: it imports the providers' modules, not the program's config models, templates or pulumi_command."""
    from components.cloud.backend_check import BackendGuardProvider
    from components.core.hoststate import CephClientProvider, RemoteFilesProvider
    from components.core.retire import HostSecretsProvider
    from components.libvirt.certs import CaProvider, CertsProvider
    now = [serialize_provider(p()) for p in (RemoteFilesProvider, CephClientProvider, CaProvider, CertsProvider,
                                             HostSecretsProvider, BackendGuardProvider)]
    r = subprocess.run([sys.executable, "-c", LIGHT, *now], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["components", "components.cloud", "components.cloud.backend_check", "components.core",
                                "components.core.hoststate", "components.core.retire", "components.core.runtime",
                                "components.core.scripts", "components.core.ssh", "components.libvirt",
                                "components.libvirt.certs"]
    # a state from before certs.py keeps naming libvirt/pki.py in its certificates' outputs (a refresh reads with
    # those) until they are made again: that module is light too
    r = subprocess.run([sys.executable, "-c", LIGHT, *OLD.values()], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert not [m for m in r.stdout.split() if m.startswith(("jinja2", "pydantic", "pulumi_command", "components.config"))]
