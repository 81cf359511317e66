# Shell helpers shared by the lab's scripts: a host's clean environment, timing, log and die.
# Sourced by lab/lab.sh; the caller sets T0 (its start time) before it logs.
# shellcheck shell=bash

# A clean environment for everything that runs inside a host (as sshd would give a login).
# shellcheck disable=SC2034  # used by the scripts that source this file
HOST_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root
  USER=root LOGNAME=root SHELL=/bin/bash)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[lab %5ss] %s\n' "$(secs "$T0" "$(now)")" "$*"; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
