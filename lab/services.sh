# Sourced by lab/lab.sh: the hosts' services other than Ceph (glusterd, NFS-Ganesha, libvirtd, supervisord), what
# `up` writes for the lab's users (SSH client files, lab.json), and the lab's processes (listing, RSS, stopping).
# shellcheck shell=bash

gluster_wait() {
  local h=$1
  wait_until "glusterd on $h" 60 0.5 in_host "$h" timeout 10 gluster --mode=script pool list
}

nfs_up() {
  local h=$NFS_HOST
  start_daemon "$h" dbus-daemon /usr/bin/dbus-daemon --system --nofork --nopidfile
  start_daemon "$h" rpcbind /usr/sbin/rpcbind -f -w
  wait_until "rpcbind on $h" 40 0.25 in_host "$h" timeout 5 rpcinfo -p "${ADDR[$h]}" || return 1
  wait_until "dbus on $h" 40 0.25 in_host "$h" test -S /run/dbus/system_bus_socket || return 1
  wait_until "supervisord on $h" 60 0.25 in_host "$h" timeout 10 supervisorctl pid >/dev/null || return 1
  in_host "$h" timeout 30 supervisorctl start nfs-ganesha >/dev/null
}
nfs_wait() {
  local h=$NFS_HOST
  ganesha_registered() { in_host "$h" timeout 5 rpcinfo -p "${ADDR[$h]}" | grep -qw nfs; }
  wait_until "ganesha on $h" 60 0.25 ganesha_registered
}

libvirt_wait() {
  local h=$1
  wait_until "libvirtd on $h" 60 0.25 in_host "$h" timeout 10 virsh -c "$LIBVIRT_URI" secret-list
}

supervisor_up() {
  local h=$1
  start_daemon "$h" supervisord /usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf
}
supervisor_wait() {
  local h=$1
  all_running() {   # supervisord answers and every program it has (the controller has none yet) runs
    local out; out=$(in_host "$h" timeout 10 supervisorctl status) || [ -z "$out" ] || return 1
    in_host "$h" timeout 10 supervisorctl pid | grep -qx '[0-9]*' || return 1
    ! grep -v RUNNING <<<"$out" | grep -q .
  }
  wait_until "supervisord programs on $h" 60 0.25 all_running
}

write_ssh_client_files() {
  local h
  : >"$RUN/ssh/known_hosts"
  {
    echo "# lab hosts (written by lab/lab.sh): ssh -F $RUN/ssh/config HOST"
    echo "Host ${HOSTS[*]}"
    echo "  User root"
    echo "  IdentityFile $RUN/ssh/id_ed25519"
    echo "  IdentitiesOnly yes"
    echo "  UserKnownHostsFile $RUN/ssh/known_hosts"
    echo "  StrictHostKeyChecking yes"
    echo "  BatchMode yes"
    echo "  ConnectTimeout 5"
    for h in "${HOSTS[@]}"; do
      printf 'Host %s\n  HostName %s\n' "$h" "${SSH_ADDR[$h]}"
      [ -z "${BASTION[$h]:-}" ] || printf '  ProxyJump %s\n' "${BASTION[$h]}"
    done
  } >"$RUN/ssh/config"
  for h in "${HOSTS[@]}"; do
    echo "$h,${SSH_ADDR[$h]} $(cut -d' ' -f1,2 "$(hdir "$h")/ssh_host_ed25519_key.pub")" >>"$RUN/ssh/known_hosts"
  done
}

pids_json() {
  local h f first_h=1 first_p
  printf '{'
  for h in "${HOSTS[@]}"; do
    [ $first_h = 1 ] || printf ','; first_h=0
    printf '"%s":{' "$h"; first_p=1
    for f in "$(hdir "$h")"/pids/*; do
      [ -f "$f" ] || continue
      [ $first_p = 1 ] || printf ','; first_p=0
      printf '"%s":%s' "$(basename "$f")" "$(cat "$f")"
    done
    printf '}'
  done
  printf '}'
}

write_lab_json() {
  local hosts_json='{}' h key
  for h in "${HOSTS[@]}"; do
    key=$(cut -d' ' -f1,2 "$(hdir "$h")/ssh_host_ed25519_key.pub")
    # address: where its sshd listens (what the program connects to); service_address: on the bridge
    hosts_json=$(jq -c --arg h "$h" --arg a "${SSH_ADDR[$h]}" --arg sa "${ADDR[$h]}" --arg k "$key" \
      --arg n "$(ns "$h")" --arg p "$(anchor_pid "$h")" --arg b "${BASTION[$h]:-}" \
      '.[$h] = {address: $a, service_address: $sa, host_key: $k, netns: $n, anchor_pid: ($p|tonumber)}
       | if $b != "" then .[$h].bastion = $b else . end' <<<"$hosts_json")
  done
  jq -n --argjson hosts "$hosts_json" --arg key "$RUN/ssh/id_ed25519" --arg kh "$RUN/ssh/known_hosts" \
    --arg sshcfg "$RUN/ssh/config" --arg fsid "$(cat "$CEPH_DIR/fsid")" --arg mon "${ADDR[$CEPH_HOST]}" \
    --arg admin "$CEPH_HOST" --arg uri "$LIBVIRT_URI" --argjson pids "$(pids_json)" \
    --arg bridge "$BRIDGE" --arg gw "$GATEWAY" --arg nfs "$NFS_HOST" \
    --argjson cuid "$(in_host controller id -u cinder)" --argjson cgid "$(in_host controller id -g cinder)" \
    --argjson gluster "$(printf '%s\n' "${GLUSTER_HOSTS[@]}" | jq -R . | jq -sc .)" \
    --argjson computes "$(printf '%s\n' "${COMPUTES[@]}" | jq -R . | jq -sc .)" '{
      hosts: $hosts,
      ssh_user: "root",
      ssh_private_key_file: $key,
      ssh_known_hosts_file: $kh,
      ssh_config_file: $sshcfg,
      bridge: {name: $bridge, address: $gw},
      ceph: {cluster: "ceph", fsid: $fsid, mon_host: [$mon], admin_host: $admin},
      gluster: {hosts: $gluster, brick_dirs: ["/srv/gluster/brick1", "/srv/gluster/brick2"]},
      nfs: {host: $nfs, export_dir: "/srv/nfs/instances", config: "/etc/ganesha/ganesha.conf",
            reload: "supervisorctl restart nfs-ganesha"},
      libvirt_uri: $uri,
      cinder_ids: {uid: $cuid, gid: $cgid},
      computes: $computes,
      pids: $pids
    }' >"$RUN/lab.json.tmp"
  mv "$RUN/lab.json.tmp" "$RUN/lab.json"
}

# Every PID in the lab's network namespaces (what sshd, the daemons and their children run as).
lab_pids() {
  local h
  for h in "${HOSTS[@]}"; do
    ip netns pids "$(ns "$h")" 2>/dev/null || true
  done
}

rss_report() {
  local pids
  pids=$(lab_pids | sort -n | tr '\n' ',' | sed 's/,$//')
  [ -n "$pids" ] || { echo "  no lab processes"; return 0; }
  ps -o rss=,comm= -p "$pids" | awk '{ r[$2] += $1; n[$2]++ } END {
    for (c in r) printf "  %-16s %7.1f MiB  (%d)\n", c, r[c] / 1024, n[c] }' | sort -k2 -n -r
  ps -o rss= -p "$pids" | awk '{ t += $1 } END { printf "  %-16s %7.1f MiB  (%d processes)\n", "TOTAL", t / 1024, NR }'
}

# Stop PIDS with SIGTERM, wait (bounded), then SIGKILL what is left.
stop_pids() {
  local grace=$1; shift
  local p left=()
  [ $# -gt 0 ] || return 0
  STOPPED+=("$@")
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  pids_gone $((grace * 10)) "$@" && return 0
  log "SIGKILL after ${grace}s: ${left[*]}"
  for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  pids_gone 50 "$@" && return 0
  log "still alive after SIGKILL: ${left[*]}"
}
# pids_gone TENTHS PID...: waits at most TENTHS x 0.1 s until none of PIDS is alive; returns 1 if some still are,
# with those in the caller's `left` (stop_pids' local).
pids_gone() {
  local tenths=$1 p i; shift
  for ((i = 0; i < tenths; i++)); do
    left=()
    for p in "$@"; do alive "$p" && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    sleep 0.1
  done
  return 1
}

# A recorded PID is only signalled while it is still in its host's network namespace (no PID reuse).
pid_in_host() {
  local p=$1 h=$2
  alive "$p" && ip netns identify "$p" 2>/dev/null | grep -qx "$(ns "$h")"
}
