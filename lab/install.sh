#!/usr/bin/env bash
# Installs the Debian packages the local lab (lab/lab.sh) needs. Idempotent: packages already installed
# are skipped, and a run with nothing to install touches nothing. Services are never started by the
# packages (policy-rc.d answers 101); lab.sh starts every daemon by hand inside its test hosts.
set -euo pipefail

T0=$(date +%s.%N)
# shellcheck source=lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # elapsed
export DEBIAN_FRONTEND=noninteractive

# What each package is for:
#   openssh-server            sshd of every test host
#   ceph-mon ceph-osd         the one-mon, one-osd cluster on storage1
#   ceph-common               ceph/rbd CLIs, on every host (packages are shared by all hosts)
#   glusterfs-server/-client  glusterd on storage1 and storage2
#   nfs-ganesha(-vfs) rpcbind userspace NFS server on storage2 (no kernel nfsd here)
#   libnfs-utils nfs-common   nfs-ls/nfs-cp and showmount: NFS clients without a kernel client
#   dbus                      ganesha's admin interface (reloads exports over D-Bus), one bus in storage2
#   libvirt-daemon(-clients)  libvirtd + virsh on the computes (secrets)
#   libvirt-daemon-driver-qemu  the qemu driver, so qemu:///system works
#   supervisor                process manager of the OpenStack service placeholders
#   qemu-utils                qemu-img (rbd images from the computes)
#   iproute2 util-linux procps psmisc  ip netns, unshare/nsenter, ps, fuser
#   passwd                    useradd/groupadd inside each host's /etc overlay
#   jq python3                lab.json and checks
#   mariadb-server            the database of the lab controller's OpenStack services (lab/openstack)
#   qemu-system-x86 qemu-block-extra  guests with RBD disks on the computes, live-migrated over TLS (tests)
PACKAGES=(
  openssh-server openssh-client
  ceph-mon ceph-osd ceph-common
  glusterfs-server glusterfs-client
  nfs-ganesha nfs-ganesha-vfs nfs-ganesha-gluster rpcbind libnfs-utils nfs-common dbus
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  supervisor qemu-utils
  iproute2 util-linux procps psmisc passwd jq python3
  # lab/openstack: the services' message bus, librados/librbd bindings for the RBD drivers and glance's store
  # (not on PyPI), /usr/bin/python3 -m venv, and cinder's root helper
  rabbitmq-server python3-rados python3-rbd python3-venv sudo
  # lab/openstack: the services' database (sqlite refuses concurrent writers: "database is locked")
  mariadb-server
  # guests on the computes (TCG: no KVM here) with RBD disks, and virtlogd, which the qemu driver needs
  qemu-system-x86 qemu-block-extra libvirt-daemon-driver-qemu
  # S3 on the lab's Ceph for a team's Pulumi state (README.md, "Team state")
  radosgw
  # cinder's LVM backend on the controller: its volume group (on a loop device) and the iSCSI target daemon
  lvm2 tgt
  # lab/openstack: nova-compute's libvirt bindings (built against Debian's libvirt; the venv sees them)
  python3-libvirt
  # lab/nfs: fuse-nfs, the lab hosts' NFS client (this kernel has none), built from its source
  libnfs-dev libfuse-dev fuse patch autoconf automake libtool pkg-config make gcc
)

# ceph-mgr (about 35 packages more): nova-compute needs `ceph df` (see lab.sh); LAB_CEPH_MGR=0 leaves it out.
if [ "${LAB_CEPH_MGR:-1}" = 1 ]; then PACKAGES+=(ceph-mgr); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "lab install: all ${#PACKAGES[@]} packages present, nothing to do ($(elapsed) s)"
  exit 0
fi
echo "lab install: installing ${missing[*]}"

# Keep package scripts from starting services: a policy-rc.d that says 101 for the duration of the
# install (an existing one is left as it is).
OWN_POLICY=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  OWN_POLICY=1
fi
cleanup() { if [ -n "$OWN_POLICY" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
  --no-install-recommends)

# Refresh the package lists once when they are missing or older than a day, or when a package is unknown.
need_update=
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 -print -quit 2>/dev/null)" ]; then
  need_update=1
fi
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then need_update=1; break; fi
done
if [ -n "$need_update" ]; then
  apt-get -q -o DPkg::Lock::Timeout=600 update
fi

apt-get install "${APT_OPTS[@]}" "${missing[@]}"

echo "lab install: ${#missing[@]} packages installed in $(elapsed) s"
