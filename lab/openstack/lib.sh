# Helpers of lab/openstack/up.sh and nova.sh, sourced by up.sh: write a file on a lab host only when it differs
# (and note which programs must restart), supervisord program definitions, the keystone sections the services
# share, bounded waits, and the start/restart of the controller's programs. They use up.sh's globals (LAB, HX,
# ADDR, BIN, SVPATH, PY) and lab/lib.sh's log, die and poll.

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
# --keep-alive 30: with gunicorn's default of 2 s, a client polling every 2 s (`openstack server delete --wait`) reused
# a connection the server was closing that instant: "Connection aborted. RemoteDisconnected" (make demo's summary).
gunicorn() { # gunicorn NAME PORT MODULE
  echo "$BIN/gunicorn --name $1 --bind $ADDR:$2 --workers 1 --threads 4 --timeout 300 --graceful-timeout 10" \
       "--keep-alive 30" \
       "--chdir /var/lib/openstack-lab/wsgi $3"
}
# wait_until WHAT TRIES INTERVAL CMD...: lab/lib.sh's poll, bounded in count, and in time because every probe has
# its own timeout. Logs "WHAT ready", or shows the controller's programs and dies.
wait_until() {
  local what=$1 tries=$2
  if poll "${@:2}"; then log "$what ready"; return 0; fi
  $HX supervisorctl status || true
  die "$what not ready after $tries tries (logs: lab/run/hosts/controller/var.upper/log/)"
}
http_ok() { timeout 10 "$PY" -c 'import sys, urllib.request as u
try:
    r = u.urlopen(sys.argv[1], timeout=5); sys.exit(0)
except u.HTTPError as e:
    sys.exit(0 if e.code in (300, 401) else 1)' "$1"; }
port_ok() { timeout 10 "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)' "$@"; }

# RabbitMQ first, so that the cinder services connect at once (their reconnect backoff grows to 15 s and more),
# then the rest. `supervisorctl update NAMES` adds new programs and stops + starts those whose definition
# changed; a program whose own config files changed is restarted.
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
