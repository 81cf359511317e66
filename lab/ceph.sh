# The lab's Ceph cluster on CEPH_HOST, sourced by lab/lab.sh: its ceph.conf and its bootstrap (mon, osd, mgr).
# shellcheck shell=bash

ceph_conf() {
  local fsid=$1 ip=${ADDR[$CEPH_HOST]}
  cat <<EOF
# lab Ceph cluster on $CEPH_HOST (written by lab/lab.sh): one mon, one bluestore osd on a sparse file.
# Every daemon path lives under $CEPH_DIR.
[global]
fsid = $fsid
mon host = [v2:$ip:3300,v1:$ip:6789]
public network = 10.77.0.0/$PREFIX
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
mon data avail warn = 1
mon warn on pool no redundancy = false
mon allow pool size one = true
mon allow pool delete = true
# one osd: the per-osd PG limit would otherwise refuse a few pools of 32 PGs at size 3
mon max pg per osd = 1000
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$cluster-\$name.asok
pid file = $CEPH_DIR/run/\$cluster-\$name.pid
log file = $CEPH_DIR/log/\$cluster-\$name.log
crash dir = $CEPH_DIR/crash
log to stderr = false
err to stderr = true
[mon]
mon data = $CEPH_DIR/mon/\$cluster-\$id
keyring = $CEPH_DIR/mon/\$cluster-\$id/keyring
[mgr]
mgr data = $CEPH_DIR/mgr/\$cluster-\$id
keyring = $CEPH_DIR/mgr/\$cluster-\$id/keyring
[osd]
osd data = $CEPH_DIR/osd/\$cluster-\$id
keyring = $CEPH_DIR/osd/\$cluster-\$id/keyring
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 10737418240
bluestore fsck on mount = false
osd memory target = 939524096
bluestore cache autotune = false
bluestore cache size = 134217728
EOF
}

# Ceph: mkfs + start the mon, then an osd. Runs in the background of `up` (Ceph is the long pole).
ceph_up() {
  local h=$CEPH_HOST ip=${ADDR[$CEPH_HOST]} d fsid uuid id
  d=$(hdir "$h")
  mkdir -p "$CEPH_DIR"/{run,log,crash,mon,osd,mgr}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  echo "$fsid" >"$CEPH_DIR/fsid"
  ceph_conf "$fsid" >"$CEPH_DIR/ceph.conf"
  local C=(-c "$CEPH_DIR/ceph.conf")
  {
    ceph-authtool --create-keyring "$CEPH_DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *'
    ceph-authtool --create-keyring "$CEPH_DIR/admin.keyring" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *'
    ceph-authtool "$CEPH_DIR/mon.keyring" --import-keyring "$CEPH_DIR/admin.keyring"
    monmaptool --create --fsid "$fsid" --addv a "[v2:$ip:3300,v1:$ip:6789]" "$CEPH_DIR/monmap"
  } >/dev/null
  in_host "$h" ceph-mon "${C[@]}" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/mon.keyring"
  start_daemon "$h" ceph-mon /usr/bin/ceph-mon "${C[@]}" -f -i a
  local A=("${C[@]}" -k "$CEPH_DIR/admin.keyring" --connect-timeout 5)
  wait_until "ceph-mon" 60 0.5 in_host "$h" timeout 10 ceph "${A[@]}" mon stat || return 1
  log "ceph: mon up"

  # The client side on the Ceph host: /etc/ceph/ceph.conf (fsid + mon host) and the admin keyring.
  in_host "$h" sh -c "cat >/etc/ceph/ceph.conf" <<EOF
# lab: client configuration of the lab cluster on $h (written by lab/lab.sh)
[global]
fsid = $fsid
mon host = [v2:$ip:3300,v1:$ip:6789]
EOF
  in_host "$h" install -m 0600 "$CEPH_DIR/admin.keyring" /etc/ceph/ceph.client.admin.keyring

  if [ "$LAB_CEPH_MGR" = 1 ]; then
    mkdir -p "$CEPH_DIR/mgr/ceph-x"
    in_host "$h" timeout 20 ceph "${A[@]}" auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' \
      mds 'allow *' -o "$CEPH_DIR/mgr/ceph-x/keyring"
    start_daemon "$h" ceph-mgr /usr/bin/ceph-mgr "${C[@]}" -f -i x
  else
    # no mgr: the mon raises MGR_DOWN two minutes after it started; mute it (sticky, shown in ceph -s)
    in_host "$h" timeout 20 ceph "${A[@]}" health mute MGR_DOWN --sticky
  fi

  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(in_host "$h" timeout 20 ceph "${A[@]}" osd new "$uuid")
  mkdir -p "$CEPH_DIR/osd/ceph-$id"
  ceph-authtool --create-keyring "$CEPH_DIR/osd/ceph-$id/keyring" --gen-key -n "osd.$id" >/dev/null
  in_host "$h" timeout 20 ceph "${A[@]}" auth add "osd.$id" osd 'allow *' mon 'allow profile osd' \
    mgr 'allow profile osd' -i "$CEPH_DIR/osd/ceph-$id/keyring" >/dev/null 2>&1
  in_host "$h" ceph-osd "${C[@]}" -i "$id" --mkfs --osd-uuid "$uuid" >>"$d/log/ceph-osd-mkfs.log" 2>&1
  start_daemon "$h" ceph-osd /usr/bin/ceph-osd "${C[@]}" -f -i "$id"
  osd_up() { [ "$(in_host "$h" timeout 10 ceph "${A[@]}" osd stat -f json | jq -r .num_up_osds)" -ge 1 ]; }
  wait_until "ceph-osd up" 90 0.5 osd_up || return 1
  log "ceph: osd.$id up"
  if [ "$LAB_CEPH_MGR" = 1 ]; then
    mgr_up() { [ "$(in_host "$h" timeout 10 ceph "${A[@]}" mgr stat -f json | jq -r .available)" = true ]; }
    wait_until "ceph-mgr available" 120 0.5 mgr_up || return 1
    log "ceph: mgr available"
  fi
  health_ok() { in_host "$h" timeout 10 ceph "${A[@]}" health | grep -q HEALTH_OK; }
  if wait_until "HEALTH_OK" 30 1 health_ok; then log "ceph: HEALTH_OK"; else
    log "ceph: not HEALTH_OK: $(in_host "$h" timeout 10 ceph "${A[@]}" health detail 2>&1 | head -5)"
  fi
  in_host "$h" timeout 10 ceph "${A[@]}" osd pool ls >/dev/null || return 1
  rgw_up || return 1
  touch "$CEPH_DIR/ready"
}

# radosgw on the Ceph host (Debian's, the cluster's release): S3 for a team's Pulumi state (README.md, "Team
# state"). One user, pulumi-state, with one bucket of that name; lab/run/rgw.json (0600) has the endpoint and the
# user's keys. Its pools get 8 placement groups: one osd takes at most mon_max_pg_per_osd (250) in all.
RGW_PORT=7480
RGW_BUCKET=pulumi-state
rgw_up() {
  local h=$CEPH_HOST ip=${ADDR[$CEPH_HOST]} user
  local C=(-c "$CEPH_DIR/ceph.conf") A=(-c "$CEPH_DIR/ceph.conf" -k "$CEPH_DIR/admin.keyring")
  in_host "$h" timeout 20 ceph "${A[@]}" config set global osd_pool_default_pg_num 8
  in_host "$h" timeout 20 ceph "${A[@]}" config set global osd_pool_default_pgp_num 8
  mkdir -p "$CEPH_DIR/rgw"
  in_host "$h" timeout 20 ceph "${A[@]}" auth get-or-create client.rgw.lab mon 'allow rw' osd 'allow rwx' \
    -o "$CEPH_DIR/rgw/keyring"
  start_daemon "$h" radosgw /usr/bin/radosgw "${C[@]}" -f -n client.rgw.lab -k "$CEPH_DIR/rgw/keyring" \
    --rgw-data "$CEPH_DIR/rgw" --rgw-frontends "beast endpoint=$ip:$RGW_PORT"
  wait_until "radosgw" 120 0.5 in_host "$h" curl -sf -o /dev/null --max-time 2 "http://$ip:$RGW_PORT/" || return 1
  user=$({ in_host "$h" timeout 30 radosgw-admin "${A[@]}" user info --uid pulumi-state 2>/dev/null ||
    in_host "$h" timeout 30 radosgw-admin "${A[@]}" user create --uid pulumi-state --display-name "Pulumi state" \
      2>/dev/null; } | jq -c '.keys[0] | {access_key, secret_key}') || return 1
  # path-style, SigV4 (curl signs it; RGW wants the payload's hash header, here UNSIGNED-PAYLOAD); idempotent
  # the keys reach curl on stdin (-K -), not on its command line
  jq -r '"user = \"\(.access_key):\(.secret_key)\""' <<<"$user" |
    in_host "$h" curl -K - -sf -o /dev/null --max-time 10 --aws-sigv4 "aws:amz:us-east-1:s3" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT "http://$ip:$RGW_PORT/$RGW_BUCKET" || return 1
  (umask 077 && jq -n --arg e "http://$ip:$RGW_PORT" --arg b "$RGW_BUCKET" --argjson u "$user" \
    '{endpoint: $e, bucket: $b, region: "us-east-1"} + $u' >"$RUN/rgw.json")
  log "ceph: radosgw up on http://$ip:$RGW_PORT, bucket $RGW_BUCKET"
}
