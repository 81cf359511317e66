"""The program's file resources on one host (a local sshd, tests/test_engine.py): a service config and another
file, and a keyring (secret) beside ceph.conf."""
import pulumi

from components.core.hoststate import RemoteFiles

config = pulumi.Config()
where = config.require("dir")
connection = {"host": "127.0.0.1", "port": int(config.require("port")), "user": "root",
              "private_key": config.require_secret("private_key"), "host_key": config.require("host_key")}
plain = {"nova.conf": "[DEFAULT]\ndebug = false\nlog_dir = /var/log/nova\n", "api-paste.ini": "[composite:x]\n"}
RemoteFiles("nova-file", connection, [(f"{where}/{n}", c, "root", "root", "0644") for n, c in plain.items()], "local")
RemoteFiles("ceph-files", connection, [
    (f"{where}/ceph.conf", "[global]\nmon_host = 10.0.0.1\n", "root", "root", "0644"),
    (f"{where}/ceph.client.glance.keyring", pulumi.Output.secret("[client.glance]\n\tkey = AQBWANTED==\n"),
     "root", "root", "0640")], "local")
