#!/usr/bin/env bash
# Builds what validate/check.py and validate/optdata.py need for each release validate/releases lists, all in that
# release's own virtualenv (git-ignored, never the project's .venv):
#   <venv>/             a virtualenv with the release's locked pins (cinder, glance, nova and what they pull in)
#   <venv>/sdists/      the services' source releases, for their oslo-config-generator config files
#   <venv>/opt-data/    <service>.yaml, `oslo-config-generator --format yaml` for cinder, glance, nova
#
#   bash validate/build.sh [RELEASE ...]       (default: every release in validate/releases)
#
# Idempotent: each step is skipped when a stamp says it is done for these pins, so a warm run takes seconds.
# Prints one timing line per step. PYTHON chooses the interpreter for the virtualenvs (default python3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TABLE=$ROOT/validate/releases

# service -> its generator config file inside the sdist
declare -A GENERATOR=(
  [cinder]=tools/config/cinder-config-generator.conf
  [glance]=etc/oslo-config-generator/glance-api.conf
  [nova]=etc/nova/nova-config-generator.conf
)

now() { date +%s.%N; }
took() { awk -v rel="$RELEASE" -v a="$2" -v b="$(now)" -v what="$1" 'BEGIN { printf "build.sh %-7s %-40s %6.1fs\n", rel, what, b - a }'; }
fail() { echo "build.sh ${RELEASE:-}: $*" >&2; [ -s "$LOG" ] && tail -n 30 "$LOG" >&2; exit 1; }

# build RELEASE PINS VENV: one release's virtualenv, sdists and opt data.
build() {
  RELEASE=$1 REQS=$ROOT/validate/$2 V=$ROOT/$3
  PY=$V/bin/python SDISTS=$V/sdists OPT_DATA=$V/opt-data LOG=$V/build.log
  [ -f "$REQS" ] || fail "no $REQS (validate/releases names it)"
  start=$(now)
  mkdir -p "$V"
  exec 9>"$V/.lock"
  flock -w 1800 9 || fail "another build.sh holds $V/.lock"
  : > "$LOG"

  t=$(now)
  if [ ! -x "$PY" ]; then
    timeout 120 "${PYTHON:-python3}" -m venv "$V" || fail "cannot create the virtualenv $V"
    took "virtualenv created" "$t"
  else
    took "virtualenv present" "$t"
  fi

  # The pins and the interpreter decide what is installed: reinstall when either changes.
  want=$( { cat "$REQS"; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
  t=$(now)
  if [ "$(cat "$V/.installed" 2>/dev/null)" != "$want" ]; then
    timeout 1200 "$PY" -m pip install --disable-pip-version-check -q -r "$REQS" >>"$LOG" 2>&1 \
      || fail "pip install -r $REQS failed (log: $LOG)"
    "$PY" -m pip check >>"$LOG" 2>&1 || fail "pip check failed (log: $LOG)"
    echo "$want" > "$V/.installed"
    rm -f "$OPT_DATA"/*.stamp
    took "pins installed" "$t"
  else
    took "pins already installed" "$t"
  fi

  mkdir -p "$SDISTS" "$OPT_DATA"
  for svc in cinder glance nova; do
    ver=$(sed -n "s/^$svc==//p" "$REQS")
    [ -n "$ver" ] || fail "$REQS pins no $svc"
    sdist=$SDISTS/$svc-$ver.tar.gz
    gen=$SDISTS/$svc-$ver/${GENERATOR[$svc]}
    t=$(now)
    if [ ! -f "$gen" ]; then
      if [ ! -f "$sdist" ]; then
        timeout 600 "$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: \
          -d "$SDISTS" "$svc==$ver" >>"$LOG" 2>&1 || fail "pip download $svc==$ver failed (log: $LOG)"
        [ -f "$sdist" ] || fail "pip download $svc==$ver left no $sdist"
      fi
      tar -xzf "$sdist" -C "$SDISTS" "$svc-$ver/${GENERATOR[$svc]}" || fail "$sdist has no ${GENERATOR[$svc]}"
      took "$svc $ver generator config fetched" "$t"
    else
      took "$svc $ver generator config present" "$t"
    fi

    out=$OPT_DATA/$svc.yaml
    stamp="$want $svc==$ver $(sha256sum "$gen" | cut -d' ' -f1)"
    t=$(now)
    if [ ! -s "$out" ] || [ "$(cat "$OPT_DATA/$svc.stamp" 2>/dev/null)" != "$stamp" ]; then
      # run in the sdist's tree: the generator configs name paths relative to it (output_file, ignored here)
      (cd "$SDISTS/$svc-$ver" && timeout 600 "$V/bin/oslo-config-generator" --format yaml \
          --config-file "$gen" --output-file "$out.tmp") >>"$LOG" 2>&1 \
        || fail "oslo-config-generator for $svc failed (log: $LOG)"
      "$PY" - "$out.tmp" "$svc" <<'EOF' >>"$LOG" 2>&1 || fail "opt data for $svc looks wrong (log: $LOG)"
import sys, yaml
data = yaml.load(open(sys.argv[1]), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
need = {"cinder": ["DEFAULT", "backend_defaults"], "glance": ["DEFAULT", "glance_store", "glance.store.rbd.store"],
        "nova": ["DEFAULT", "libvirt"]}[sys.argv[2]]
missing = [g for g in need if not data.get("options", {}).get(g, {}).get("opts")]
sys.exit(f"groups missing from the opt data: {missing}" if missing else 0)
EOF
      mv "$out.tmp" "$out"
      echo "$stamp" > "$OPT_DATA/$svc.stamp"
      took "$svc opt data generated" "$t"
    else
      took "$svc opt data up to date" "$t"
    fi
  done
  took "total" "$start"
}

releases=$(sed -e 's/#.*//' "$TABLE" | awk 'NF == 3')
[ $# -gt 0 ] || set -- $(awk '{ print $1 }' <<<"$releases")
for release in "$@"; do
  row=$(awk -v r="$release" '$1 == r' <<<"$releases")
  [ -n "$row" ] || { echo "build.sh: no release $release in validate/releases" >&2; exit 1; }
  build $row
done
