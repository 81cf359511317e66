#!/usr/bin/env bash
# Real OpenStack services on the lab controller, on the storage configs the program rendered.
#
# Needs: a running lab (bash lab/lab.sh up) and lab/openstack/install.sh. Runs before the program's first
# `pulumi up --stack lab` (which writes /etc/ceph/*, /etc/cinder/cinder.conf and /etc/glance/glance-api.conf and
# restarts the services that read them) as well as after it.
#
# Writes inside the controller (never cinder.conf / glance-api.conf, which are the program's):
#   /etc/cinder/cinder.conf.d/lab.conf, /etc/glance/glance-api.conf.d/lab.conf  (0640 root:SERVICE; the non-storage
#       settings: database, keystone_authtoken, transport_url, lock_path, ... oslo.config reads them after the
#       main file by its built-in default, see README.md)
#   /etc/keystone/keystone.conf, /etc/rabbitmq/{rabbitmq.conf,definitions.json}, cinder's rootwrap + sudoers
#   /var/lib/openstack-lab/wsgi/*.py     WSGI entry files (keystone and cinder read sys.argv when they load)
#   /etc/supervisor/conf.d/*.conf        epmd, rabbitmq, keystone, glance-api, cinder-api, cinder-scheduler,
#                                        cinder-volume, cinder-backup (the last three replace lab.sh's placeholders)
# then starts MariaDB and RabbitMQ, creates and syncs the dbs, bootstraps keystone, starts or restarts the programs, waits (bounded) until the
# APIs answer and cinder-volume@ceph reports up, and writes lab/run/openstack/{clouds.yaml,openrc} (0600).
# Passwords are generated once per lab into lab/run/openstack/passwords (0600) and go to files and stdin only.
# Re-running changes nothing and restarts nothing when nothing changed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$(dirname "$HERE")
VENV=${OS_VENV:-/opt/openstack-storage-lab/openstack-venv}
RUN=$LAB/run/openstack
HX="$LAB/exec.sh controller"
START=$(date +%s.%N)
elapsed() { awk -v s="${1:-$START}" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
log() { echo "openstack up [$(elapsed) s]: $*"; }
die() { echo "openstack up: $*" >&2; exit 1; }

# --- preflight ------------------------------------------------------------------------------------------
[ -f "$LAB/run/lab.json" ] || die "the lab is not up (bash lab/lab.sh up)"
[ -f "$VENV/.installed" ] || die "no venv at $VENV (bash lab/openstack/install.sh)"
ADDR=$(jq -r .hosts.controller.address "$LAB/run/lab.json")
$HX true || die "cannot enter the controller"
# Before the program's first converge, glance-api, cinder-volume and cinder-backup run without their storage
# settings; `pulumi up` writes them and restarts those services. Waits that need them are skipped until then.
CONVERGED=0
$HX test -f /etc/cinder/cinder.conf -a -f /etc/glance/glance-api.conf && CONVERGED=1
PY=$VENV/bin/python
BIN=$VENV/bin
SVPATH="$BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SCHED_INIT_WAIT=10

# --- secrets (machine side, lab/run/openstack, 0600) ----------------------------------------------------------
mkdir -p "$RUN"; chmod 0700 "$RUN"
if [ ! -s "$RUN/passwords" ]; then
  (umask 077; : >"$RUN/passwords")
fi
# one per key, added when missing (a lab made before a key existed keeps the others)
for k in ADMIN CINDER GLANCE NOVA PLACEMENT NEUTRON RABBIT DB_KEYSTONE DB_GLANCE DB_CINDER DB_NOVA DB_PLACEMENT \
         DB_NEUTRON; do
  grep -q "^$k=" "$RUN/passwords" || "$PY" -c 'import secrets, sys; print(f"{sys.argv[1]}={secrets.token_hex(16)}")' "$k" >>"$RUN/passwords"
done
if [ ! -s "$RUN/erlang.cookie" ]; then
  (umask 077; "$PY" -c 'import secrets, string; a = string.ascii_uppercase
print("".join(secrets.choice(a) for _ in range(20)), end="")' >"$RUN/erlang.cookie")
fi
chmod 0600 "$RUN/passwords" "$RUN/erlang.cookie"
pw() { sed -n "s/^$1=//p" "$RUN/passwords"; }

# --- users and directories in the controller ----------------------------------------------------------------
$HX bash -euc '
  for u in keystone rabbitmq mysql; do
    getent group "$u" >/dev/null || groupadd -r "$u"
    getent passwd "$u" >/dev/null || useradd -r -g "$u" -d "/var/lib/$u" -s /usr/sbin/nologin -c "lab $u" "$u"
  done
  install -d -m 0755 /var/lib/openstack-lab /var/lib/openstack-lab/wsgi
  install -d -m 0750 -o keystone -g keystone /var/lib/keystone /etc/keystone
  install -d -m 0750 -o glance -g glance /var/lib/glance /var/lib/glance/staging /var/lib/glance/tasks /var/lib/glance/tmp
  install -d -m 0750 -o cinder -g cinder /var/lib/cinder /var/lib/cinder/tmp
  install -d -m 0755 /etc/cinder/cinder.conf.d /etc/glance/glance-api.conf.d /etc/cinder/rootwrap.d
  install -d -m 0755 /var/log/keystone /var/log/glance /var/log/cinder /var/log/rabbitmq
  install -d -m 0750 -o mysql -g mysql /var/lib/openstack-lab/mysql /var/log/mariadb
  install -d -m 0755 -o mysql -g mysql /run/mysqld
  if [ ! -d /var/lib/openstack-lab/mysql/mysql ]; then
    mariadb-install-db --no-defaults --user=mysql --datadir=/var/lib/openstack-lab/mysql \
      --auth-root-authentication-method=socket --skip-test-db >/var/log/mariadb/install-db.log 2>&1
  fi
  install -d -m 0755 -o root -g rabbitmq /etc/rabbitmq
  # The package made /var/lib/rabbitmq on the machine (the /var overlay shows it here) for the machine'"'"'s
  # rabbitmq uid, which need not be this host'"'"'s: own it by this host'"'"'s rabbitmq.
  install -d -m 0750 -o rabbitmq -g rabbitmq /var/lib/rabbitmq
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
'

# put PATH MODE OWNER:GROUP < content: writes the file on host $ON (default: the controller) only when content,
# mode or owner differ. Prints "changed" or "same".
put() {
  "$LAB/exec.sh" "${ON:-controller}" bash -euc '
    f=$1 mode=$2 own=$3
    tmp=$(mktemp "$f.XXXXXX"); cat >"$tmp"
    if [ -f "$f" ] && cmp -s "$tmp" "$f" && [ "$(stat -c %a:%U:%G "$f")" = "$mode:$own" ]; then
      rm -f "$tmp"; echo same; exit 0
    fi
    chown "$own" "$tmp"; chmod "$mode" "$tmp"; mv -f "$tmp" "$f"; echo changed' put "$@"
}
declare -A RESTART=()   # programs whose (non-supervisord) config changed
declare -A DEFCHANGED=() # programs whose supervisord definition changed (supervisorctl update restarts them)
track() { # track "PROG..." < content ; PATH MODE OWNER
  local progs=$1; shift
  if [ "$(put "$@")" = changed ]; then
    log "wrote ${ON:-controller}:$1"
    for p in $progs; do RESTART[$p]=1; done
  fi
}

# --- RabbitMQ ----------------------------------------------------------------------------------------------
track rabbitmq /var/lib/rabbitmq/.erlang.cookie 400 rabbitmq:rabbitmq <"$RUN/erlang.cookie"
track rabbitmq /etc/rabbitmq/rabbitmq.conf 640 root:rabbitmq <<EOF
# lab/openstack/up.sh: the message bus of the lab's cinder services.
listeners.tcp.1 = $ADDR:5672
listeners.tcp.2 = 127.0.0.1:5672
load_definitions = /etc/rabbitmq/definitions.json
EOF
# The user goes in as a password hash in a definitions file loaded at boot: rabbitmqctl add_user would need
# the password on its command line. The hash is RabbitMQ's sha256 scheme: base64(salt4 + sha256(salt4 + pw)).
# It has a fresh salt every run, so it is only rewritten when the file does not hold this password's hash.
defs=$(OLD_DEFS=$($HX cat /etc/rabbitmq/definitions.json 2>/dev/null || true) RABBIT_PW=$(pw RABBIT) "$PY" - <<'EOF'
import base64, hashlib, json, os
pw = os.environ["RABBIT_PW"].encode()
def ok(h):
    raw = base64.b64decode(h)
    return hashlib.sha256(raw[:4] + pw).digest() == raw[4:]
try:
    old = json.loads(os.environ["OLD_DEFS"])
    h = old["users"][0]["password_hash"]
    assert ok(h)
except Exception:
    salt = os.urandom(4)
    h = base64.b64encode(salt + hashlib.sha256(salt + pw).digest()).decode()
print(json.dumps({
    "users": [{"name": "openstack", "password_hash": h, "hashing_algorithm": "rabbit_password_hashing_sha256",
               "tags": []}],
    "vhosts": [{"name": "/"}],
    "permissions": [{"user": "openstack", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}],
}, indent=1))
EOF
)
track rabbitmq /etc/rabbitmq/definitions.json 640 root:rabbitmq <<<"$defs"
TRANSPORT="rabbit://openstack:$(pw RABBIT)@$ADDR:5672/"

# --- Keystone ------------------------------------------------------------------------------------------------
track keystone /etc/keystone/keystone.conf 640 root:keystone <<EOF
# lab/openstack/up.sh
[database]
connection = mysql+pymysql://keystone:$(pw DB_KEYSTONE)@$ADDR/keystone

[token]
provider = fernet
EOF

# keystonemiddleware's settings, shared by every API (the user differs)
# service-user credentials for one [section] (keystoneauth's password plugin, project service)
creds() { cat <<EOF
[$1]
auth_url = http://$ADDR:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $3
EOF
}

authtoken() {
  printf '[keystone_authtoken]\nwww_authenticate_uri = http://%s:5000\n' "$ADDR"
  creds keystone_authtoken "$1" "$2" | tail -n +2
  echo "service_token_roles_required = true"
}

# --- Glance ---------------------------------------------------------------------------------------------------
glance_conf() {
  cat <<EOF
# lab/openstack/up.sh: the lab's non-storage settings of glance-api. The storage settings are in
# /etc/glance/glance-api.conf, which the program (pulumi up) owns.
[DEFAULT]
worker_self_reference_url = http://$ADDR:9292

[database]
connection = mysql+pymysql://glance:$(pw DB_GLANCE)@$ADDR/glance

EOF
  authtoken glance "$(pw GLANCE)"
  cat <<EOF

[paste_deploy]
flavor = keystone
config_file = $VENV/etc/glance/glance-api-paste.ini

[oslo_concurrency]
lock_path = /var/lib/glance/tmp

[os_glance_staging_store]
filesystem_store_datadir = /var/lib/glance/staging

[os_glance_tasks_store]
filesystem_store_datadir = /var/lib/glance/tasks
EOF
}
# (track reads a process substitution, not a pipe: a pipe would run it in a subshell and lose RESTART)
track glance-api /etc/glance/glance-api.conf.d/lab.conf 640 root:glance < <(glance_conf)

# --- Cinder ---------------------------------------------------------------------------------------------------
CINDER_PROGS="cinder-api cinder-scheduler cinder-volume cinder-backup"
cinder_conf() {
  cat <<EOF
# lab/openstack/up.sh: the lab's non-storage settings of the cinder services. The storage settings are in
# /etc/cinder/cinder.conf, which the program (pulumi up) owns.
[DEFAULT]
transport_url = $TRANSPORT
auth_strategy = keystone
my_ip = $ADDR
state_path = /var/lib/cinder
api_paste_config = $VENV/etc/cinder/api-paste.ini
rootwrap_config = /etc/cinder/rootwrap.conf
# Without it the API answers 400 "Invalid filters name are found in query options" to a non-admin's
# list-by-name (openstack volume show NAME): the default /etc/cinder/resource_filters.json does not exist.
resource_query_filters_file = $VENV/etc/cinder/resource_filters.json
# cinder-backup publishes backend_state=False at its start (its driver check runs after that first publish),
# and the scheduler refuses every backup with "Service not found for creating backup." (ServiceNotFound) until
# the next publish: a periodic task of spacing backup_driver_stats_polling_interval (60 s), run on the ticks of
# periodic_interval (60 s) after a random first delay of up to periodic_fuzzy_delay (60 s). These three bring
# that window down to about 10 s (the volume services' periodic tasks tick every 10 s as well).
backup_driver_stats_polling_interval = 10
periodic_interval = 10
periodic_fuzzy_delay = 0
# cinder-scheduler holds every request after its start until ALL volume backends have reported capabilities,
# or this many seconds (default 60) have passed. The gluster and nfs backends never report here (no kernel NFS
# client), so every scheduler start would stall scheduling for the full 60 s.
scheduler_driver_init_wait_time = $SCHED_INIT_WAIT

[database]
connection = mysql+pymysql://cinder:$(pw DB_CINDER)@$ADDR/cinder

EOF
  authtoken cinder "$(pw CINDER)"
  echo; echo "[service_user]"; echo "send_service_user_token = true"
  creds service_user cinder "$(pw CINDER)" | tail -n +2
  cat <<EOF

# Service-to-service auth for glance's GET /v2/images/ID/locations (policy: service role). Without it a
# non-admin's volume-from-image logs "Glance method get_image_locations is available but a dedicated [glance]
# section is required ..." (HTTP 403) and falls back to the image's direct_url.
EOF
  creds glance cinder "$(pw CINDER)"
  cat <<EOF

[oslo_concurrency]
lock_path = /var/lib/cinder/tmp
EOF
}
track "$CINDER_PROGS" /etc/cinder/cinder.conf.d/lab.conf 640 root:cinder < <(cinder_conf)

# cinder's root_helper is the fixed 'sudo cinder-rootwrap <rootwrap_config>': sudo must find cinder-rootwrap
# in the venv (secure_path), and rootwrap must find privsep-helper there (exec_dirs).
track "cinder-volume cinder-backup" /etc/cinder/rootwrap.conf 644 root:root <<EOF
# lab/openstack/up.sh (the venv's rootwrap.conf, with the venv's bin in exec_dirs)
[DEFAULT]
filters_path = /etc/cinder/rootwrap.d
exec_dirs = $BIN,/sbin,/usr/sbin,/bin,/usr/bin,/usr/local/bin,/usr/local/sbin
use_syslog = False
daemon_timeout = 600
rlimit_nofile = 1024
EOF
track "cinder-volume cinder-backup" /etc/cinder/rootwrap.d/volume.filters 644 root:root \
  <"$VENV/etc/cinder/rootwrap.d/volume.filters"
put /etc/sudoers.d/cinder-rootwrap 440 root:root >/dev/null <<EOF
# lab/openstack/up.sh
Defaults:cinder !requiretty
Defaults:cinder secure_path="$SVPATH"
cinder ALL = (root) NOPASSWD: $BIN/cinder-rootwrap /etc/cinder/rootwrap.conf *
EOF
$HX visudo -cq -f /etc/sudoers.d/cinder-rootwrap || die "sudoers file rejected"

# --- WSGI entry files: keystone and cinder parse sys.argv (gunicorn's own arguments) when they load ------------------
track keystone /var/lib/openstack-lab/wsgi/keystone_wsgi.py 644 root:root <<'EOF'
# lab/openstack/up.sh: keystone's WSGI app for gunicorn. keystone parses sys.argv[1:] as its own options.
import sys
sys.argv = ["keystone-wsgi-public"]
from keystone.wsgi.api import application  # noqa: E402,F401
EOF
track cinder-api /var/lib/openstack-lab/wsgi/cinder_wsgi.py 644 root:root <<'EOF'
# lab/openstack/up.sh: cinder-api's WSGI app for gunicorn. cinder parses sys.argv[1:] as its own options, and
# prog (argv[0]) names the conf.d it reads: /etc/cinder/cinder.conf.d and /etc/cinder/cinder-api.conf.d.
import sys
sys.argv = ["cinder-api"]
from cinder.wsgi.api import application  # noqa: E402,F401
EOF
track glance-api /var/lib/openstack-lab/wsgi/glance_wsgi.py 644 root:root <<'EOF'
# lab/openstack/up.sh: glance-api's WSGI app for gunicorn (glance.wsgi.api passes prog='glance-api' itself, so
# /etc/glance/glance-api.conf.d is read; argv is reset only so that nothing sees gunicorn's arguments).
import sys
sys.argv = ["glance-api"]
from glance.wsgi.api import application  # noqa: E402,F401
EOF

# --- supervisord programs ------------------------------------------------------------------------------------------
# program NAME USER PRIORITY STOPWAIT COMMAND...
program() {
  local name=$1 user=$2 prio=$3 stopwait=$4; shift 4
  local home=/var/lib/${user}
  case $user in rabbitmq) home=/var/lib/rabbitmq ;; esac
  local logdir=/var/log/${name%%-*}
  [ "$name" = epmd ] && logdir=/var/log/rabbitmq
  local extra_env=
  [ "$name" = rabbitmq ] && extra_env=',RABBITMQ_LOGS="-"'
  local r
  r=$(put "/etc/supervisor/conf.d/$name.conf" 644 root:root <<EOF
; lab/openstack/up.sh: the real $name of this lab host.
[program:$name]
command=$*
user=$user
directory=$home
environment=HOME="$home",USER="$user",PATH="$SVPATH",PYTHONNOUSERSITE="1",LANG="C.UTF-8"$extra_env
priority=$prio
autostart=true
autorestart=true
startsecs=3
startretries=3
stopsignal=TERM
stopwaitsecs=$stopwait
stopasgroup=true
killasgroup=true
stdout_logfile=$logdir/$name.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=2
redirect_stderr=true
EOF
)
  if [ "$r" = changed ]; then log "wrote ${ON:-controller}:/etc/supervisor/conf.d/$name.conf"; DEFCHANGED[$name]=1; fi
}
gunicorn() { # gunicorn NAME PORT MODULE
  echo "$BIN/gunicorn --name $1 --bind $ADDR:$2 --workers 1 --threads 4 --timeout 300 --graceful-timeout 10" \
       "--chdir /var/lib/openstack-lab/wsgi $3"
}
program epmd rabbitmq 10 10 /usr/bin/epmd
program rabbitmq rabbitmq 20 60 /usr/lib/rabbitmq/bin/rabbitmq-server
# MariaDB from Debian, its data in the controller's own datadir (made below), on the controller's address
program mariadb mysql 15 60 /usr/sbin/mariadbd --no-defaults --datadir=/var/lib/openstack-lab/mysql \
  --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid --bind-address="$ADDR" --port=3306 \
  --skip-name-resolve --innodb-buffer-pool-size=64M --log-error=/var/log/mariadb/error.log
program keystone keystone 30 20 "$(gunicorn keystone 5000 keystone_wsgi:application)"
program glance-api glance 40 20 "$(gunicorn glance-api 9292 glance_wsgi:application)"
program cinder-api cinder 40 20 "$(gunicorn cinder-api 8776 cinder_wsgi:application)"
program cinder-scheduler cinder 50 20 "$BIN/cinder-scheduler"
program cinder-volume cinder 50 30 "$BIN/cinder-volume"
program cinder-backup cinder 50 30 "$BIN/cinder-backup"
. "$HERE/nova.sh"
nova_controller

# wait_until WHAT TRIES INTERVAL CMD...: bounded in count, and in time because every probe has its own timeout.
wait_until() {
  local what=$1 tries=$2 interval=$3 i; shift 3
  for ((i = 1; i <= tries; i++)); do
    if "$@" >/dev/null 2>&1; then log "$what ready"; return 0; fi
    sleep "$interval"
  done
  $HX supervisorctl status || true
  die "$what not ready after $tries tries (logs: lab/run/hosts/controller/var.upper/log/)"
}
http_ok() { timeout 10 "$PY" -c 'import sys, urllib.request as u
try:
    r = u.urlopen(sys.argv[1], timeout=5); sys.exit(0)
except u.HTTPError as e:
    sys.exit(0 if e.code in (300, 401) else 1)' "$1"; }
port_ok() { timeout 10 "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)' "$@"; }

# --- start / restart ------------------------------------------------------------------------------------------------
# RabbitMQ first, so that the cinder services connect at once (their reconnect backoff grows to 15 s and more),
# then the rest. `supervisorctl update NAMES` adds new programs and stops + starts those whose definition
# changed (the placeholders); a program whose own config files changed is restarted.
declare -A RESTARTED=() STARTED_AT=()
converge() {
  local p todo=()
  $HX supervisorctl update "$@"
  local t; t=$(date +%s)   # the programs (re)started by now (a conservative start time for the waits below)
  for p in "$@"; do
    if [ -n "${DEFCHANGED[$p]:-}" ]; then RESTARTED[$p]=1; STARTED_AT[$p]=$t; fi
    if [ -n "${RESTART[$p]:-}" ] && [ -z "${DEFCHANGED[$p]:-}" ]; then todo+=("$p"); fi
  done
  if [ ${#todo[@]} -gt 0 ]; then
    log "restarting ${todo[*]} (config changed)"
    # stopped side by side (one `supervisorctl restart A B` stops them one after the other, and cinder-backup
    # alone takes about 10 s to stop)
    local pids=() q
    for q in "${todo[@]}"; do $HX supervisorctl stop "$q" & pids+=($!); done
    wait "${pids[@]}" || true
    pids=()   # and started side by side too: `supervisorctl start A B` waits startsecs (3 s) for each in turn
    for q in "${todo[@]}"; do $HX supervisorctl start "$q" & pids+=($!); done
    wait "${pids[@]}" || true
    t=$(date +%s)
    for p in "${todo[@]}"; do RESTARTED[$p]=1; STARTED_AT[$p]=$t; done
  fi
  $HX supervisorctl start "$@" >/dev/null || true   # anything stopped or FATAL
}
T=$(date +%s.%N)
converge epmd rabbitmq mariadb
wait_until "mariadb :3306" 60 1 port_ok "$ADDR" 3306
# databases and their users, as SQL on stdin (the passwords never reach a command line)
for ud in keystone:keystone glance:glance cinder:cinder $NOVA_DBS; do  # user:database,...
  u=${ud%%:*} dbs=${ud#*:}
  echo "CREATE USER IF NOT EXISTS '$u'@'%' IDENTIFIED BY '$(pw "DB_${u^^}")';
        ALTER USER '$u'@'%' IDENTIFIED BY '$(pw "DB_${u^^}")';"
  for d in ${dbs//,/ }; do
    echo "CREATE DATABASE IF NOT EXISTS $d; GRANT ALL PRIVILEGES ON $d.* TO '$u'@'%';"
  done
done | $HX mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -u root
# --- databases and keystone bootstrap (before the services start) -------------------------------------------------
# The three projects side by side (7-8 s on 2 cores; about 9-10 s one after the other); their chatter goes to
# lab/run/openstack/db-*.log.
T=$(date +%s.%N)
db_keystone() { # chained with &&: set -e does not apply inside a function whose status is tested
  $HX runuser -u keystone -- "$BIN/keystone-manage" db_sync &&
  $HX "$BIN/keystone-manage" fernet_setup --keystone-user keystone --keystone-group keystone &&
  $HX "$BIN/keystone-manage" credential_setup --keystone-user keystone --keystone-group keystone &&
  pw ADMIN | $HX bash -c 'OS_BOOTSTRAP_PASSWORD=$(cat) exec runuser -u keystone -- "$@"' boot \
    "$BIN/keystone-manage" bootstrap --bootstrap-username admin --bootstrap-project-name admin \
    --bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "http://$ADDR:5000/v3" --bootstrap-public-url "http://$ADDR:5000/v3" \
    --bootstrap-internal-url "http://$ADDR:5000/v3"
}
db_keystone >"$RUN/db-keystone.log" 2>&1 & j1=$!
$HX runuser -u glance -- "$BIN/glance-manage" db_sync >"$RUN/db-glance.log" 2>&1 & j2=$!
$HX runuser -u cinder -- "$BIN/cinder-manage" db sync >"$RUN/db-cinder.log" 2>&1 & j3=$!
once nova nova_db_sync >"$RUN/db-nova.log" 2>&1 & j4=$!
once placement placement_db_sync >"$RUN/db-placement.log" 2>&1 & j5=$!
once neutron neutron_db_sync >"$RUN/db-neutron.log" 2>&1 & j6=$!
for j in "$j1:keystone" "$j2:glance" "$j3:cinder" "$j4:nova" "$j5:placement" "$j6:neutron"; do
  wait "${j%%:*}" || { tail -30 "$RUN/db-${j#*:}.log"; die "${j#*:} db sync failed (log: $RUN/db-${j#*:}.log)"; }
done
log "dbs synced, keystone bootstrapped ($(elapsed "$T") s)"

wait_until "rabbitmq :5672" 60 1 port_ok "$ADDR" 5672
converge keystone glance-api cinder-api cinder-scheduler cinder-volume cinder-backup $NOVA_APIS
wait_until "keystone :5000" 60 1 http_ok "http://$ADDR:5000/v3"
wait_until "placement-api :8778" 60 1 http_ok "http://$ADDR:8778/"
wait_until "nova-api :8774" 60 1 http_ok "http://$ADDR:8774/"
wait_until "neutron-api :9696" 60 1 http_ok "http://$ADDR:9696/"
[ "$CONVERGED" = 0 ] || wait_until "glance-api :9292" 60 1 http_ok "http://$ADDR:9292/"
wait_until "cinder-api :8776" 60 1 http_ok "http://$ADDR:8776/"

# --- client config (0600) and keystone's service side ------------------------------------------------------------------
(umask 077
 cat >"$RUN/clouds.yaml" <<EOF
# lab/openstack/up.sh: OS_CLIENT_CONFIG_FILE=$RUN/clouds.yaml OS_CLOUD=lab-admin $BIN/openstack ...
clouds:
  lab-admin:
    auth:
      auth_url: http://$ADDR:5000/v3
      username: admin
      password: $(pw ADMIN)
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
 cat >"$RUN/openrc" <<EOF
# lab/openstack/up.sh: . $RUN/openrc
export OS_AUTH_URL=http://$ADDR:5000/v3
export OS_USERNAME=admin
export OS_PASSWORD=$(pw ADMIN)
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
export OS_IDENTITY_API_VERSION=3
export PATH=$BIN:\$PATH
EOF
)
export OS_CLIENT_CONFIG_FILE=$RUN/clouds.yaml
PYTHONNOUSERSITE=1 "$PY" "$HERE/bootstrap.py" "$RUN/passwords" "$ADDR"
log "keystone users, services and endpoints in place ($(elapsed "$T") s since start)"
converge $NOVA_SERVICES
nova_computes

# cinder-scheduler and cinder-volume@ceph report to the db; wait until both are up (bounded).
svc_up() {
  OS_CLOUD=lab-admin timeout 30 "$BIN/openstack" volume service list -f value -c Binary -c Host -c State |
    awk '$1 == "cinder-scheduler" && $3 == "up" { s = 1 } $1 == "cinder-volume" && $2 ~ /@ceph$/ && $3 == "up" { v = 1 }
         END { exit !(s && v) }'
}
if [ "$CONVERGED" = 0 ]; then
  log "not converged yet: glance-api, cinder-volume and cinder-backup wait for pulumi up --stack lab"
  $HX supervisorctl status || true
  exit 0
fi
wait_until "cinder-scheduler + cinder-volume@ceph (service list)" 30 2 svc_up
nova_ready
# "up" in the service list is not "ready" right after a (re)start, and no API tells the rest:
# - cinder-scheduler holds every request from its start (once it has connected to RabbitMQ: its queue has a
#   consumer) for scheduler_driver_init_wait_time, because gluster and nfs never report (see lab.conf);
# - cinder-backup is refused by the scheduler until its first report with backend_state True, about one
#   periodic_interval (10 s, see lab.conf) after its start.
# So: wait for the scheduler's consumer, then until both windows (+ a margin for the start-up) have passed.
sched_consumer() {
  $HX runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl -q \
    list_queues name consumers | awk '$1 == "cinder-scheduler" && $2 > 0 { f = 1 } END { exit !f }'
}
until_t=0
if [ -n "${RESTARTED[cinder-scheduler]:-}" ]; then
  wait_until "cinder-scheduler consuming" 30 1 sched_consumer
  until_t=$((STARTED_AT[cinder-scheduler] + 5 + SCHED_INIT_WAIT))
fi
if [ -n "${RESTARTED[cinder-backup]:-}" ]; then
  t=$((STARTED_AT[cinder-backup] + 5 + 2 * 10)); [ "$t" -gt "$until_t" ] && until_t=$t
fi
left=$((until_t - $(date +%s)))
if [ "$left" -gt 0 ]; then log "waiting $left s for the scheduler's start-up hold / cinder-backup's first report"; sleep "$left"; fi
$HX supervisorctl status
log "done; OS_CLIENT_CONFIG_FILE=$RUN/clouds.yaml OS_CLOUD=lab-admin $BIN/openstack ..."
