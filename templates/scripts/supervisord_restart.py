# Restart one supervisord program and print the state it ended in (RUNNING when it is back).
#
# `supervisorctl restart` has supervisord wait for the stop, and supervisord 4.2's event loop spins a core for as long
# as a client waits on it: 10 s of a core per nova-compute restart (nova 34 hangs in its shutdown until SIGKILL), 80
# core-seconds for the lab's 8 computes on 2 cores. So: ask supervisord without waiting, and wait here.
# Run by the program's restart step with supervisorctl's own Python, reading supervisorctl's own config.
import sys
import time
from xmlrpc.client import Fault

from supervisor.options import ClientOptions
from supervisor.xmlrpc import Faults

name = sys.argv[1]
options = ClientOptions()
options.realize(args=[])
rpc = options.getServerProxy().supervisor


def wait(until: set, bound: float) -> str:
    end = time.monotonic() + bound
    while True:
        state = rpc.getProcessInfo(name)["statename"]
        if state in until or time.monotonic() > end:
            return state
        time.sleep(0.2)


try:
    rpc.stopProcess(name, False)
except Fault as e:
    if e.faultCode != Faults.NOT_RUNNING:
        raise
# supervisord itself SIGKILLs the program after its stopwaitsecs; these bounds only guard against a wedged supervisord
wait({"STOPPED", "EXITED", "FATAL", "BACKOFF"}, 600)
rpc.startProcess(name, False)
print(wait({"RUNNING", "FATAL", "EXITED", "STOPPED"}, 300))
