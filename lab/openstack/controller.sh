# The controller's config files for RabbitMQ, Keystone, Glance and Cinder (their non-storage settings; the storage
# settings are the program's), cinder's rootwrap, and the WSGI entry files. Sourced by lab/openstack/up.sh, whose
# track/put (lib.sh) write each file only when it differs and note the programs to restart.

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

