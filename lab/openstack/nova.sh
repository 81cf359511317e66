# Nova, Placement and the Neutron API of the lab, sourced by lab/openstack/up.sh (it uses up.sh's put, track,
# program, pw, authtoken, log, die and wait_until).
#
# controller: placement-api (gunicorn :8778), nova-api (gunicorn :8774), nova-conductor, nova-scheduler and
#   neutron-api (gunicorn :9696; ML2 with no mechanism driver and no agent: servers boot with --nic none), their
#   settings in /etc/nova/nova.conf.d/lab.conf, /etc/placement/placement.conf and /etc/neutron/neutron.conf;
# computes: the real nova-compute (user nova, a member of libvirt), reading the program's /etc/nova/nova.conf and
#   /etc/nova/nova.conf.d/lab.conf: the lab's non-storage settings only (bus, keystone, placement, virt_type qemu:
#   there is no KVM here), with nova's rootwrap and a sudoers entry for its privsep helper.

NOVA_APIS="placement-api nova-api neutron-api"
NOVA_SERVICES="nova-conductor nova-scheduler"   # they need their keystone users at start: after bootstrap.py
COMPUTES=$(jq -r '.hosts | keys[] | select(startswith("compute"))' "$LAB/run/lab.json")

# [DEFAULT] and the service-to-service sections every nova service reads; $1 is the host's own address.
nova_common() {
  cat <<EOF
# lab/openstack/nova.sh: the lab's non-storage settings of nova. The storage settings of a compute are in
# /etc/nova/nova.conf, which the program (pulumi up) owns.
[DEFAULT]
transport_url = $TRANSPORT
my_ip = $1
state_path = /var/lib/nova
rootwrap_config = /etc/nova/rootwrap.conf

[oslo_concurrency]
lock_path = /var/lib/nova/tmp

[service_user]
send_service_user_token = true
EOF
  creds service_user nova "$(pw NOVA)" | tail -n +2
  echo; creds placement nova "$(pw NOVA)"
  echo; creds neutron nova "$(pw NOVA)"
  echo; creds cinder nova "$(pw NOVA)"
}

nova_controller_conf() {
  nova_common "$ADDR"
  cat <<EOF

[api]
auth_strategy = keystone

[api_database]
connection = mysql+pymysql://nova:$(pw DB_NOVA)@$ADDR/nova_api

[database]
connection = mysql+pymysql://nova:$(pw DB_NOVA)@$ADDR/nova

[wsgi]
api_paste_config = $VENV/etc/nova/api-paste.ini

[conductor]
workers = 1

[scheduler]
workers = 1
# computes that register (a new lab, or after the program's first converge) are mapped to cell1 within 10 s
discover_hosts_in_cells_interval = 10

EOF
  authtoken nova "$(pw NOVA)"
}

nova_compute_conf() {
  nova_common "$1" | sed '/^\[DEFAULT\]$/a compute_driver = libvirt.LibvirtDriver'
  cat <<EOF

[libvirt]
# TCG: the lab's hosts have no /dev/kvm
virt_type = qemu

[vnc]
enabled = false
EOF
}

placement_conf() {
  cat <<EOF
# lab/openstack/nova.sh
[api]
auth_strategy = keystone

[placement_database]
connection = mysql+pymysql://placement:$(pw DB_PLACEMENT)@$ADDR/placement

EOF
  authtoken placement "$(pw PLACEMENT)"
}

neutron_conf() {
  cat <<EOF
# lab/openstack/nova.sh: the Neutron API only. ML2 without mechanism drivers or agents: the lab's servers have
# no ports (--nic none); nova asks neutron for them all the same.
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $TRANSPORT
state_path = /var/lib/neutron
api_paste_config = $VENV/etc/neutron/api-paste.ini
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false

[database]
connection = mysql+pymysql://neutron:$(pw DB_NEUTRON)@$ADDR/neutron

[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =

[oslo_concurrency]
lock_path = /var/lib/neutron/tmp

EOF
  authtoken neutron "$(pw NEUTRON)"
}

# nova-compute's root helper is `sudo nova-rootwrap /etc/nova/rootwrap.conf`, as cinder's (see up.sh)
rootwrap_files() { # on $ON; PROGS to restart when they change
  track "$1" /etc/nova/rootwrap.conf 644 root:root <<EOF
# lab/openstack/nova.sh (the venv's rootwrap.conf, with the venv's bin in exec_dirs)
[DEFAULT]
filters_path = /etc/nova/rootwrap.d
exec_dirs = $BIN,/sbin,/usr/sbin,/bin,/usr/bin,/usr/local/bin,/usr/local/sbin
use_syslog = False
EOF
  track "$1" /etc/nova/rootwrap.d/compute.filters 644 root:root <"$VENV/etc/nova/rootwrap.d/compute.filters"
  put /etc/sudoers.d/nova-rootwrap 440 root:root >/dev/null <<EOF
# lab/openstack/nova.sh
Defaults:nova !requiretty
Defaults:nova secure_path="$SVPATH"
nova ALL = (root) NOPASSWD: $BIN/nova-rootwrap /etc/nova/rootwrap.conf *
EOF
  "$LAB/exec.sh" "$ON" visudo -cq -f /etc/sudoers.d/nova-rootwrap || die "$ON: sudoers file rejected"
}

nova_dirs() { # on host $1: users, directories
  "$LAB/exec.sh" "$1" bash -euc '
    for u in nova placement neutron; do
      getent group "$u" >/dev/null || groupadd -r "$u"
      getent passwd "$u" >/dev/null || useradd -r -g "$u" -d "/var/lib/$u" -s /usr/sbin/nologin -c "lab $u" "$u"
    done
    # 0755 as Debian'"'"'s nova-common makes it: qemu reaches the volumes nova mounts under /var/lib/nova/mnt
    install -d -m 0755 -o nova -g nova /var/lib/nova
    install -d -m 0750 -o nova -g nova /var/lib/nova/tmp
    install -d -m 0755 -o nova -g nova /var/lib/nova/instances /var/log/nova
    install -d -m 0750 -o neutron -g neutron /var/lib/neutron /var/lib/neutron/tmp /etc/neutron
    install -d -m 0755 -o neutron -g neutron /var/log/neutron
    install -d -m 0750 -o placement -g placement /var/lib/placement /etc/placement
    install -d -m 0755 -o placement -g placement /var/log/placement
    install -d -m 0755 /etc/nova /etc/nova/nova.conf.d /etc/nova/rootwrap.d'
}

# The controller's files and programs (before the databases are synced and the programs converge).
nova_controller() {
  nova_dirs controller
  ON=controller
  track "nova-api nova-conductor nova-scheduler" /etc/nova/nova.conf.d/lab.conf 640 root:nova \
    < <(nova_controller_conf)
  track placement-api /etc/placement/placement.conf 640 root:placement < <(placement_conf)
  track neutron-api /etc/neutron/neutron.conf 640 root:neutron < <(neutron_conf)
  # nova-api reads its paste file from the venv (OS_NOVA_CONFIG_*) and its settings from nova.conf.d
  track nova-api /var/lib/openstack-lab/wsgi/nova_wsgi.py 644 root:root <<EOF
# lab/openstack/nova.sh: nova-api's WSGI app for gunicorn (nova parses sys.argv; prog names its conf.d)
import os, sys
sys.argv = ["nova-api"]
os.environ["OS_NOVA_CONFIG_DIR"] = "$VENV/etc/nova"
os.environ["OS_NOVA_CONFIG_FILES"] = "api-paste.ini"
from nova.wsgi.osapi_compute import application  # noqa: E402,F401
EOF
  track placement-api /var/lib/openstack-lab/wsgi/placement_wsgi.py 644 root:root <<'EOF'
# lab/openstack/nova.sh: placement's WSGI app for gunicorn (its settings: /etc/placement/placement.conf)
import os, sys
sys.argv = ["placement-api"]
os.environ["OS_PLACEMENT_CONFIG_DIR"] = "/etc/placement"
from placement.wsgi.api import application  # noqa: E402,F401
EOF
  track neutron-api /var/lib/openstack-lab/wsgi/neutron_wsgi.py 644 root:root <<'EOF'
# lab/openstack/nova.sh: the Neutron API's WSGI app for gunicorn (neutron reads sys.argv for its config files)
import sys
sys.argv = ["neutron-api", "--config-file", "/etc/neutron/neutron.conf"]
from neutron.wsgi.api import application  # noqa: E402,F401
# The port model's port_forwardings backref exists only once SQLAlchemy has configured the mappers, which
# nothing here does before the first GET /v2.0/ports (AttributeError: type object 'Port' has no attribute
# 'port_forwardings', a 500 to nova's server create).
from sqlalchemy import orm  # noqa: E402
orm.configure_mappers()
EOF
  program placement-api placement 40 20 "$(gunicorn placement-api 8778 placement_wsgi:application)"
  program nova-api nova 45 20 "$(gunicorn nova-api 8774 nova_wsgi:application)"
  program neutron-api neutron 45 20 "$(gunicorn neutron-api 9696 neutron_wsgi:application)"
  program nova-conductor nova 50 20 "$BIN/nova-conductor"
  program nova-scheduler nova 50 20 "$BIN/nova-scheduler"
  ON=
}

# Databases (user: database...) and their syncs, run by up.sh beside keystone's, glance's and cinder's. A sync
# that succeeded is not repeated for the same lock (the three take 20-40 s even when there is nothing to do).
NOVA_DBS="nova:nova_api,nova,nova_cell0 placement:placement neutron:neutron"
LOCK_SUM=$(sha256sum "$HERE/requirements.txt" | cut -c1-16)
once() { # once NAME CMD...: CMD unless the controller's stamp says NAME was synced with this lock
  local stamp=/var/lib/openstack-lab/synced-$1
  [ "$($HX cat "$stamp" 2>/dev/null)" = "$LOCK_SUM" ] && { echo "$1: synced before"; return 0; }
  "${@:2}" && echo "$LOCK_SUM" | $HX tee "$stamp" >/dev/null
}
nova_db_sync() {
  local nm=(runuser -u nova -- "$BIN/nova-manage")
  $HX "${nm[@]}" api_db sync &&
  # cell0 and cell1 once (map_cell0 and create_cell refuse a second run with a different answer)
  { $HX "${nm[@]}" cell_v2 list_cells | grep -q ' cell0 ' ||
    $HX "${nm[@]}" cell_v2 map_cell0; } &&   # nova_cell0: [database] connection's name + _cell0, no password on argv
  { $HX "${nm[@]}" cell_v2 list_cells | grep -q ' cell1 ' || $HX "${nm[@]}" cell_v2 create_cell --name cell1; } &&
  $HX "${nm[@]}" db sync
}
placement_db_sync() { $HX runuser -u placement -- "$BIN/placement-manage" db sync; }
neutron_db_sync() {
  $HX runuser -u neutron -- "$BIN/neutron-db-manage" --config-file /etc/neutron/neutron.conf upgrade heads
}

# The computes: files, then nova-compute started, or restarted when its lab.conf or definition changed.
nova_computes() {
  local h addr
  for h in $COMPUTES; do
    addr=$(jq -r ".hosts.$h.service_address" "$LAB/run/lab.json")
    nova_dirs "$h"
    ON=$h
    RESTART=() DEFCHANGED=()
    track nova-compute /etc/nova/nova.conf.d/lab.conf 640 root:nova < <(nova_compute_conf "$addr")
    rootwrap_files nova-compute
    # nova 34's nova-compute logs "graceful shutdown started" on SIGTERM and had not exited after 30 s in the
    # lab (supervisord then SIGKILLs it): 10 s is what the program's restart of it waits here
    program nova-compute nova 50 10 "$BIN/nova-compute"
    "$LAB/exec.sh" "$h" supervisorctl update nova-compute >/dev/null
    if [ -n "${RESTART[nova-compute]:-}" ] && [ -z "${DEFCHANGED[nova-compute]:-}" ]; then
      log "$h: restarting nova-compute (lab.conf changed)"
      "$LAB/exec.sh" "$h" supervisorctl restart nova-compute >/dev/null || true
    fi
    "$LAB/exec.sh" "$h" supervisorctl start nova-compute >/dev/null 2>&1 || true
  done
  ON= RESTART=() DEFCHANGED=()
}

# Both computes up in nova and mapped to cell1 (discover_hosts is idempotent).
computes_up() {
  local n
  n=$(OS_CLOUD=lab-admin timeout 30 "$BIN/openstack" compute service list --service nova-compute -f value \
        -c Host -c State | awk '$2 == "up"' | wc -l)
  [ "$n" -ge "$(wc -w <<<"$COMPUTES")" ]
}
hypervisors_up() {
  local n
  n=$(OS_CLOUD=lab-admin timeout 30 "$BIN/openstack" hypervisor list -f value -c State | grep -c '^up$')
  [ "$n" -ge "$(wc -w <<<"$COMPUTES")" ]
}
nova_ready() {
  wait_until "nova-compute on $(echo $COMPUTES) (compute service list)" 60 2 computes_up
  $HX runuser -u nova -- "$BIN/nova-manage" cell_v2 discover_hosts >/dev/null
  wait_until "hypervisors $(echo $COMPUTES)" 30 2 hypervisors_up
}
