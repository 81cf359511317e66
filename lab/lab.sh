#!/usr/bin/env bash
# The local lab: real test hosts (five with the default two computes) on this one machine, each a network + UTS + mount namespace with
# its own sshd, users, /etc, /var, /run, /tmp, /root and /srv, reachable over SSH with pinned host keys.
#
#   lab.sh up       create the hosts and start their services; writes lab/run/lab.json
#   lab.sh down     stop every process the lab started (by PID), delete namespaces and lab/run
#   lab.sh status   hosts, whether their sshd answers, the lab's processes and their RSS
#
# Hosts (bridge osbr0, the machine is 10.77.0.1/24):
#   controller 10.77.0.10  supervisord: the OpenStack services of lab/openstack/up.sh
#   compute1   10.77.0.21  libvirtd, virtlogd; nova-compute (lab/openstack/up.sh)
#   compute2   10.77.0.22  libvirtd, virtlogd; nova-compute (lab/openstack/up.sh); SSH only through compute1
#   compute3.. 10.77.0.23.. with LAB_COMPUTES=N (default 2): the same as compute1 (lab/computes.sh)
#   storage1   10.77.0.31  Ceph mon + osd (cluster "ceph", admin keyring here), glusterd
#   storage2   10.77.0.32  glusterd, NFS-Ganesha + rpcbind (+ a D-Bus system bus for ganesha)
#
# Every wait is bounded in count and time; every process is stopped by its PID. Test traffic goes only
# to the addresses of these namespaces. See lab/README.md.
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shared helpers: HOST_ENV, now, secs, elapsed, log, die, poll
# shellcheck source=lab/lib.sh
. "$LAB/lib.sh"
LOG_FORMAT='[lab %5ss] %s\n'
DIE_PREFIX='lab: error: '
# The lab's state (keys, daemon data, per-host overlays) must stay visible inside the hosts, which mount their own
# /tmp, /run, /root and /srv and overlays of /etc and /var: when the checkout lives under one of those, the state
# goes under /opt and lab/run is a link to it.
RUN=$LAB/run
case "$LAB/" in
  /tmp/* | /run/* | /root/* | /srv/* | /etc/* | /var/*)
    RUN=/opt/openstack-storage-lab/$(printf '%s' "$LAB" | sha256sum | cut -c1-12) ;;
esac
BRIDGE=osbr0
GATEWAY=10.77.0.1
PREFIX=24
NS_PREFIX=os-
declare -A ADDR=([controller]=10.77.0.10 [storage1]=10.77.0.31 [storage2]=10.77.0.32)
declare -A SSH_ADDR=([controller]=10.77.0.10 [storage1]=10.77.0.31 [storage2]=10.77.0.32)
declare -A BASTION=()
# the computes (LAB_COMPUTES, default 2; compute2 behind compute1) and HOSTS: lab/computes.sh
# shellcheck source=lab/computes.sh
. "$LAB/computes.sh"
CEPH_HOST=storage1
CEPH_DIR=$RUN/ceph
# A ceph-mgr runs as well (about 300 MB RSS): nova-compute sizes its RBD pool from `ceph df`, whose pool list
# is empty without a mgr ("Pool vms could not be found"). LAB_CEPH_MGR=0 leaves it out (then pools, cephx users
# and RBD images still work, Nova's computes do not, and the MGR_DOWN warning is muted).
LAB_CEPH_MGR=${LAB_CEPH_MGR:-1}
GLUSTER_HOSTS=(storage1 storage2)
NFS_HOST=storage2
# cinder's LVM backend (lab/README.md): a volume group on a loop device, and tgtd, on the cinder-volume host
LVM_HOST=controller
LVM_VG=cinder-volumes
_n=$(compute_count) || exit 1   # a wrong LAB_COMPUTES stops here: die in $(...) ends only the subshell
set_computes "$_n"
# supervisord on every host: the lab stack names it as the service manager, so the program restarts
# glusterd, nfs-ganesha, libvirtd and the OpenStack services through `supervisorctl restart NAME`
SUPERVISOR_HOSTS=("${HOSTS[@]}")

T0=$(date +%s.%N)
declare -a TIMINGS=() STOPPED=()
phase_start() { PHASE_NAME=$1; PHASE_T=$(now); }
phase_end() { TIMINGS+=("$(printf '%-52s %6s s' "$PHASE_NAME" "$(secs "$PHASE_T" "$(now)")")"); }

# The lab's parts: a host (helpers, init, making it), Ceph, the other services and the lab's processes.
# shellcheck source=lab/host.sh
. "$LAB/host.sh"
# shellcheck source=lab/ceph.sh
. "$LAB/ceph.sh"
# shellcheck source=lab/services.sh
. "$LAB/services.sh"

# ---------------------------------------------------------------------------------------------------
# On the machine: the commands up, down and status.

ensure_tools() {
  local c missing=()
  [ "$LAB_CEPH_MGR" != 1 ] || command -v ceph-mgr >/dev/null || missing+=(ceph-mgr)
  for c in ip unshare nsenter setsid sshd ssh ssh-keygen ceph ceph-mon ceph-osd ceph-authtool monmaptool \
    glusterd gluster ganesha.nfsd rpcbind dbus-daemon libvirtd virsh supervisord supervisorctl useradd jq; do
    PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run 'bash lab/install.sh' first"
}

lab_is_up() {
  [ -f "$RUN/lab.json" ] || return 1
  local h
  for h in "${HOSTS[@]}"; do
    alive "$(anchor_pid "$h")" || return 1
    alive "$(cat "$(hdir "$h")/pids/sshd" 2>/dev/null)" || return 1
  done
}

cmd_up() {
  ensure_tools
  if lab_is_up; then
    log "lab is already up with ${#COMPUTES[@]} computes (lab/run/lab.json; 'lab.sh down' first to recreate)"
    [ "${LAB_COMPUTES:-${#COMPUTES[@]}}" = "${#COMPUTES[@]}" ] || die "LAB_COMPUTES=$LAB_COMPUTES, but the running lab has ${#COMPUTES[@]}"
    exit 0
  fi
  if [ -e "$RUN" ] || [ -L "$LAB/run" ] || ip link show "$BRIDGE" >/dev/null 2>&1 || ip netns list | grep -q "^$NS_PREFIX"; then
    log "leftovers of an earlier lab found: taking them down first"
    cmd_down
    _n=$(compute_count) || exit 1
    set_computes "$_n"    # now LAB_COMPUTES's, no longer the leftovers'
  fi
  # on a failure: stop the Ceph bootstrap if it still runs, and say how to clean up
  CEPH_JOB=
  # shellcheck disable=SC2154  # rc is set inside the trap
  trap 'rc=$?; if [ -n "$CEPH_JOB" ] && kill -0 "$CEPH_JOB" 2>/dev/null; then kill "$CEPH_JOB"; fi
        [ $rc -eq 0 ] || echo "lab up failed (exit $rc); logs in $RUN/hosts/*/log; clean up with: bash $LAB/lab.sh down" >&2' EXIT
  # the machine's own /etc must stay untouched: remember its user and group databases
  local etc_sum; etc_sum=$(cat /etc/passwd /etc/group /etc/shadow /etc/hosts | sha256sum)

  phase_start "network (bridge, ${#HOSTS[@]} netns, veths)"
  mkdir -p "$RUN/ssh"
  [ "$RUN" = "$LAB/run" ] || ln -sfn "$RUN" "$LAB/run"
  echo "${#COMPUTES[@]}" >"$RUN/computes"    # for status, down and the hosts' init
  ssh-keygen -q -t ed25519 -N '' -C "lab" -f "$RUN/ssh/id_ed25519"
  chmod 0600 "$RUN/ssh/id_ed25519"
  make_network
  phase_end

  phase_start "hosts (mount/UTS ns, overlays, users)"
  local h
  for h in "${HOSTS[@]}"; do make_host "$h"; done
  for h in "${HOSTS[@]}"; do
    wait_until "host-init of $h" 100 0.1 test -e "$(hdir "$h")/ready" ||
      die "host $h did not come up: $(tail -5 "$(hdir "$h")/log/host-init.log")"
  done
  phase_end

  phase_start "sshd x${#HOSTS[@]}"
  for h in "${HOSTS[@]}"; do start_sshd "$h"; done
  write_ssh_client_files
  for h in "${HOSTS[@]}"; do
    wait_until "sshd on $h" 100 0.1 lab_ssh "$h" true || die "sshd on $h does not answer: $(tail -3 "$(hdir "$h")/log/sshd.log")"
  done
  phase_end
  log "${#HOSTS[@]} hosts answer over SSH"

  # Services: Ceph in the background (the long pole), the rest meanwhile.
  local ceph_t0; ceph_t0=$(now)
  ceph_up >"$RUN/ceph-up.log" 2>&1 &
  CEPH_JOB=$!

  phase_start "supervisord x${#HOSTS[@]} (glusterd x2, ganesha, libvirtd + virtlogd x${#COMPUTES[@]})"
  for h in "${SUPERVISOR_HOSTS[@]}"; do supervisor_up "$h"; done
  nfs_up || die "rpcbind/dbus on $NFS_HOST did not come up: $(tail -3 "$(hdir "$NFS_HOST")/log/rpcbind.log")"
  for h in "${GLUSTER_HOSTS[@]}"; do gluster_wait "$h" || die "glusterd on $h: $(tail -3 "$(hdir "$h")/log/glusterd.log")"; done
  nfs_wait || die "ganesha on $NFS_HOST: $(tail -3 "$(hdir "$NFS_HOST")/log/ganesha.log")"
  # libvirt: qemu:///system when the qemu driver answers, else the secret driver alone
  LIBVIRT_URI=qemu:///system
  if ! libvirt_wait "${LIBVIRT_HOSTS[0]}"; then
    log "qemu:///system does not answer on ${LIBVIRT_HOSTS[0]}; trying secret:///system"
    LIBVIRT_URI=secret:///system
    libvirt_wait "${LIBVIRT_HOSTS[0]}" || die "libvirtd on ${LIBVIRT_HOSTS[0]}: $(tail -3 "$(hdir "${LIBVIRT_HOSTS[0]}")/log/libvirtd.log")"
  fi
  for h in "${LIBVIRT_HOSTS[@]}"; do libvirt_wait "$h" || die "libvirtd on $h"; done
  for h in "${SUPERVISOR_HOSTS[@]}"; do supervisor_wait "$h" || die "supervisord on $h: $(tail -3 "$(hdir "$h")/log/supervisord.log")"; done
  phase_end

  if ! wait "$CEPH_JOB"; then
    cat "$RUN/ceph-up.log" >&2
    die "Ceph did not come up (logs: $CEPH_DIR/log, $RUN/ceph-up.log)"
  fi
  sed 's/^/  /' "$RUN/ceph-up.log"
  TIMINGS+=("$(printf '%-52s %6s s' "ceph mon + osd$([ "$LAB_CEPH_MGR" = 1 ] && echo ' + mgr') (in parallel with the above)" "$(secs "$ceph_t0" "$(now)")")")

  [ "$etc_sum" = "$(cat /etc/passwd /etc/group /etc/shadow /etc/hosts | sha256sum)" ] ||
    die "the machine's /etc/passwd, group, shadow or hosts changed during up"

  write_lab_json
  echo
  echo "lab up: timings"
  printf '  %s\n' "${TIMINGS[@]}"
  printf '  %-52s %6s s\n' "TOTAL up" "$(secs "$T0" "$(now)")"
  echo "RSS of the lab's processes:"
  rss_report
  echo "libvirt URI: $LIBVIRT_URI"
  echo "ceph fsid: $(cat "$CEPH_DIR/fsid"), mon ${ADDR[$CEPH_HOST]}"
  echo "lab.json: $RUN/lab.json   ssh: ssh -F $RUN/ssh/config controller"
}

cmd_down() {
  local h f p t_down t; t_down=$(now)
  local daemons=() anchors=() rest=()
  # 1. the daemons the lab started, by their recorded PIDs, together with whatever else runs in the
  #    lab's network namespaces: their children (supervisord programs, glusterfsd bricks, the gluster
  #    self-heal daemon), SSH sessions, FUSE clients that tests mounted. PIDs from the pid files and
  #    from `ip netns pids`, never by name. The anchors (the hosts' `sleep infinity`) go last.
  for h in "${HOSTS[@]}"; do
    for f in "$(hdir "$h")"/pids/*; do
      [ -f "$f" ] || continue
      p=$(cat "$f")
      if [ "$(basename "$f")" = anchor ]; then alive "$p" && anchors+=("$p"); continue; fi
      pid_in_host "$p" "$h" && daemons+=("$p")
    done
  done
  # ceph-osd first, while its mon still answers: then it exits in well under a second; with the mon gone it
  # waits osd_mon_shutdown_timeout (5 s) to say goodbye.
  t=$(now)
  local osds=() others=()
  for p in "${daemons[@]}"; do
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = ceph-osd ]; then osds+=("$p"); else others+=("$p"); fi
  done
  stop_pids 20 "${osds[@]}"
  daemons=("${others[@]}" "${osds[@]}")
  mapfile -t rest < <(lab_pids | grep -vxF -f <(printf '%s\n' "${anchors[@]:-0}" "${daemons[@]:-0}") || true)
  stop_pids 20 "${others[@]}" "${rest[@]}"
  log "stopped ${#daemons[@]} daemons and ${#rest[@]} other processes in $(secs "$t" "$(now)") s"
  # 2. a second sweep: anything that was (re)started while the first round stopped
  mapfile -t rest < <(lab_pids | grep -vxF -f <(printf '%s\n' "${anchors[@]:-0}") || true)
  if [ ${#rest[@]} -gt 0 ]; then
    log "stopping ${#rest[@]} further processes in the lab's namespaces"
    stop_pids 10 "${rest[@]}"
  fi
  # 3. the anchors: the last processes of each host's mount + UTS namespaces (their mounts go with them)
  stop_pids 5 "${anchors[@]}"
  # 4. namespaces, veths (they go with their namespace) and the bridge
  for h in "${HOSTS[@]}"; do
    if ip netns list | grep -qw "^$(ns "$h")"; then ip netns del "$(ns "$h")"; fi
    ip link del "osv-$h" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  ip route del unreachable "${BASTION_LINK[3]%.*}.0/${BASTION_LINK[4]}" 2>/dev/null || true
  # 5. the LVM host's loop device, when it is still ours (backed by the host's file)
  for h in "${HOSTS[@]}"; do
    f=$(hdir "$h")/loop
    [ -f "$f" ] || continue
    p=$(cat "$f")
    if [ "$(losetup -nO BACK-FILE "$p" 2>/dev/null)" = "$(hdir "$h")/lvm.img" ]; then losetup -d "$p"; fi
  done
  # 6. state: only when nothing of the lab is left running
  local still=0
  for p in "${anchors[@]}" "${daemons[@]}"; do alive "$p" && still=$((still + 1)); done
  if [ "$still" -ne 0 ]; then die "$still lab processes still running; lab/run kept"; fi
  rm -rf "$RUN"
  [ ! -L "$LAB/run" ] || rm -f "$LAB/run"
  # their zombies, until PID 1 reaps them (it does so every 2 s or so), so `ps` shows nothing of the lab
  local i z
  for ((i = 0; i < 50; i++)); do
    z=0
    for p in "${STOPPED[@]}"; do [ -e "/proc/$p" ] && z=$((z + 1)); done
    [ $z -gt 0 ] || break
    sleep 0.1
  done
  log "lab down in $(secs "$t_down" "$(now)") s"
}

cmd_status() {
  if [ ! -d "$RUN" ]; then echo "lab is down (no lab/run)"; return 0; fi
  local h p state
  printf '%-11s %-11s %-14s %-8s %s\n' HOST ADDRESS NETNS ANCHOR SSH
  for h in "${HOSTS[@]}"; do
    p=$(anchor_pid "$h" || true)
    if alive "$p"; then state=alive; else state=dead; fi
    if [ -f "$RUN/ssh/known_hosts" ] && lab_ssh "$h" hostname >/dev/null 2>&1; then ssh_state=answers; else ssh_state="NO ANSWER"; fi
    printf '%-11s %-11s %-14s %-8s %s\n' "$h" "${ADDR[$h]}" "$(ns "$h")" "$state" "$ssh_state"
  done
  echo "processes:"
  for h in "${HOSTS[@]}"; do
    local line="" f
    for f in "$(hdir "$h")"/pids/*; do
      [ -f "$f" ] || continue
      p=$(cat "$f")
      if alive "$p"; then line+=" $(basename "$f")=$p"; else line+=" $(basename "$f")=DEAD"; fi
    done
    printf '  %-11s%s\n' "$h" "$line"
  done
  echo "RSS:"
  rss_report
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  __host-init) host_init "$2" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
