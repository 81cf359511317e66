# One command to the Ceph monitors through librados, answered as the `ceph` CLI answers it: the monitor's output on
# stdout, its status on stderr when it failed, the exit code its errno (2: no such user or pool).
#   ceph_mon.py CLUSTER TIMEOUT 'osd pool get' pool=volumes var=crush_rule
# The program's reads of the cluster (a pool's settings, a user's caps and key) run on every converge and refresh. The
# CLI costs about 0.15 s of a core per call, most of it fetching and checking the monitors' description of every
# command before sending one; this costs about 0.04 s. It connects as the CLI does with no options: client.admin,
# the cluster's conf and keyring from Ceph's default search path.
import sys

del sys.path[0]     # run as `python3 -`: the working directory first would let a json.py or rados.py there in

import errno  # noqa: E402
import json  # noqa: E402

import rados  # noqa: E402

cluster, timeout, prefix, *args = sys.argv[1:]
command = json.dumps({"prefix": prefix, **dict(a.split("=", 1) for a in args)})
cluster_handle = rados.Rados(clustername=cluster, name="client.admin")
try:
    cluster_handle.conf_read_file()
    # the binding ignores connect()'s and mon_command()'s own timeout arguments: these bound both, as the CLI's
    # --connect-timeout bounds its connect
    cluster_handle.conf_set("client_mount_timeout", timeout)
    cluster_handle.conf_set("rados_mon_op_timeout", timeout)
    cluster_handle.connect()
    ret, out, status = cluster_handle.mon_command(command, b"")
except rados.Error as e:
    # "... (error connecting to the cluster)" or "... timed out": what the bounded `ceph` recognises
    sys.exit(f"{e}")
finally:
    cluster_handle.shutdown()
sys.stdout.buffer.write(out)
if ret:
    timed_out = " (timed out)" if -ret == errno.ETIMEDOUT else ""
    print(f"Error {errno.errorcode.get(-ret, ret)}: {status}{timed_out}", file=sys.stderr)
    sys.exit(min(-ret, 255) if ret < 0 else 1)
