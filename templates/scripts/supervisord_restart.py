# Restart one supervisord program and print the state it ended in (RUNNING when it is back). With `unless-running`
# as second argument, a program that runs is left alone and UNTOUCHED is printed.
#
# `supervisorctl restart` has supervisord wait for the stop, and supervisord 4.2's event loop spins a core for as long
# as a client waits on it: 10 s of a core per nova-compute restart (nova 34 hangs in its shutdown until SIGKILL), 80
# core-seconds for the lab's 8 computes on 2 cores. So: ask supervisord without waiting, and wait here.
# supervisord is found as supervisorctl finds it, but without importing supervisor (its pkg_resources import is 0.1 s
# of CPU: 16 restarts at once on the lab's 8 computes), by the stdlib's XML-RPC client.
import configparser
import http.client
import os
import socket
import sys
import time
import xmlrpc.client

# supervisorctl's search list (the ones relative to its own path do not apply to this script)
CONFIGS = ("supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf")
NOT_RUNNING = 70    # supervisor.xmlrpc.Faults.NOT_RUNNING


class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.host)


def server():
    """[supervisorctl] serverurl, username and password of the first config found (supervisorctl's defaults)."""
    conf = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"))
    found = next((p for p in CONFIGS if os.path.exists(p)), None)
    if found:
        conf.read(found)
    get = lambda key: conf.get("supervisorctl", key, fallback=None)   # noqa: E731
    here = os.path.dirname(os.path.abspath(found or ""))
    url = (get("serverurl") or "http://localhost:9001").replace("%(here)s", here)
    auth = f"{get('username')}:{get('password')}@" if get("username") else ""
    transport = xmlrpc.client.Transport()
    if url.startswith("unix://"):   # the socket's path goes where a host would
        transport.make_connection = lambda host, path=url[7:]: Unix(path)
        url = "http://localhost"
    scheme, rest = url.split("://", 1)
    return xmlrpc.client.ServerProxy(f"{scheme}://{auth}{rest.rstrip('/')}/RPC2", transport=transport).supervisor


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
except xmlrpc.client.Fault as e:
    if e.faultCode != NOT_RUNNING:
        raise
# supervisord itself SIGKILLs the program after its stopwaitsecs; these bounds only guard against a wedged supervisord
wait({"STOPPED", "EXITED", "FATAL", "BACKOFF"}, 600)
rpc.startProcess(name, False)
print(wait({"RUNNING", "FATAL", "EXITED", "STOPPED"}, 300))
