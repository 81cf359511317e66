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
set_computes "$(compute_count)"
# supervisord on every host: the lab stack names it as the service manager, so the program restarts
# glusterd, nfs-ganesha, libvirtd and the OpenStack services through `supervisorctl restart NAME`
SUPERVISOR_HOSTS=("${HOSTS[@]}")
# A clean environment for everything that runs inside a host (as sshd would give a login).
HOST_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root
  USER=root LOGNAME=root SHELL=/bin/bash)

T0=$(date +%s.%N)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[lab %5ss] %s\n' "$(secs "$T0" "$(now)")" "$*"; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
declare -a TIMINGS=() STOPPED=()
phase_start() { PHASE_NAME=$1; PHASE_T=$(now); }
phase_end() { TIMINGS+=("$(printf '%-52s %6s s' "$PHASE_NAME" "$(secs "$PHASE_T" "$(now)")")"); }

hdir() { echo "$RUN/hosts/$1"; }
ns() { echo "$NS_PREFIX$1"; }
anchor_pid() { cat "$(hdir "$1")/pids/anchor" 2>/dev/null; }
# A process counts as alive unless gone or a zombie: PID 1 on this machine reaps orphans only about
# every 2 s, and `kill -0` succeeds on a zombie.
alive() {
  local stat
  [ -n "${1:-}" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Run a command inside a host (its mount, network and UTS namespaces), with a clean environment.
in_host() {
  local h=$1; shift
  nsenter -t "$(anchor_pid "$h")" -m -n -u -- "${HOST_ENV[@]}" "$@"
}

# Start a long-running (foreground) daemon inside a host; records its PID in hosts/H/pids/NAME.
# setsid does not fork here (a background job of a script is no process-group leader), and neither
# nsenter (no PID namespace) nor env do, so $! is the daemon's own PID.
start_daemon() {
  local h=$1 name=$2; shift 2
  local d; d=$(hdir "$h")
  setsid nsenter -t "$(anchor_pid "$h")" -m -n -u -- "${HOST_ENV[@]}" "$@" \
    >>"$d/log/$name.log" 2>&1 </dev/null &
  echo $! >"$d/pids/$name"
}

# wait_until DESCRIPTION TRIES INTERVAL CMD...: bounded in count (TRIES) and time (TRIES x INTERVAL plus
# each CMD's own timeout). Returns 1 when it gave up.
wait_until() {
  local what=$1 tries=$2 interval=$3; shift 3
  local i
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep "$interval"
  done
  log "gave up waiting for $what after $tries tries"
  return 1
}

ssh_opts() {
  echo -i "$RUN/ssh/id_ed25519" -o IdentitiesOnly=yes -o UserKnownHostsFile="$RUN/ssh/known_hosts" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR
}
lab_ssh() { local h=$1; shift; # shellcheck disable=SC2046
  timeout 20 ssh -F "$RUN/ssh/config" "$h" "$@"; }

# ---------------------------------------------------------------------------------------------------
# Inside a host: runs as the first process of the host's new mount + UTS namespaces (under
# `ip netns exec NS unshare --mount --uts --propagation private`), sets the host up, then becomes the
# host's anchor process (a `sleep infinity` that keeps the namespaces alive; exec.sh enters through it).
host_init() {
  local h=$1 d; d=$(hdir "$h")
  hostname "$h"
  mount -t overlay "lab-$h-etc" -o "lowerdir=/etc,upperdir=$d/etc.upper,workdir=$d/etc.work" /etc
  mount -t overlay "lab-$h-var" -o "lowerdir=/var,upperdir=$d/var.upper,workdir=$d/var.work" /var
  mount -t tmpfs -o mode=0755,size=256m "lab-$h-run" /run
  mount -t tmpfs -o mode=1777,size=1g "lab-$h-tmp" /tmp
  mount --bind "$d/root" /root
  mount --bind "$d/srv" /srv
  mkdir -p /run/lock /run/sshd /run/user
  chmod 1777 /run/lock

  echo "$h" >/etc/hostname
  {
    echo "127.0.0.1 localhost"
    echo "::1 localhost ip6-localhost ip6-loopback"
    local o
    for o in "${HOSTS[@]}"; do echo "${ADDR[$o]} $o"; done
  } >/etc/hosts

  # Service users and groups the configs refer to, only in this host's /etc overlay.
  local u
  for u in cinder glance nova; do
    getent group "$u" >/dev/null || groupadd -r "$u"
    getent passwd "$u" >/dev/null || useradd -r -g "$u" -d "/var/lib/$u" -s /usr/sbin/nologin -c "OpenStack $u" "$u"
  done
  getent group kvm >/dev/null || groupadd -r kvm
  getent group libvirt >/dev/null || groupadd -r libvirt
  # nova-compute runs as nova and uses libvirtd's socket as a member of libvirt (Debian's nova-compute-libvirt
  # package does the same)
  usermod -aG libvirt nova
  # libvirt's qemu driver looks up a group "libvirt-qemu" (its built-in default) before it reads
  # qemu.conf; Debian's libvirt-daemon-system makes that group and the user with primary group kvm.
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu >/dev/null ||
    useradd -r -g kvm -G libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin -c "Libvirt Qemu" libvirt-qemu
  getent group ceph >/dev/null || groupadd -r ceph
  getent passwd ceph >/dev/null || useradd -r -g ceph -d /var/lib/ceph -s /usr/sbin/nologin ceph

  # /etc/ceph holds nothing until the program under test (or, on the Ceph host, lab.sh) writes there.
  mkdir -p /etc/ceph
  find /etc/ceph -mindepth 1 -delete
  mkdir -p /var/log/ceph /var/run/ceph /var/lib/ceph

  # sshd: a fresh ed25519 host key, only that one.
  rm -f /etc/ssh/ssh_host_*
  cp "$d/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
  cp "$d/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
  chmod 0600 /etc/ssh/ssh_host_ed25519_key
  cat >/etc/ssh/sshd_config <<EOF
# lab host $h (written by lab/lab.sh)
ListenAddress ${SSH_ADDR[$h]}
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
LoginGraceTime 30
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  install -d -m 0700 /root/.ssh
  install -m 0600 "$RUN/ssh/id_ed25519.pub" /root/.ssh/authorized_keys

  case " ${GLUSTER_HOSTS[*]} " in *" $h "*)
    mkdir -p /srv/gluster/brick1 /srv/gluster/brick2 /var/log/glusterfs /var/lib/glusterd ;;
  esac
  if [ "$h" = "$NFS_HOST" ]; then
    mkdir -p /srv/nfs/instances /var/log/ganesha /run/ganesha /var/lib/nfs/ganesha /run/rpcbind /run/dbus
    cat >/etc/ganesha/ganesha.conf <<EOF
# lab host $h (written by lab/lab.sh): NFS-Ganesha serving nothing yet. The program under test writes
# its own ganesha.conf and restarts it with `supervisorctl restart nfs-ganesha`.
NFS_CORE_PARAM {
    Protocols = 3, 4;
    Bind_addr = ${ADDR[$h]};
}
NFSv4 {
    # no 90 s grace period after a (re)start: the lab's tests use the server at once
    Graceless = true;
}
LOG {
    Default_Log_Level = EVENT;
}
EOF
  fi
  case " ${LIBVIRT_HOSTS[*]} " in *" $h "*) compute_init "$h" "$d" ;; esac
  case " ${SUPERVISOR_HOSTS[*]} " in *" $h "*)
    mkdir -p /var/log/supervisor /etc/supervisor/conf.d
    write_service_programs "$h" ;;
  esac

  touch "$d/ready"
  exec -a "lab-host-$h" sleep infinity
}

# The real storage daemons of a host as supervisord programs, named as the program under test restarts them.
# nfs-ganesha does not autostart: it needs rpcbind and the D-Bus system bus first (nfs_up starts it).
write_service_programs() {
  local h=$1
  program() {
    printf '[program:%s]\ncommand=%s\nautostart=%s\nautorestart=true\nstartsecs=1\nstopwaitsecs=15\n' "$1" "$2" "$3" \
      >"/etc/supervisor/conf.d/$1.conf"
    printf 'stdout_logfile=/var/log/supervisor/%s.log\nredirect_stderr=true\n' "$1" >>"/etc/supervisor/conf.d/$1.conf"
  }
  case " ${GLUSTER_HOSTS[*]} " in *" $h "*)
    program glusterd "/usr/sbin/glusterd -N -p /run/glusterd.pid -l /var/log/glusterfs/glusterd.log --log-level INFO" true ;;
  esac
  if [ "$h" = "$NFS_HOST" ]; then
    program nfs-ganesha "/usr/bin/ganesha.nfsd -F -f /etc/ganesha/ganesha.conf -L /var/log/ganesha/ganesha.log -p /run/ganesha/ganesha.pid -N NIV_EVENT" false
  fi
  case " ${LIBVIRT_HOSTS[*]} " in *" $h "*) compute_programs ;; esac
}

# ---------------------------------------------------------------------------------------------------
# On the machine.

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

make_network() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr replace "$GATEWAY/$PREFIX" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local h n v
  for h in "${HOSTS[@]}"; do
    n=$(ns "$h"); v="osv-$h"
    ip netns add "$n"
    ip link add "$v" type veth peer name eth0 netns "$n"
    ip link set "$v" master "$BRIDGE" up
    ip -n "$n" link set lo up
    ip -n "$n" addr add "${ADDR[$h]}/$PREFIX" dev eth0
    ip -n "$n" link set eth0 up
  done
  make_bastion_link
}

make_host() {
  local h=$1 d; d=$(hdir "$h")
  mkdir -p "$d"/{etc.upper,etc.work,var.upper,var.work,root,srv,log,pids}
  ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$d/ssh_host_ed25519_key"
  rm -f "$d/ready"
  setsid ip netns exec "$(ns "$h")" unshare --mount --uts --propagation private -- \
    "${HOST_ENV[@]}" bash "$LAB/lab.sh" __host-init "$h" >>"$d/log/host-init.log" 2>&1 </dev/null &
  echo $! >"$d/pids/anchor"
}

start_sshd() {
  local h=$1
  start_daemon "$h" sshd /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
}

ceph_conf() {
  local fsid=$1 ip=${ADDR[$CEPH_HOST]}
  cat <<EOF
# lab Ceph cluster on $CEPH_HOST (written by lab/lab.sh): one mon, one bluestore osd on a sparse file.
# Every daemon path lives under $CEPH_DIR.
[global]
fsid = $fsid
mon host = [v2:$ip:3300,v1:$ip:6789]
public network = 10.77.0.0/$PREFIX
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
mon data avail warn = 1
mon warn on pool no redundancy = false
mon allow pool size one = true
mon allow pool delete = true
# one osd: the per-osd PG limit would otherwise refuse a few pools of 32 PGs at size 3
mon max pg per osd = 1000
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$cluster-\$name.asok
pid file = $CEPH_DIR/run/\$cluster-\$name.pid
log file = $CEPH_DIR/log/\$cluster-\$name.log
crash dir = $CEPH_DIR/crash
log to stderr = false
err to stderr = true
[mon]
mon data = $CEPH_DIR/mon/\$cluster-\$id
keyring = $CEPH_DIR/mon/\$cluster-\$id/keyring
[mgr]
mgr data = $CEPH_DIR/mgr/\$cluster-\$id
keyring = $CEPH_DIR/mgr/\$cluster-\$id/keyring
[osd]
osd data = $CEPH_DIR/osd/\$cluster-\$id
keyring = $CEPH_DIR/osd/\$cluster-\$id/keyring
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 10737418240
bluestore fsck on mount = false
osd memory target = 939524096
bluestore cache autotune = false
bluestore cache size = 134217728
EOF
}

# Ceph: mkfs + start the mon, then an osd. Runs in the background of `up` (Ceph is the long pole).
ceph_up() {
  local h=$CEPH_HOST ip=${ADDR[$CEPH_HOST]} d fsid uuid id
  d=$(hdir "$h")
  mkdir -p "$CEPH_DIR"/{run,log,crash,mon,osd,mgr}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  echo "$fsid" >"$CEPH_DIR/fsid"
  ceph_conf "$fsid" >"$CEPH_DIR/ceph.conf"
  local C=(-c "$CEPH_DIR/ceph.conf")
  {
    ceph-authtool --create-keyring "$CEPH_DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *'
    ceph-authtool --create-keyring "$CEPH_DIR/admin.keyring" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *'
    ceph-authtool "$CEPH_DIR/mon.keyring" --import-keyring "$CEPH_DIR/admin.keyring"
    monmaptool --create --fsid "$fsid" --addv a "[v2:$ip:3300,v1:$ip:6789]" "$CEPH_DIR/monmap"
  } >/dev/null
  in_host "$h" ceph-mon "${C[@]}" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/mon.keyring"
  start_daemon "$h" ceph-mon /usr/bin/ceph-mon "${C[@]}" -f -i a
  local A=("${C[@]}" -k "$CEPH_DIR/admin.keyring" --connect-timeout 5)
  wait_until "ceph-mon" 60 0.5 in_host "$h" timeout 10 ceph "${A[@]}" mon stat || return 1
  log "ceph: mon up"

  # The client side on the Ceph host: /etc/ceph/ceph.conf (fsid + mon host) and the admin keyring.
  in_host "$h" sh -c "cat >/etc/ceph/ceph.conf" <<EOF
# lab: client configuration of the lab cluster on $h (written by lab/lab.sh)
[global]
fsid = $fsid
mon host = [v2:$ip:3300,v1:$ip:6789]
EOF
  in_host "$h" install -m 0600 "$CEPH_DIR/admin.keyring" /etc/ceph/ceph.client.admin.keyring

  if [ "$LAB_CEPH_MGR" = 1 ]; then
    mkdir -p "$CEPH_DIR/mgr/ceph-x"
    in_host "$h" timeout 20 ceph "${A[@]}" auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' \
      mds 'allow *' -o "$CEPH_DIR/mgr/ceph-x/keyring"
    start_daemon "$h" ceph-mgr /usr/bin/ceph-mgr "${C[@]}" -f -i x
  else
    # no mgr: the mon raises MGR_DOWN two minutes after it started; mute it (sticky, shown in ceph -s)
    in_host "$h" timeout 20 ceph "${A[@]}" health mute MGR_DOWN --sticky
  fi

  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(in_host "$h" timeout 20 ceph "${A[@]}" osd new "$uuid")
  mkdir -p "$CEPH_DIR/osd/ceph-$id"
  ceph-authtool --create-keyring "$CEPH_DIR/osd/ceph-$id/keyring" --gen-key -n "osd.$id" >/dev/null
  in_host "$h" timeout 20 ceph "${A[@]}" auth add "osd.$id" osd 'allow *' mon 'allow profile osd' \
    mgr 'allow profile osd' -i "$CEPH_DIR/osd/ceph-$id/keyring" >/dev/null 2>&1
  in_host "$h" ceph-osd "${C[@]}" -i "$id" --mkfs --osd-uuid "$uuid" >>"$d/log/ceph-osd-mkfs.log" 2>&1
  start_daemon "$h" ceph-osd /usr/bin/ceph-osd "${C[@]}" -f -i "$id"
  osd_up() { [ "$(in_host "$h" timeout 10 ceph "${A[@]}" osd stat -f json | jq -r .num_up_osds)" -ge 1 ]; }
  wait_until "ceph-osd up" 90 0.5 osd_up || return 1
  log "ceph: osd.$id up"
  if [ "$LAB_CEPH_MGR" = 1 ]; then
    mgr_up() { [ "$(in_host "$h" timeout 10 ceph "${A[@]}" mgr stat -f json | jq -r .available)" = true ]; }
    wait_until "ceph-mgr available" 120 0.5 mgr_up || return 1
    log "ceph: mgr available"
  fi
  health_ok() { in_host "$h" timeout 10 ceph "${A[@]}" health | grep -q HEALTH_OK; }
  if wait_until "HEALTH_OK" 30 1 health_ok; then log "ceph: HEALTH_OK"; else
    log "ceph: not HEALTH_OK: $(in_host "$h" timeout 10 ceph "${A[@]}" health detail 2>&1 | head -5)"
  fi
  in_host "$h" timeout 10 ceph "${A[@]}" osd pool ls >/dev/null || return 1
  touch "$CEPH_DIR/ready"
}

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
    set_computes "$(compute_count)"    # now LAB_COMPUTES's, no longer the leftovers'
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

# Stop PIDS with SIGTERM, wait (bounded), then SIGKILL what is left.
stop_pids() {
  local grace=$1; shift
  local p left=() i
  [ $# -gt 0 ] || return 0
  STOPPED+=("$@")
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for ((i = 0; i < grace * 10; i++)); do
    left=()
    for p in "$@"; do alive "$p" && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    sleep 0.1
  done
  log "SIGKILL after ${grace}s: ${left[*]}"
  for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    left=()
    for p in "$@"; do alive "$p" && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    sleep 0.1
  done
  log "still alive after SIGKILL: ${left[*]}"
}

# A recorded PID is only signalled while it is still in its host's network namespace (no PID reuse).
pid_in_host() {
  local p=$1 h=$2
  alive "$p" && ip netns identify "$p" 2>/dev/null | grep -qx "$(ns "$h")"
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
  # 5. state: only when nothing of the lab is left running
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
