# Shell helpers shared by the lab's scripts (lab.sh and its parts, exec.sh, install.sh, openstack/up.sh and
# openstack/install.sh): a host's clean environment, timing, log and die in each script's own format, a bounded poll.
# A script sets T0 (its start: elapsed and log count from it) and, before it logs or dies, LOG_FORMAT and DIE_PREFIX.
# shellcheck shell=bash

# A clean environment for everything that runs inside a host (as sshd would give a login).
# shellcheck disable=SC2034  # used by the scripts that source this file
HOST_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root
  USER=root LOGNAME=root SHELL=/bin/bash)

now() { date +%s.%N; }
# secs A B: the seconds from A to B, one decimal; elapsed [A]: from A (default T0) until now
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
elapsed() { secs "${1:-$T0}" "$(now)"; }
# LOG_FORMAT: the script's printf format of the seconds since T0 and the message, e.g. '[lab %5ss] %s\n'
# shellcheck disable=SC2059
log() { printf "$LOG_FORMAT" "$(elapsed)" "$*"; }
die() { printf '%s%s\n' "$DIE_PREFIX" "$*" >&2; exit 1; }

# poll TRIES INTERVAL CMD...: CMD (its output discarded) until it succeeds, at most TRIES times, INTERVAL s apart:
# bounded in count, and in time when CMD has its own timeout. Returns 1 when it gave up. The scripts' wait_until
# (host.sh, openstack/lib.sh) name what they wait for and say, each in its own way, when it gave up.
poll() {
  local tries=$1 interval=$2 i; shift 2
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep "$interval"
  done
  return 1
}
