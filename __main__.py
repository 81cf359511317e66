"""openstack-storage: wires OpenStack to its storage. See README.md for the stack config reference."""
import os
import warnings

import pulumi

from components import program
from components.config import SECRET_KEYS, ConfigError, ConfigWarning

# The SDK reports each resource's registration in about five debug messages, and the program's one thread waits for the
# engine to take each: at 8 computes 1075 of them, 0.49 of the program's 1.8 s in an `up --refresh` (sent as futures,
# still 0.32). Only `pulumi up --debug` shows them: OPENSTACK_STORAGE_SDK_DEBUG=1 sends them again.
if not os.environ.get("OPENSTACK_STORAGE_SDK_DEBUG"):
    pulumi.log.debug = lambda *args, **kwargs: None

try:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigWarning)
        plan = program.plan(*program.stack_values())
except ConfigError as error:
    # One line naming the key, no traceback, and nothing registered.
    raise pulumi.RunError(str(error)) from None
for w in caught:
    # what the config check could not check shows in the preview; other warnings go where they always did
    if issubclass(w.category, ConfigWarning):
        pulumi.log.warn(str(w.message))
    else:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

config = pulumi.Config()
deployment = program.deploy(plan, {key: config.get_secret(key) for key in SECRET_KEYS})
for name, value in deployment.outputs.items():
    pulumi.export(name, value)
