#!/usr/bin/env bash
# phase.sh NAME CMD...: run CMD and print how long it took, whatever its outcome.
name=$1; shift
start=$(date +%s.%N)
"$@"
rc=$?
awk -v s="$start" -v e="$(date +%s.%N)" -v n="$name" -v rc="$rc" \
  'BEGIN { printf "== phase %-14s %7.1fs%s\n", n, e - s, (rc ? "  (failed, exit " rc ")" : "") }'
exit $rc
