#!/usr/bin/env bash
# End-to-end checks of the lab's OpenStack services (after lab/openstack/up.sh), with python-openstackclient
# from the lab venv and the Ceph side read on storage1:
#   1 volume service list: cinder-scheduler, cinder-volume@ceph, cinder-backup up
#     (gluster/nfs are printed only: they read "up" for 60 s after a start, then "down": no kernel NFS client)
#   2 volume type ceph (volume_backend_name=ceph) and a 1 GiB volume on it  -> rbd ls volumes has volume-ID
#   3 a raw image                                                           -> rbd ls images has ID (+ snap)
#   4 a volume from that image                                              -> a clone: parent images/ID@snap
#   5 a backup of the volume of 2                                           -> rbd ls backups, as client.cinder-backup
# Then it deletes what it made (KEEP=1 keeps it; the admin project's volume quota is 10). Names get a per-run
# suffix. Every wait is bounded. Prints "N passed, N failed"; exit 0 only when nothing failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$(dirname "$HERE")
VENV=${OS_VENV:-/opt/openstack-storage-lab/openstack-venv}
RUN=$LAB/run/openstack
export OS_CLIENT_CONFIG_FILE=$RUN/clouds.yaml OS_CLOUD=lab-admin PYTHONNOUSERSITE=1
[ -f "$OS_CLIENT_CONFIG_FILE" ] || { echo "verify: no $OS_CLIENT_CONFIG_FILE (run lab/openstack/up.sh)" >&2; exit 2; }
OS() { timeout 60 "$VENV/bin/openstack" "$@"; }
S1() { timeout 30 "$LAB/exec.sh" storage1 "$@"; }
SUF=$(date +%H%M%S)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
# wait_status KIND ID TRIES: polls `openstack KIND show ID` once a second until a final status
wait_status() {
  local kind=$1 id=$2 tries=$3 i s=
  for ((i = 1; i <= tries; i++)); do
    s=$(OS $kind show "$id" -f value -c status 2>/dev/null)
    case $s in available | active | error* | killed) break ;; esac
    sleep 1
  done
  echo "${s:-missing}"
}
# wait_gone KIND ID TRIES
wait_gone() {
  local i
  for ((i = 1; i <= $3; i++)); do OS $1 show "$2" >/dev/null 2>&1 || return 0; sleep 1; done
  return 1
}

T0=$(date +%s.%N)
V1='' V2='' IMG='' B=''
# 1
svc=$(OS volume service list -f value -c Binary -c Host -c State)
echo "$svc" | sed 's/^/  /'
echo "$svc" | grep -qx 'cinder-scheduler controller up' && ok "cinder-scheduler up" || ko "cinder-scheduler not up"
echo "$svc" | grep -qx 'cinder-volume controller@ceph up' && ok "cinder-volume@ceph up" || ko "cinder-volume@ceph not up"
echo "$svc" | grep -qx 'cinder-backup controller up' && ok "cinder-backup up" || ko "cinder-backup not up"

# 2
OS volume type show ceph >/dev/null 2>&1 || OS volume type create --property volume_backend_name=ceph ceph >/dev/null
t=$(date +%s.%N)
V1=$(OS volume create --type ceph --size 1 "v1-$SUF" -f value -c id)
if [ -z "$V1" ]; then
  ko "volume create failed"
else
  s=$(wait_status volume "$V1" 90)
  echo "  volume v1-$SUF ($V1): $s in $(since "$t") s"
  [ "$s" = available ] && ok "volume on ceph available" || ko "volume on ceph: $s"
  S1 rbd ls volumes | grep -qx "volume-$V1" && ok "rbd ls volumes has volume-$V1" || ko "volume-$V1 not in pool volumes"
fi

# 3
IMGF=$RUN/verify-image.raw
[ -f "$IMGF" ] || "$VENV/bin/python" -c "
f = open('$IMGF', 'wb'); f.write(b'lab image ' * 100000); f.truncate(16 << 20)"
t=$(date +%s.%N)
IMG=$(OS image create --disk-format raw --container-format bare --file "$IMGF" "img-$SUF" -f value -c id)
if [ -z "$IMG" ]; then
  ko "image create failed"
else
  s=$(wait_status image "$IMG" 60)
  echo "  image img-$SUF ($IMG, 16 MiB): $s in $(since "$t") s"
  [ "$s" = active ] && ok "image active" || ko "image: $s"
  S1 rbd ls images | grep -qx "$IMG" && ok "rbd ls images has $IMG" || ko "$IMG not in pool images"
  S1 rbd snap ls "images/$IMG" | grep -qw snap && ok "image has its protected snap" || ko "no snap on images/$IMG"

  # 4
  t=$(date +%s.%N)
  V2=$(OS volume create --type ceph --size 1 --image "$IMG" "vimg-$SUF" -f value -c id)
  if [ -z "$V2" ]; then
    ko "volume create from image failed"
  else
    s=$(wait_status volume "$V2" 90)
    echo "  volume vimg-$SUF ($V2): $s in $(since "$t") s"
    [ "$s" = available ] && ok "volume from image available" || ko "volume from image: $s"
    parent=$(S1 rbd info "volumes/volume-$V2" 2>&1 | sed -n 's/^\s*parent: //p')
    [ "$parent" = "images/$IMG@snap" ] && ok "volume from image is a clone of images/$IMG@snap" ||
      ko "volume from image not a clone (parent: '${parent}')"
  fi
fi

# 5
if [ -n "$V1" ]; then
  t=$(date +%s.%N)
  B=$(OS volume backup create --name "b-$SUF" "$V1" -f value -c id)
  if [ -z "$B" ]; then
    ko "backup create failed"
  else
    s=$(wait_status "volume backup" "$B" 120)
    echo "  backup b-$SUF ($B): $s in $(since "$t") s"
    [ "$s" = available ] && ok "backup available" || ko "backup: $s ($(OS volume backup show "$B" -f value -c fail_reason))"
    S1 rbd ls backups | grep -q "^volume-$V1\.backup\.$B$" && ok "rbd ls backups has volume-$V1.backup.$B" ||
      ko "no backup image for $B in pool backups"
    # Who wrote it: with debug = true the backup log shows the rbd command; without it, the caps tell (of the
    # keys on the controller only client.cinder-backup may write pool backups, and there is no admin key).
    log=$LAB/run/hosts/controller/var.upper/log/cinder/cinder-backup.log
    if grep -q "import-diff --id cinder-backup .*--pool backups - backups/volume-$V1.backup.$B" "$log"; then
      ok "backup written as client.cinder-backup (rbd import-diff --id cinder-backup in the backup log)"
    else
      keys=$(timeout 30 "$LAB/exec.sh" controller ls /etc/ceph)
      writers=$(for k in $(echo "$keys" | sed -n 's/^ceph\.\(client\..*\)\.keyring$/\1/p'); do
                  S1 ceph auth get "$k" 2>/dev/null | grep -q 'osd = .*profile rbd pool=backups' && echo "$k"; done)
      if [ "$writers" = client.cinder-backup ] && ! echo "$keys" | grep -q admin; then
        ok "backup written as client.cinder-backup (the only controller key that may write pool backups)"
      else
        ko "cannot tell who wrote the backup (writers among the controller's keys: ${writers:-none})"
      fi
    fi
  fi
fi
echo "verify: checks took $(since "$T0") s"

# clean up: backup, then the volumes (the clone first), then the image (its snap has no children left)
if [ "${KEEP:-0}" != 1 ]; then
  t=$(date +%s.%N)
  [ -n "$B" ] && { OS volume backup delete "$B" >/dev/null; wait_gone "volume backup" "$B" 60 || echo "  backup $B not deleted"; }
  for v in $V2 $V1; do OS volume delete "$v" >/dev/null; done
  for v in $V2 $V1; do wait_gone volume "$v" 60 || echo "  volume $v not deleted"; done
  [ -n "$IMG" ] && { OS image delete "$IMG" >/dev/null || echo "  image $IMG not deleted"; }
  echo "verify: cleaned up in $(since "$t") s"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
