#!/usr/bin/env bash
# Lab only: builds the lab's NFS client side (lab/nfs/README.md) into /opt/openstack-storage-lab. Seconds when built.
# - fuse-nfs (../shared/third_party/fuse-nfs-331e6fe, read-only: from a copy) with one patch of ours,
#   supplementary-groups.patch (send the caller's supplementary groups, as the kernel client does);
# - nfs-statfs.so, libvirtd's preload (nfs-statfs.c).
# Each is rebuilt only when its sources change.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${FUSE_NFS_SRC:-$HERE/../../../shared/third_party/fuse-nfs-331e6fe}
SUM=d436e1d684c4246b7134182aaa13194dba844b15ed5aa6d770e4e3d1177f715c
OUT=/opt/openstack-storage-lab/bin/fuse-nfs
PATCH=$HERE/supplementary-groups.patch
BUILT="$SUM $(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ -x "$OUT" ] && [ "$(cat "$OUT.source-sha256" 2>/dev/null)" = "$BUILT" ]; then
  echo "fuse-nfs: already built ($OUT)"
else
  [ -d "$SRC" ] || { echo "fuse-nfs: no source at $SRC (FUSE_NFS_SRC)" >&2; exit 1; }
  got=$(cd "$SRC" && find . -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
  [ "$got" = "$SUM" ] || { echo "fuse-nfs: $SRC has checksum $got, not $SUM" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$SRC" "$work/src"
  patch -s -d "$work/src" -p1 <"$PATCH"
  (cd "$work/src" && ./setup.sh && ./configure -q && make -s) >"$work/log" 2>&1 || { tail -20 "$work/log" >&2; exit 1; }
  install -D -m 0755 "$work/src/fuse/fuse-nfs" "$OUT"
  echo "$BUILT" >"$OUT.source-sha256"
  echo "fuse-nfs: built $OUT"
fi

LIB=/opt/openstack-storage-lab/lib/nfs-statfs.so
LIB_SUM=$(sha256sum "$HERE/nfs-statfs.c" | cut -d' ' -f1)
if [ -f "$LIB" ] && [ "$(cat "$LIB.source-sha256" 2>/dev/null)" = "$LIB_SUM" ]; then
  echo "nfs-statfs.so: already built ($LIB)"
else
  install -d "$(dirname "$LIB")"
  gcc -shared -fPIC -O2 -Wall -o "$LIB.tmp" "$HERE/nfs-statfs.c" -ldl
  mv "$LIB.tmp" "$LIB"
  echo "$LIB_SUM" >"$LIB.source-sha256"
  echo "nfs-statfs.so: built $LIB"
fi
