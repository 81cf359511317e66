#!/usr/bin/env bash
# Real OpenStack services on the lab controller, on the storage configs the program rendered.
#
# Needs: a running lab (bash lab/lab.sh up) and lab/openstack/install.sh. Runs before the program's first
# `pulumi up --stack lab` (which writes /etc/ceph/*, /etc/cinder/cinder.conf and /etc/glance/glance-api.conf and
# restarts the services that read them) as well as after it.
#
# Writes inside the controller (never cinder.conf / glance-api.conf, which are the program's), through lib.sh's
# write-if-changed helpers:
#   controller.sh  /etc/{cinder,glance}/*.conf.d/lab.conf (0640 root:SERVICE; the non-storage settings, read by
#                  oslo.config after the main file, see README.md), keystone.conf, RabbitMQ's config, cinder's
#                  rootwrap + sudoers, the WSGI entry files (/var/lib/openstack-lab/wsgi/*.py)
#   nova.sh        Nova, Placement and the Neutron API on the controller, nova-compute on the computes
#   here           /etc/supervisor/conf.d/*.conf for every program
# then starts MariaDB and RabbitMQ, creates and syncs the dbs, bootstraps keystone, starts or restarts the
# programs, waits (bounded) until the APIs answer, cinder-volume@ceph reports up and both nova-computes are
# mapped, and writes lab/run/openstack/{clouds.yaml,openrc} (0600).
# Passwords are generated once per lab into lab/run/openstack/passwords (0600) and go to files and stdin only.
# Re-running changes nothing and restarts nothing when nothing changed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$(dirname "$HERE")
# shared helpers: elapsed, log, die, poll
# shellcheck source=lab/lib.sh
. "$LAB/lib.sh"
LOG_FORMAT='openstack up [%s s]: %s\n'
DIE_PREFIX='openstack up: '
VENV=${OS_VENV:-/opt/openstack-storage-lab/openstack-venv}
RUN=$LAB/run/openstack
HX="$LAB/exec.sh controller"
T0=$(date +%s.%N)

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
. "$HERE/lib.sh"

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

. "$HERE/controller.sh"

# --- supervisord programs ------------------------------------------------------------------------------------------
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

# --- start / restart (lib.sh's converge) ----------------------------------------------------------------------------
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
