"""A dynamic provider that does nothing: what bench/engine.py times is the engine and its state, not a provider
(a module of its own, so the provider is pickled by reference, as the program's are)."""
from pulumi.dynamic import CreateResult, ResourceProvider


class Noop(ResourceProvider):
    def create(self, props):
        return CreateResult(id_="noop", outs=props)
