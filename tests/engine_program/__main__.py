"""One local step (the project's building block, a pulumi-command local.Command) that writes a file named by the
stack config."""
import pulumi

from components.core.remote import run_local

target = pulumi.Config().require("target")
step = run_local("write", f"[ -f {target} ] || echo engine-check > {target}\necho {target}\n")
pulumi.export("stdout", step.stdout)
