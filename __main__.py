"""openstack-storage: wires OpenStack to its storage. See README.md for the stack config reference."""
import pulumi

from components import program
from components.config import SECRET_KEYS, ConfigError

try:
    plan = program.plan(*program.stack_values())
except ConfigError as error:
    # One line naming the key, no traceback, and nothing registered.
    raise pulumi.RunError(str(error)) from None

config = pulumi.Config()
deployment = program.deploy(plan, {key: config.get_secret(key) for key in SECRET_KEYS})
for name, value in deployment.outputs.items():
    pulumi.export(name, value)
