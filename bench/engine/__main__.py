"""ENGINE_BENCH_N resources of about ENGINE_BENCH_BYTES each in state (bench/engine.py)."""
import os

import pulumi
from pulumi.dynamic import Resource

from noop import Noop


class Thing(Resource):
    def __init__(self, name: str, payload: str):
        super().__init__(Noop(), name, {"payload": payload}, opts=pulumi.ResourceOptions())


# a resource's inputs and outputs are both in state: half the size in each
payload = "x" * (int(os.environ["ENGINE_BENCH_BYTES"]) // 2)
for i in range(int(os.environ["ENGINE_BENCH_N"])):
    Thing(f"t{i}", payload)
