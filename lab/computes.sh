# The lab's computes, sourced by lab/lab.sh (it uses lab.sh's RUN, HOSTS, ADDR, SSH_ADDR and BASTION, host.sh's ns
# and lib.sh's die).
#
# LAB_COMPUTES=N (default 2, at most 30) computes: compute1..computeN, each a full compute (supervisord with
# libvirtd --listen and virtlogd, its own /dev/kvm node for group kvm, qemu.conf, a libvirtd.conf the program
# replaces; nova-compute comes from lab/openstack/nova.sh). compute2 sits behind compute1 (the bastion link below);
# compute3 and up are on the bridge and reachable directly:
#   compute1..9 10.77.0.21..29, compute10..30 10.77.0.50..70
# A running lab keeps its number in lab/run/computes, so `status`, `down` and the hosts' own init (which runs with a
# clean environment) see the lab's computes whatever LAB_COMPUTES says.

LAB_COMPUTES_MAX=30

compute_address() {
  local i=$1
  if [ "$i" -le 9 ]; then echo "10.77.0.$((20 + i))"; else echo "10.77.0.$((40 + i))"; fi
}

# The number of computes: the running (or half-stopped) lab's, else LAB_COMPUTES, else 2; a leftover namespace of a
# higher compute counts too, so `down` finds it.
compute_count() {
  local n=${LAB_COMPUTES:-2} ns_n
  if [ -f "$RUN/computes" ]; then n=$(cat "$RUN/computes"); fi
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ "$n" -le $LAB_COMPUTES_MAX ] ||
    die "LAB_COMPUTES=$n: the lab takes 2 to $LAB_COMPUTES_MAX computes (compute2 sits behind compute1)"
  ns_n=$(ip netns list 2>/dev/null | sed -n "s/^${NS_PREFIX}compute\([0-9]*\).*/\1/p" | sort -n | tail -1)
  if [ -n "$ns_n" ] && [ "$ns_n" -gt "$n" ] && [ "$ns_n" -le $LAB_COMPUTES_MAX ]; then n=$ns_n; fi
  echo "$n"
}

# Sets COMPUTES, LIBVIRT_HOSTS and HOSTS (controller, the computes, the storage hosts) and the computes' addresses.
set_computes() {
  local n=$1 i h
  COMPUTES=()
  for ((i = 1; i <= n; i++)); do
    h=compute$i
    COMPUTES+=("$h")
    ADDR[$h]=$(compute_address "$i")
    SSH_ADDR[$h]=${ADDR[$h]}
  done
  # compute2 sits behind a bastion, as many operators' hosts do: its sshd listens only on a private link to
  # compute1 (veth bst0, 10.78.0.0/30), which the machine has no route to, so SSH reaches it only through compute1.
  # Its services still use the bridge (10.77.0.22) for Ceph, NFS and the rest.
  SSH_ADDR[compute2]=10.78.0.2
  BASTION=([compute2]=compute1)
  LIBVIRT_HOSTS=("${COMPUTES[@]}")
  HOSTS=(controller "${COMPUTES[@]}" storage1 storage2)
}
BASTION_LINK=(compute1 10.78.0.1 compute2 10.78.0.2 30)

# In a compute's own mount namespace (from host_init): libvirt's directories, /dev/kvm, qemu.conf, libvirtd.conf.
compute_init() {
  local h=$1 d=$2
  mkdir -p /var/log/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu /etc/libvirt/secrets /run/libvirt
  # The machine's /dev/kvm is root-only (0600). libvirtd probes qemu as root (KVM works) but checks KVM as
  # the qemu user (it does not), so it drops its capabilities cache and re-probes qemu on every lookup: a
  # `virsh define` took 60 s. Here, as Debian's udev rule does, kvm's group may use it: a node of our own.
  if [ -c /dev/kvm ]; then
    rm -f "$d/kvm"
    mknod -m 0660 "$d/kvm" c "$((16#$(stat -c %t /dev/kvm)))" "$((16#$(stat -c %T /dev/kvm)))"
    chgrp kvm "$d/kvm"
    mount --bind "$d/kvm" /dev/kvm
  fi
  # Debian's qemu.conf comes with libvirt-daemon-system (not installed: its maintainer scripts add users
  # and services to the machine); name the user and group qemu runs as, as on Debian's hosts.
  printf '# lab host %s (written by lab/lab.sh)\nuser = "libvirt-qemu"\ngroup = "kvm"\n' "$h" \
    >/etc/libvirt/qemu.conf
  # libvirtd runs with --listen (as libvirtd-tls.socket would make it listen on a systemd host): no listener
  # until the program writes its libvirtd.conf, with listen_tls = 1 once the computes have their certificates
  # (the socket's group stands in for Debian's polkit rule for group libvirt: there is no polkitd here)
  printf '# lab host %s (written by lab/lab.sh; the program replaces it)\nlisten_tls = 0\nlisten_tcp = 0\n%s\n' \
    "$h" 'unix_sock_group = "libvirt"'$'\n''unix_sock_rw_perms = "0770"'$'\n''auth_unix_rw = "none"' \
    >/etc/libvirt/libvirtd.conf
}

# A compute's supervisord programs (the `program` helper of host.sh's write_service_programs).
compute_programs() {
  # nfs-statfs.so: libvirt sees the lab's fuse-nfs mounts as the NFS they stand in for (lab/nfs/README.md)
  program libvirtd "env LD_PRELOAD=/opt/openstack-storage-lab/lib/nfs-statfs.so /usr/sbin/libvirtd --listen --pid-file /run/libvirtd.pid" true
  # the qemu driver logs guests' consoles through virtlogd
  program virtlogd "/usr/sbin/virtlogd" true
}

# The private link between the bastion and the host behind it.
make_bastion_link() {
  local b=${BASTION_LINK[0]} ba=${BASTION_LINK[1]} t=${BASTION_LINK[2]} ta=${BASTION_LINK[3]} len=${BASTION_LINK[4]}
  ip -n "$(ns "$b")" link add bst0 type veth peer name bst0 netns "$(ns "$t")"
  ip -n "$(ns "$b")" addr add "$ba/$len" dev bst0
  ip -n "$(ns "$t")" addr add "$ta/$len" dev bst0
  ip -n "$(ns "$b")" link set bst0 up
  ip -n "$(ns "$t")" link set bst0 up
  # from the machine the link is unreachable, and answered so at once: nothing for it may leave the machine
  ip route replace unreachable "${ta%.*}.0/$len"
}
