#!/usr/bin/env bash
# Installs what lab/openstack/up.sh runs on the lab controller: RabbitMQ from Debian, Debian's Ceph Python
# bindings, and one virtualenv with Keystone, Glance, Cinder, python-openstackclient and gunicorn at the
# versions locked in lab/openstack/requirements.txt. Idempotent and timed: a warm run only compares a stamp.
#
# The venv lives in /opt (OS_VENV overrides it), which the lab hosts see as it is: they remount /etc, /var,
# /run, /tmp, /root and /srv, nothing else. It is made from Debian's /usr/bin/python3 with
# --system-site-packages so that `import rados, rbd` (python3-rados, python3-rbd: not on PyPI) works;
# everything else comes from the lock, which shadows Debian's own older copies.
# Package scripts never start services (policy-rc.d answers 101); up.sh starts RabbitMQ inside the controller.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${OS_VENV:-/opt/openstack-storage-lab/openstack-venv}
REQ=$HERE/requirements.txt
PIP_VERSION=24.3.1
START=$(date +%s.%N)
export DEBIAN_FRONTEND=noninteractive

elapsed() { awk -v s="${1:-$START}" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# --- Debian packages -------------------------------------------------------------------------------------
#   rabbitmq-server          the message bus of cinder-api/-scheduler/-volume/-backup (erlang comes with it)
#   python3-rados python3-rbd  librados/librbd bindings of the RBD volume and backup drivers and glance's rbd store
#   python3-venv             /usr/bin/python3 -m venv
#   sudo                     cinder's root_helper (sudo cinder-rootwrap), for the NFS drivers' mount attempts
PACKAGES=(rabbitmq-server python3-rados python3-rbd python3-venv sudo)
missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "openstack install: Debian packages present (${PACKAGES[*]})"
else
  T=$(date +%s.%N)
  echo "openstack install: installing ${missing[*]}"
  OWN_POLICY=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    OWN_POLICY=1
  fi
  cleanup() { if [ -n "$OWN_POLICY" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup EXIT
  need_update=
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 -print -quit 2>/dev/null)" ]; then
    need_update=1
  fi
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then need_update=1; break; fi
  done
  if [ -n "$need_update" ]; then apt-get -q -o DPkg::Lock::Timeout=600 update; fi
  apt-get install -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold --no-install-recommends "${missing[@]}"
  cleanup; trap - EXIT
  echo "openstack install: Debian packages installed in $(elapsed "$T") s"
fi

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
for d in ("cinder", "glance", "keystone", "python-openstackclient", "gunicorn", "glance_store", "oslo.config"):
    print(f"  {d} {md.version(d)}")
print(f"  rados from {rados.__file__}")
EOF
for b in keystone-manage glance-manage cinder-manage cinder-scheduler cinder-volume cinder-backup cinder-rootwrap \
         privsep-helper gunicorn openstack; do
  [ -x "$VENV/bin/$b" ] || { echo "openstack install: $VENV/bin/$b missing" >&2; exit 1; }
done
echo "$want" >"$STAMP"
echo "openstack install: venv $VENV built in $(elapsed "$T") s (total $(elapsed) s)"
