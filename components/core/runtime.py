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
