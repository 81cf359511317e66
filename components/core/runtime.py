"""How the program's two processes behave as processes, kept out of the domain code. Both the program and the dynamic
provider pulumi starts import this (through hoststate.py, the one module of the project the provider imports).
The engine's own process behaviour (its signals) is scripts/bin/pulumi's."""
from __future__ import annotations

import atexit
import gc

# Both processes end with a heap of garbage the size of the stack, and the interpreter's last collection walked it
# while pulumi waited for them to exit: at 8 computes after a cold `pulumi up`, 0.5 s for the provider and 0.2 s for
# the program (0.04 and 0.07 s frozen). The heap dies with the process: nothing in it has to be freed first.
atexit.register(gc.freeze)


def quiet_sdk_debug(log) -> None:
    """The SDK reports each resource's registration in about five debug messages, and the program's one thread waits
    for the engine to take each: at 8 computes 1075 of them, 0.49 of the program's 1.8 s in an `up --refresh` (sent as
    futures, still 0.32). Only `pulumi up --debug` shows them: OPENSTACK_STORAGE_SDK_DEBUG=1 sends them again."""
    import os
    if not os.environ.get("OPENSTACK_STORAGE_SDK_DEBUG"):
        log.debug = lambda *args, **kwargs: None


def before_registration() -> None:
    """Registering resources makes millions of small objects that live to the end of the run, and the cyclic
    collector's default thresholds rescan all of them again and again: at 1000 computes that was 40% of the
    evaluation, and it grew faster than the stack (bench/evaluate.py). Young objects are collected less often;
    reference counting still frees the rest, and the peak memory measured the same."""
    gc.set_threshold(100_000, 20, 100)


def after_registration() -> None:
    """What registration made lives to the end of the run: the collector need not scan it again while the Outputs
    resolve (the SDK makes a cycle of garbage for every property it checks). At 300 computes 9.0 -> 8.4 s, the
    300/100 ratio 3.30-3.34 -> 2.8-3.1; peak memory at 1000 computes the same (931 / 937 MB)."""
    gc.freeze()
