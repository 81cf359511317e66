#!/usr/bin/env bash
# Lab only: builds fuse-nfs (../shared/third_party/fuse-nfs-331e6fe, read-only: from a copy) into
# /opt/openstack-storage-lab/bin, the NFS client of the lab's hosts (lab/nfs/README.md), with one patch of ours:
# supplementary-groups.patch (send the caller's supplementary groups, as the kernel client does). Seconds when built.
set -euo pipefail
SRC=${FUSE_NFS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/third_party/fuse-nfs-331e6fe}
SUM=d436e1d684c4246b7134182aaa13194dba844b15ed5aa6d770e4e3d1177f715c
OUT=/opt/openstack-storage-lab/bin/fuse-nfs
STAMP=$OUT.source-sha256
PATCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/supplementary-groups.patch
BUILT="$SUM $(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ -x "$OUT" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$BUILT" ]; then
  echo "fuse-nfs: already built ($OUT)"
  exit 0
fi
[ -d "$SRC" ] || { echo "fuse-nfs: no source at $SRC (FUSE_NFS_SRC)" >&2; exit 1; }
got=$(cd "$SRC" && find . -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
[ "$got" = "$SUM" ] || { echo "fuse-nfs: $SRC has checksum $got, not $SUM" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$SRC" "$work/src"
patch -s -d "$work/src" -p1 <"$PATCH"
(cd "$work/src" && ./setup.sh && ./configure -q && make -s) >"$work/log" 2>&1 || { tail -20 "$work/log" >&2; exit 1; }
install -D -m 0755 "$work/src/fuse/fuse-nfs" "$OUT"
echo "$BUILT" >"$STAMP"
echo "fuse-nfs: built $OUT"
