"""The base of every component."""
from __future__ import annotations

import copy
from typing import Optional, Sequence

import pulumi

from .hoststate import RemoteFiles


class Component(pulumi.ComponentResource):
    """Base of every component here. Pulumi does not hand a component's `depends_on` to its children, so a
    client's commands would not wait for the pools the client depends on; `run` applies `self.after` to every
    step of the component."""

    TYPE: str
    """`openstack-storage:<folder>:<Class>`."""
    FORMER_TYPES: tuple[str, ...] = ()
    """The types existing states may know it by: aliases, so a stack converged by an older version keeps its
    resources (and their children). A class's own, not inherited (`former_types`). Drop one only when no stack
    that ran the version before it is left."""

    def __init__(self, type_: str, name: str, opts: Optional[pulumi.ResourceOptions]):
        deps = opts.depends_on if opts and opts.depends_on else []
        # The component itself waits for nothing; its children do (`after`). A component that waited would be
        # registered only once its dependencies are done, and its children only after that registration came back:
        # one more round trip through the program for every level of the chain, which under load is most of a
        # cold run's growth with the number of hosts.
        former = former_types(type(self))
        if deps or former:
            opts = copy.copy(opts) if opts else pulumi.ResourceOptions()
            opts.depends_on = None
            opts.aliases = [*(opts.aliases or []), *(pulumi.Alias(type_=t) for t in former)]
        super().__init__(type_, name, {}, opts)
        self.after: list[pulumi.Resource] = list(deps) if isinstance(deps, (list, tuple)) else [deps]
        self.placed: Optional[dict] = None
        """What `finish` says this component placed on its host: {"host", "files", "restarts"}."""

    def child(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        """The options of every child made here: parented to this component, after what it depends on (and
        `depends_on`). remote.run applies the same to the steps it makes."""
        return pulumi.ResourceOptions(parent=self, depends_on=[*self.after, *depends_on])

    def finish(self, outputs: Optional[dict] = None, *, host: Optional[str] = None,
               files: Sequence = (), restarts: Sequence[str] = ()) -> None:
        """Register the outputs. A component that changes one host says which: `files` (file resources, and child
        components that finished with their own) and `restarts` (services) become its `placed`, which the stack
        summary adds up, and outputs of its own."""
        if host:
            parts = [f for f in files if f is not None]
            paths = [p for f in parts for p in (f.paths if isinstance(f, RemoteFiles) else f.placed["files"])]
            names = [*restarts, *(r for f in parts if isinstance(f, Component) for r in f.placed["restarts"])]
            self.placed = {"host": host, "files": sorted(set(paths)), "restarts": sorted(set(names))}
            outputs = {**(outputs or {}), "files": self.placed["files"], "restarts": self.placed["restarts"]}
        self.register_outputs(outputs or {})


def former_types(cls: type) -> tuple[str, ...]:
    return vars(cls).get("FORMER_TYPES", ())


def resources_in(items) -> list[pulumi.Resource]:
    """Every resource in `items` (resources, lists, dicts) and, recursively, in their public attributes:
    a component's children as its constructor kept them."""
    found, todo, seen = [], list(items), set()
    while todo:
        item = todo.pop(0)
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        elif isinstance(item, pulumi.Resource) and id(item) not in seen:
            seen.add(id(item))
            found.append(item)
            todo.extend(v for k, v in vars(item).items() if not k.startswith("_") and k != "after")
    return found
