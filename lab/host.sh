# A lab host, sourced by lab/lab.sh: finding and entering a host (hdir, ns, in_host, start_daemon, wait_until,
# lab_ssh), its own init inside its new namespaces (host_init, its supervisord programs), and making it from the
# machine (network, namespaces, sshd).
# shellcheck shell=bash

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

# wait_until DESCRIPTION TRIES INTERVAL CMD...: lib.sh's poll, bounded in count (TRIES) and time (TRIES x INTERVAL
# plus each CMD's own timeout). Logs and returns 1 when it gave up.
wait_until() {
  local what=$1 tries=$2
  if poll "${@:2}"; then return 0; fi
  log "gave up waiting for $what after $tries tries"
  return 1
}

# SSH to a host through lab/run/ssh/config: the lab's SSH options (key, pinned host keys, batch mode, ProxyJump) are
# written once, there (services.sh's write_ssh_client_files).
lab_ssh() { local h=$1; shift
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
  # NFS through fuse-nfs, in this host only (lab/nfs/README.md): the machine's own mount.nfs stays as it is
  mount --bind "$LAB/nfs/mount.nfs" /usr/sbin/mount.nfs
  mkdir -p /run/lock /run/sshd /run/user
  chmod 1777 /run/lock
  # As systemd does on a production host: mounts made here from now on (os-brick's NFS mounts for an attached
  # volume, the instances share) reach the private mount namespace libvirt gives each guest's qemu. Within this
  # host's namespace only: it stays private towards the machine.
  mount --make-rshared /

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
  if [ "$h" = "$LVM_HOST" ]; then lvm_init "$d"; fi
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

# cinder's LVM backend: a 4 GiB sparse file on a loop device (lab.sh down detaches it), a physical volume and the
# volume group LVM_VG on it, in this host's /etc/lvm. This kernel has no device-mapper: no logical volume can be
# made on it (lab/README.md).
lvm_init() {
  local d=$1 dev
  truncate -s 4G "$d/lvm.img"
  dev=$(losetup -f --show "$d/lvm.img")
  echo "$dev" >"$d/loop"
  pvcreate -q "$dev" >/dev/null
  vgcreate -q "$LVM_VG" "$dev" >/dev/null
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
  if [ "$h" = "$LVM_HOST" ]; then
    program tgt "/usr/sbin/tgtd -f" true
    # tgtd ends on `tgtadm --op delete --mode system`, not on SIGTERM (systemd's unit runs that first)
    echo "stopsignal=KILL" >>/etc/supervisor/conf.d/tgt.conf
  fi
  case " ${GLUSTER_HOSTS[*]} " in *" $h "*)
    program glusterd "/usr/sbin/glusterd -N -p /run/glusterd.pid -l /var/log/glusterfs/glusterd.log --log-level INFO" true ;;
  esac
  if [ "$h" = "$NFS_HOST" ]; then
    program nfs-ganesha "/usr/bin/ganesha.nfsd -F -f /etc/ganesha/ganesha.conf -L /var/log/ganesha/ganesha.log -p /run/ganesha/ganesha.pid -N NIV_EVENT" false
  fi
  case " ${LIBVIRT_HOSTS[*]} " in *" $h "*) compute_programs ;; esac
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
