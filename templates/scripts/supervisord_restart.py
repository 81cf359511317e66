# Restart one supervisord program and print the state it ended in (RUNNING when it is back). With `unless-running`
# as second argument, a program that runs is left alone and UNTOUCHED is printed.
#
# `supervisorctl restart` has supervisord wait for the stop, and supervisord 4.2's event loop spins a core for as long
# as a client waits on it: 10 s of a core per nova-compute restart (nova 34 hangs in its shutdown until SIGKILL), 80
# core-seconds for the lab's 8 computes on 2 cores. So: ask supervisord without waiting, and wait here.
# supervisord is found as supervisorctl finds it, without importing supervisorctl's options (their pkg_resources import
# is 0.1 s of CPU: 16 restarts at once on the lab's 8 computes).
import configparser
import os
import sys
import time
from xmlrpc.client import Fault, ServerProxy

from supervisor.xmlrpc import Faults, SupervisorTransport

# supervisorctl's search list (the ones relative to its own path do not apply to this script)
CONFIGS = ("supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf")


def server():
    """As supervisorctl connects: [supervisorctl] serverurl, username and password of the first config found, read
    as supervisor reads them (a repeated key is no error, %(here)s and %(ENV_X)s expand)."""
    conf = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    found = next((p for p in CONFIGS if os.path.exists(p)), None)
    conf.read(found or [])
    expansions = {"here": os.path.dirname(os.path.abspath(found or "")),
                  **{f"ENV_{k}": v for k, v in os.environ.items()}}

    def get(key: str, default: str = None):
        value = conf.get("supervisorctl", key, fallback=default)
        return value % expansions if value else None
    return ServerProxy("http://127.0.0.1", SupervisorTransport(
        get("username"), get("password"), get("serverurl", "http://localhost:9001"))).supervisor


name = sys.argv[1]
rpc = server()


def wait(until: set, bound: float) -> str:
    end = time.monotonic() + bound
    while True:
        state = rpc.getProcessInfo(name)["statename"]
        if state in until or time.monotonic() > end:
            return state
        time.sleep(0.2)


if sys.argv[2:] == ["unless-running"] and rpc.getProcessInfo(name)["statename"] == "RUNNING":
    print("UNTOUCHED")
    sys.exit(0)
try:
    rpc.stopProcess(name, False)
except Fault as e:
    if e.faultCode != Faults.NOT_RUNNING:
        raise
# supervisord itself SIGKILLs the program after its stopwaitsecs; these bounds only guard against a wedged supervisord
wait({"STOPPED", "EXITED", "FATAL", "BACKOFF"}, 600)
rpc.startProcess(name, False)
print(wait({"RUNNING", "FATAL", "EXITED", "STOPPED"}, 300))
