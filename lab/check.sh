#!/usr/bin/env bash
# Smoke test of a lab that is up (bash lab/lab.sh up): read-only checks over SSH with the host keys
# pinned from lab/run/lab.json, as the program under test connects. Prints one line per check and
# 'N passed, N failed'; exits 1 when a check failed. Changes nothing on the hosts.
set -euo pipefail
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
J=$LAB/run/lab.json
[ -f "$J" ] || { echo "check.sh: no $J (bash lab/lab.sh up first)" >&2; exit 2; }

KH=$(mktemp); trap 'rm -f "$KH"' EXIT
jq -r '.hosts | to_entries[] | "\(.value.address) \(.value.host_key)"' "$J" >"$KH"
KEY=$(jq -r .ssh_private_key_file "$J")
addr() { jq -r --arg h "$1" '.hosts[$h].address' "$J"; }
on() { local h=$1; shift
  timeout 30 ssh -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$KH" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$(addr "$h")" "$@"; }

pass=0 fail=0
check() { local what=$1; shift
  local out
  if out=$("$@" 2>&1); then pass=$((pass + 1)); echo "ok    $what"
  else fail=$((fail + 1)); echo "FAIL  $what"; printf '%s\n' "$out" | tail -5 | sed 's/^/      /'; fi; }

hostname_is() { [ "$(on "$1" hostname)" = "$1" ]; }
no_machine_cinder() { ! id cinder; }
exec_hostname_is() { [ "$("$LAB/exec.sh" "$1" hostname)" = "$1" ]; }

uri=$(jq -r .libvirt_uri "$J")
fsid=$(jq -r .ceph.fsid "$J")
for h in $(jq -r '.hosts | keys[]' "$J"); do
  check "$h: ssh with pinned key, hostname" hostname_is "$h"
  check "$h: service users in its /etc" on "$h" 'id cinder && id glance && id nova && id -gn libvirt-qemu | grep -qx kvm && getent group ceph'
  check "$h: resolves the other hosts" on "$h" 'getent hosts controller compute1 compute2 storage1 storage2 | wc -l | grep -qx 5'
done
check "machine: no user cinder (its /etc untouched)" no_machine_cinder
check "storage1: ceph -s, HEALTH_OK, fsid" on storage1 "ceph -s | grep -q HEALTH_OK && ceph fsid | grep -qx $fsid"
check "storage1: osd up, pool ls" on storage1 'ceph osd stat | grep -q "1 up" && ceph osd pool ls'
for h in controller compute1 compute2 storage2; do
  check "$h: ceph-common, empty /etc/ceph" on "$h" 'command -v ceph rbd && [ -d /etc/ceph ] && [ -z "$(ls -A /etc/ceph)" ]'
done
for h in storage1 storage2; do
  check "$h: glusterd (pid file), peer status, brick dir" on "$h" \
    'kill -0 $(cat /run/glusterd.pid) && gluster --mode=script peer status && test -d /srv/gluster/brick1'
done
check "storage2: ganesha + rpcbind, export dir" on storage2 \
  'kill -0 $(cat /run/ganesha/ganesha.pid) && rpcinfo -p | grep -qw nfs && test -d /srv/nfs/instances'
check "machine: showmount -e storage2" timeout 20 showmount -e "$(addr storage2)"
for h in compute1 compute2; do
  check "$h: virsh -c $uri secret-list" on "$h" "virsh -c $uri secret-list"
done
check "controller: supervisorctl status (3 placeholders)" on controller \
  'supervisorctl status | grep -c RUNNING | grep -qx 3 && supervisorctl pid cinder-volume | grep -q "^[0-9]"'
for h in compute1 compute2; do
  check "$h: supervisorctl pid nova-compute" on "$h" 'supervisorctl pid nova-compute | grep -q "^[0-9]"'
done
check "exec.sh storage1 hostname" exec_hostname_is storage1

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
