"""Every file the program writes, byte for byte, for the example stacks: the example environment (dev_full), the
four-backend one (shared) and the lab's (lab/stack.py's config for a two-compute lab), against
tests/rendered/<stack>.txt. A change to what lands on the hosts shows up
here as a diff to review; a refactoring must leave it alone. After a wanted change:
UPDATE_RENDERED=1 python -m pytest tests/test_rendered.py, and read the diff before committing it.

Certificates and keys the program generates differ per run: they are dumped as their kind only."""
import pathlib
import re
from dataclasses import replace

import pulumi
import pytest

from components.plan.render import FileSpec
from harness import assert_golden, deploy, plain, settled

HERE = pathlib.Path(__file__).resolve().parent / "rendered"
PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\n.*?-----END \1-----\n", re.S)


def placed(monitor) -> dict[tuple[str, str], FileSpec]:
    """(host, path) -> each file the file resources write, with the services their component restarts when it
    changes (sorted: the steps register in no fixed order): the restart steps beside the file resource that wait for
    it."""
    steps = [s for s in monitor.of_kind("step") if "-restart-" in s.name]
    out = {}
    for r in monitor.files():
        host = plain(r.inputs["connection"])["name"].split(" ", 1)[1]
        contents = plain(r.inputs["contents"])
        restarts = tuple(sorted(s.name.split("-restart-", 1)[1] for s in steps
                                if s.parent == r.parent and r.urn in s.deps))
        for path, a in plain(r.inputs["files"]).items():
            out[(host, path)] = FileSpec(path, contents[path], a["owner"], a["group"], a["mode"], restarts)
    return out


def dump(monitor) -> str:
    """Per host and path: owner, group, mode, the services it restarts, and content; then the directories."""
    entries = {}
    for (host, path), f in placed(monitor).items():
        text = PEM.sub(lambda m: f"<{m.group(1).lower()}>\n", f.content)
        restarts = f" restarts {' '.join(f.restarts)}" if f.restarts else ""
        entries[(host, path)] = f"==== {host}:{path} {f.owner}:{f.group} {f.mode}{restarts}\n{text}"
    for r in monitor.files():
        host = plain(r.inputs["connection"])["name"].split(" ", 1)[1]
        for path, a in (plain(r.inputs.get("dirs")) or {}).items():
            entries[(host, path + "/")] = f"==== {host}:{path}/ {a['owner']}:{a['group']} {a['mode']}\n"
    return "".join(entries[k] for k in sorted(entries))


@pytest.mark.parametrize("stack", ["dev_full", "shared", "lab"])
@pulumi.runtime.test
def test_rendered_files_are_the_expected_ones(monitor, stack, request):
    _, d = deploy(request.getfixturevalue(stack))

    def check(_):
        got, path = dump(monitor), HERE / f"{stack}.txt"
        assert_golden(path, got, "rendered now")
    return settled(d.resources).apply(check)


# made from keys at deploy time, so not in the plan: keyrings, the migration certificates and nova's SSH files
FROM_KEYS = re.compile(r"/etc/ceph/ceph\.client\..*\.keyring|/etc/pki/.*|/var/lib/nova/\.ssh/.*")


@pytest.mark.parametrize("stack", ["dev_full", "shared", "lab"])
@pulumi.runtime.test
def test_the_components_place_exactly_what_the_plan_rendered(monitor, stack, request):
    p, d = deploy(request.getfixturevalue(stack))

    def check(_):
        found = {k: f for k, f in placed(monitor).items() if not FROM_KEYS.fullmatch(k[1])}
        planned = {(host, path): replace(f, restarts=tuple(sorted(f.restarts)))
                   for host, files in p.files.items() for path, f in files.items()}
        differ = [(found[k], planned[k]) for k in found.keys() & planned.keys() if found[k] != planned[k]]
        assert found == planned, (sorted(set(found) ^ set(planned)), differ)
    return settled(d.resources).apply(check)
