"""components/core/base.py: a component's children wait for what the component was told to wait for (Pulumi does not
hand a component's depends_on to its children); every component makes its children through Component.child."""
import pulumi
from pulumi_command import local

from components.program.wiring import targets
from components.plan.render import FileSpec
from components.plan.storage import TGT_INCLUDE
from components.storage.lvm import LvmBackend, LvmBackendArgs
from harness import plan, settled, use_mocks


@pulumi.runtime.test
def test_a_components_children_wait_for_its_dependencies(shared):
    monitor = use_mocks()
    cfg = plan(shared).cfg
    target = targets(cfg, "key")["controller1"]
    first = local.Command("first", create="true")
    tgt = FileSpec(TGT_INCLUDE.path, "include\n", "root", "root", "0644", ("tgt",))
    lvm = LvmBackend("lvm", LvmBackendArgs(target, {TGT_INCLUDE.path: tgt}, "controller1", ["cinder-volumes"],
                                           "supervisord"),
                     opts=pulumi.ResourceOptions(depends_on=[first]))

    def check(_):
        steps = [r for r in monitor.registrations if r.name.startswith("lvm-") and not r.type.startswith("openstack-storage:")]
        assert {r.name for r in steps} >= {"lvm-vg", "lvm-tgt-file", "lvm-tgt-restart-tgt"}, [r.name for r in steps]
        for r in steps:
            assert monitor.depends_on(r.name, "first"), f"{r.name} does not wait for the component's dependency"
    return settled([lvm, first]).apply(check)
