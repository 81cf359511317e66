"""Where a state written before the components moved into packages finds its file and cephx providers.

A dynamic resource's provider is kept in the stack's state pickled by reference, by module path and class name
(pulumi.dynamic's serialize_provider, dill): such a state names components.hoststate, so a refresh or a delete of
its resources unpickles them from here. A provider pickled from here on names its new path.

It can go when no stack's state names it any more: `pulumi stack export | grep -c components.hoststate` gives 0 for
every stack (a resource's provider is pickled anew when the resource is next written)."""
from .core.hoststate import CephClientProvider, RemoteFileProvider, RemoteFilesProvider  # noqa: F401
