"""openstack-storage: wires OpenStack to its storage. See README.md for the stack config reference."""
import pulumi

from components import program
from components.config import ConfigError

try:
    plan = program.plan(*program.stack_values())
except ConfigError as error:
    # One line naming the key, no traceback, and nothing registered.
    raise pulumi.RunError(str(error)) from None

config = pulumi.Config()
deployment = program.deploy(plan, config.require_secret("ssh_private_key"), config.get_secret("openstack_password"))
for name, value in deployment.outputs.items():
    pulumi.export(name, value)
