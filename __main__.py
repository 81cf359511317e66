"""openstack-storage: wires OpenStack to its storage. See README.md for the stack config reference."""
import warnings

import pulumi

from components import program
from components.core import runtime
from components.config import SECRET_KEYS, ConfigError, ConfigWarning

runtime.quiet_sdk_debug(pulumi.log)

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
