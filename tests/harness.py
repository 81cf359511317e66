"""Pulumi mock harness: a monitor that records every registration with its dependencies and raw inputs
(secrets still wrapped, so a test can tell a secret from a plain value)."""
from __future__ import annotations

import base64
import hashlib
import json
import pathlib
from dataclasses import dataclass, field

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ntest-only-not-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n"


def fake_key(client: str) -> str:
    """A cephx-shaped test key, different per client."""
    return base64.b64encode(b"\x01\x00" + hashlib.sha256(client.encode()).digest()[:26]).decode()


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    deps: list[str]
    inputs: dict
    retain_on_delete: bool
    secret_outputs: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    provider: str = ""
    delete_before_replace: bool = False


def is_secret(value) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"


def text(r: "Registration", path: str | None = None) -> str:
    """What a step sends on stdin, or the content of a file resource's file at `path` (of its only file)."""
    contents = plain(r.inputs.get("contents"))
    if contents is not None:
        assert path in contents if path else len(contents) == 1, (r.name, sorted(contents))
        return contents[path] if path else next(iter(contents.values()))
    return plain(r.inputs.get("stdin")) or ""


def paths(r: "Registration") -> list[str]:
    """The paths a file resource writes."""
    return sorted(plain(r.inputs["files"]))


@dataclass
class File:
    """One file of a file resource."""
    r: Registration
    path: str

    @property
    def content(self) -> str:
        return text(self.r, self.path)

    @property
    def attrs(self) -> dict:
        """owner, group, mode"""
        return plain(self.r.inputs["files"])[self.path]


def files_on(monitor, prefix: str) -> dict[str, File]:
    """path -> File, for the file resources whose name starts with `prefix` (`compute1-`: a host's)."""
    return {p: File(r, p) for r in monitor.files() if r.name.startswith(prefix) for p in paths(r)}


COMMAND = "command:remote:Command"
LOCAL = "command:local:Command"


def script(r: "Registration", field: str = "create") -> str:
    """The script a step runs (a command's body without its bash wrapper), or a cephx client's script."""
    from components.core.remote import EOF_MARK
    raw = plain(r.inputs.get(field, r.inputs.get("script"))) or ""
    if r.type == COMMAND and raw:
        head, _, rest = raw.partition("\n")
        assert head == f"bash -eu /dev/fd/3 3<<'{EOF_MARK}'" and rest.endswith(f"\n{EOF_MARK}\n"), raw[:200]
        return rest[:-len(EOF_MARK) - 2] + "\n"
    return raw


def plain(value):
    """The value with secret wrappers removed (for content checks)."""
    if is_secret(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Mocks(pulumi.runtime.Mocks):
    def __init__(self, stdouts: dict | None = None):
        super().__init__()
        self.stdouts = stdouts or {}
        """Command name -> what its script prints on the host."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        kind = plain(args.inputs.get("kind"))
        if args.typ in (COMMAND, LOCAL):
            outputs["stdout"] = self.stdouts.get(args.name, "")
        if kind == "file":      # as a first write: every file changed
            outputs["written"] = f"written-{args.name}"
            outputs["changed"] = sorted(plain(args.inputs["files"]))
        if kind == "ceph-client":
            outputs["key"] = fake_key(plain(args.inputs["name"])) + "\n"
        if kind in ("ca", "certificates"):    # what the providers make, made the same way
            from components.libvirt.certs import CaProvider, CertsProvider
            provider = CaProvider() if kind == "ca" else CertsProvider()
            outputs = provider.create(plain(args.inputs)).outs
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(Registration(
                type=request.type, name=request.name, urn=response.urn, parent=request.parent,
                deps=list(request.dependencies),
                inputs=json_format.MessageToDict(request.object),
                retain_on_delete=bool(request.retainOnDelete),
                secret_outputs=list(request.additionalSecretOutputs),
                replace_on_changes=list(request.replaceOnChanges),
                provider=request.provider, delete_before_replace=bool(request.deleteBeforeReplace)))
        return response

    # ---- queries for assertions ----
    def named(self, name: str) -> Registration:
        found = [r for r in self.registrations if r.name == name]
        assert len(found) == 1, f"expected one resource named {name!r}, found {len(found)}: " \
                                f"{sorted(r.name for r in self.registrations)[:50]}"
        return found[0]

    def of_kind(self, kind: str) -> list[Registration]:
        """`step`: remote commands; `file`, `ceph-client`: the read-back state resources."""
        if kind == "step":
            return [r for r in self.registrations if r.type == COMMAND]
        return [r for r in self.registrations if plain(r.inputs.get("kind")) == kind]

    def commands(self) -> list[Registration]:
        """Everything that runs on or changes a host: steps, files and cephx clients."""
        return [r for r in self.registrations if r.type == COMMAND
                or plain(r.inputs.get("kind")) in ("file", "ceph-client")]

    def files(self) -> list[Registration]:
        return self.of_kind("file")

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    def depends_on(self, name: str, other: str) -> bool:
        """Whether `name` waits for `other`, directly or through other resources' dependencies or parents."""
        urns = self.by_urn()
        target = self.named(other).urn
        seen, todo = set(), [self.named(name).urn]
        while todo:
            urn = todo.pop()
            if urn in seen:
                continue
            seen.add(urn)
            r = urns.get(urn)
            if r is None:
                continue
            if target in r.deps:
                return True
            todo.extend(r.deps)
            # a dependency on a component means on its children
            todo.extend(c.urn for c in self.registrations if c.parent == urn)
        return False


OPENSTACK_PASSWORD = "test-only-keystone-password"


def encode(cfg: dict) -> dict:
    """A stack config as the engine hands it over: `openstack-storage:key` -> text (structured values as JSON)."""
    return {f"openstack-storage:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def stack_config(cfg: dict, secret_config: dict | None = None, secret_in: tuple = ()) -> None:
    """Set `cfg` (bare keys) and its secrets as this process's stack config; `secret_in`: keys of `cfg` the engine
    marks secret, as it does a key with a `secure:` value somewhere under it."""
    if secret_config is None:
        secret_config = {"ssh_private_key": SSH_KEY}
        if "openstack" in cfg:
            secret_config["openstack_password"] = OPENSTACK_PASSWORD
    pulumi.runtime.set_all_config({**encode(cfg), **encode(secret_config)},
                                  [f"openstack-storage:{k}" for k in [*secret_config, *secret_in]])


def plan(cfg: dict, secret_config: dict | None = None, secret_in: tuple = ()):
    """The program's plan of `cfg`, read through the runtime config as the program reads it."""
    from components import program
    stack_config(cfg, secret_config, secret_in)
    return program.plan(*program.stack_values())


def deploy(cfg: dict, secret_config: dict | None = None, secret_in: tuple = ()):
    """Plan and register everything (inside a @pulumi.runtime.test): (plan, deployment)."""
    from components import program
    p = plan(cfg, secret_config, secret_in)
    return p, program.deploy(p, secrets())


def config_error(cfg: dict, secret_config: dict | None = None, secret_in: tuple = ()) -> str:
    """The one ConfigError `cfg` gives (fails when it gives none)."""
    import pytest
    from components.config import ConfigError
    with pytest.raises(ConfigError) as e:
        plan(cfg, secret_config, secret_in)
    return str(e.value)


def use_mocks(stdouts: dict | None = None) -> RecordingMonitor:
    mocks = Mocks(stdouts)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="openstack-storage", stack="test", preview=False, monitor=monitor)
    return monitor


def registered(run) -> list[Registration]:
    """Everything `run()` (returning a Deployment) registers, in a mock run of its own: lets one test compare two
    runs."""
    monitor = use_mocks()

    @pulumi.runtime.test
    def once():
        return settled(run().resources)
    once()
    return monitor.registrations


def settled(resources) -> pulumi.Output:
    """An Output that resolves once every given resource, and every resource held in their attributes,
    is registered: assertions applied to it see the complete record."""
    from components.core.base import resources_in
    return pulumi.Output.all(*[r.urn for r in resources_in(resources)])


def secrets() -> dict:
    """The stack's secrets as the program reads them (Outputs, or None where unset)."""
    from components.config import SECRET_KEYS
    config = pulumi.Config("openstack-storage")
    return {key: config.get_secret(key) for key in SECRET_KEYS}


def assert_golden(path: pathlib.Path, got: str, what: str) -> None:
    """`got` is the recorded text at `path`; UPDATE_RENDERED=1 records it instead (read the diff before committing)."""
    import difflib
    import os
    if os.environ.get("UPDATE_RENDERED"):
        path.write_text(got)
    want = path.read_text()
    assert got == want, "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path),
                                                          what))[:60])
