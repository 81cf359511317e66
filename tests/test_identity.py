"""Every resource keeps its identity across a refactoring: the URNs the program registers for the example stacks, with
each component type written as the oldest type it declares (`FORMER_TYPES`, which become Pulumi aliases), are the
ones recorded in tests/rendered/urns-<stack>.txt. A stack converged by an older version then previews with no change
(the engine follows the aliases; tests/test_lab.py shows it on the lab's state). A resource added or removed on
purpose: UPDATE_RENDERED=1 python -m pytest tests/test_identity.py, and read the diff."""
import pathlib

import pulumi
import pytest

from harness import assert_golden, deploy, settled

HERE = pathlib.Path(__file__).resolve().parent / "rendered"


def former_types() -> dict[str, str]:
    """Each component type -> the type existing states know it by."""
    from components.core.base import Component, former_types
    out, todo = {}, list(Component.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if former_types(cls):
            out[cls.TYPE] = former_types(cls)[-1]
    return out


def as_before(urn: str, renamed: dict[str, str]) -> str:
    """`urn` with the type chain's renamed types written as before."""
    head, _, name = urn.rpartition("::")
    prefix, _, chain = head.rpartition("::")
    return f"{prefix}::{'$'.join(renamed.get(t, t) for t in chain.split('$'))}::{name}"


@pytest.mark.parametrize("stack", ["dev_full", "shared", "lab"])
@pulumi.runtime.test
def test_every_resource_keeps_its_urn(monitor, stack, request):
    _, d = deploy(request.getfixturevalue(stack))

    def check(_):
        renamed = former_types()
        got = "".join(sorted(f"{as_before(r.urn, renamed)}\n" for r in monitor.registrations))
        path = HERE / f"urns-{stack}.txt"
        assert_golden(path, got, "registered now")
    return settled(d.resources).apply(check)
