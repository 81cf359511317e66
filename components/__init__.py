"""The program's code, one folder per layer, imports pointing down only (tests/test_layers.py):

    config    the typed stack config: models, loading, every check, formats, option data
    plan      every file the hosts get, declared once per subsystem and rendered before any resource
    core      remote execution and read-back host state (imports neither config nor plan)
    ceph, libvirt, storage, services, cloud: the components, one folder per subsystem
    program   the wiring: which host gets what, in which order

Importing this package imports nothing else: the provider process imports it whenever it unpickles a provider, and
needs only that provider's module (core/hoststate.py, libvirt/certs.py)."""
