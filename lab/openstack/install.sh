#!/usr/bin/env bash
# Installs what lab/openstack/up.sh runs on the lab controller: the lab's Debian packages (RabbitMQ and Debian's
# Ceph Python bindings among them, see lab/install.sh), and one virtualenv with Keystone, Glance, Cinder, Nova, Placement, Neutron, python-openstackclient and gunicorn at the
# versions locked in lab/openstack/requirements.txt. Idempotent and timed: a warm run only compares a stamp.
#
# The venv lives in /opt (OS_VENV overrides it), which the lab hosts see as it is: they remount /etc, /var,
# /run, /tmp, /root and /srv, nothing else. It is made from Debian's /usr/bin/python3 with
# --system-site-packages so that `import rados, rbd, libvirt` (python3-rados, python3-rbd, python3-libvirt:
# Debian's, built against its librados and libvirt) works;
# everything else comes from the lock, which shadows Debian's own older copies.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${OS_VENV:-/opt/openstack-storage-lab/openstack-venv}
REQ=$HERE/requirements.txt
PIP_VERSION=24.3.1
T0=$(date +%s.%N)
# shellcheck source=lab/lib.sh
. "$HERE/../lib.sh"   # elapsed

# --- Debian packages: lab/install.sh has them in the lab's one list -----------------------------------------
bash "$HERE/../install.sh"
bash "$HERE/../nfs/build.sh"

# --- the virtualenv ----------------------------------------------------------------------------------------
# The stamp records what the venv was built from: the lock's content, the pip pin and the interpreter.
want="$(sha256sum "$REQ" | cut -d' ' -f1) pip=$PIP_VERSION python=$(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')"
STAMP=$VENV/.installed
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
  echo "openstack install: venv $VENV up to date ($(elapsed) s)"
  exit 0
fi
T=$(date +%s.%N)
rm -f "$STAMP"
mkdir -p "$(dirname "$VENV")"
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
PIP=("$VENV/bin/pip" --disable-pip-version-check -q)
"${PIP[@]}" install "pip==$PIP_VERSION"
"${PIP[@]}" install -r "$REQ"
# The same environment the services get: nothing of the user's site-packages, Debian's rados/rbd visible.
PYTHONNOUSERSITE=1 "$VENV/bin/python" - <<'EOF'
import importlib.metadata as md, rados, rbd
import libvirt
for d in ("cinder", "glance", "keystone", "nova", "openstack-placement", "neutron", "python-openstackclient",
          "gunicorn", "glance_store", "oslo.config"):
    print(f"  {d} {md.version(d)}")
print(f"  rados from {rados.__file__}, libvirt from {libvirt.__file__}")
EOF
for b in keystone-manage glance-manage cinder-manage cinder-scheduler cinder-volume cinder-backup cinder-rootwrap \
         nova-manage nova-conductor nova-scheduler nova-compute nova-rootwrap placement-manage neutron-db-manage \
         privsep-helper gunicorn openstack; do
  [ -x "$VENV/bin/$b" ] || { echo "openstack install: $VENV/bin/$b missing" >&2; exit 1; }
done
echo "$want" >"$STAMP"
echo "openstack install: venv $VENV built in $(elapsed "$T") s (total $(elapsed) s)"
