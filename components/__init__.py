"""The program's components, one package per subsystem: core (SSH, remote steps, read-back state, rendering),
ceph, libvirt, storage, services and cloud; config (the typed stack config), checks and optcheck (validation) and
program (which host gets what) stand beside them."""
import sys

from .core import hoststate
from .libvirt import pki

# A dynamic resource's provider is kept in the stack's state pickled by reference, by module path and class name
# (pulumi.dynamic's serialize_provider, dill). States written before the modules moved into packages name
# components.hoststate and components.libvirt_pki: a refresh or a delete unpickles their resources' providers from
# there, so those paths stay importable as the modules that now define the providers. Only modules that define a
# ResourceProvider need this; a provider pickled from here on names its new path.
sys.modules["components.hoststate"] = hoststate
sys.modules["components.libvirt_pki"] = pki
