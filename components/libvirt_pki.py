"""Where a state written before the components moved into packages finds its CA and certificate providers (see
hoststate.py beside this file)."""
from .libvirt.certs import CaProvider, CertProvider, CertsProvider  # noqa: F401
