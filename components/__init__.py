"""The program's components, one package per subsystem: core (SSH, remote steps, read-back state, rendering),
ceph, libvirt, storage, services and cloud; config (the typed stack config), checks and optcheck (validation) and
program (which host gets what) stand beside them.

Importing this package imports nothing else: the provider process imports it whenever it unpickles a provider, and
needs only that provider's module (hoststate.py, libvirt/certs.py)."""
