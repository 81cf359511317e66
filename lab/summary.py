"""What `pulumi up --stack lab` converged and created, checked on the hosts and in the lab's real cloud (make demo):
the hosts' files and restarts, each volume type with its backend, the QoS association, where the image is stored,
that a volume of the Ceph type lands in the volumes pool as an RBD image, and that Nova boots a server from the
image with its root disk a clone in the vms pool (each made, checked and deleted)."""
import json
import os
import subprocess
import sys
import time

from cloud import (FLAVOR, ROOT, CloudError, computes_ready, create_volume, delete_volume, ensure_flavor, nova, on,
                   openstack, rbd_images, rbd_parent, server_settled, wait_for)


def main() -> int:
    out = json.loads(subprocess.run(["pulumi", "stack", "output", "--json", "--stack", "lab"], cwd=ROOT,
                                    capture_output=True, text=True, check=True, env=os.environ).stdout)
    print("converged lab:")
    for host, what in sorted(out["hosts"].items()):
        print(f"  {host:11} {len(what['files']):2} files  restarts on a change: {', '.join(what['restarts']) or '-'}")
    print(f"  libvirt secret {out['libvirt_secret_uuid']} on the computes")
    print("  ceph pools:", " ".join(on("storage1", "ceph osd pool ls").split()))
    print("  gluster volume:", on("storage1", "gluster --mode=script volume info | "
                                  "awk '/^(Volume Name|Status)/ {printf \"%s \", $NF}'"))

    print("the cloud (read back from the lab's Cinder and Glance):")
    qos = {q["ID"]: q for q in openstack("volume", "qos", "list")}
    for name, ident in sorted(out.get("volume_type_ids", {}).items()):
        t = openstack("volume", "type", "show", ident)
        spec = next((q for q in qos.values() if name in (q["Associations"] or [])), None)
        print(f"  volume type {name:8} volume_backend_name={t['properties'].get('volume_backend_name')}"
              f"  qos: {spec['Name'] + ' ' + json.dumps(spec['Properties']) if spec else '-'}")
    for name, ident in sorted(out.get("image_ids", {}).items()):
        img = openstack("image", "show", ident)
        seeds = {k: img["properties"].get(k) for k in ("hw_scsi_model", "hw_disk_bus", "hw_qemu_guest_agent",
                                                       "os_require_quiesce")}
        where = f"images/{ident}" if ident in rbd_images("images") else "NOT in the images pool"
        print(f"  image {name} {img['status']} {img['disk_format']} {img['size']} bytes, stored as rbd {where}")
        print(f"    properties {seeds}")
    if "ceph" in out.get("volume_type_ids", {}):
        t = time.monotonic()
        vol = create_volume(f"demo-{int(time.time())}", "ceph")
        landed = f"volume-{vol['id']}" in rbd_images("volumes")
        print(f"  a 1 GiB volume of type ceph: {vol['status']} in {time.monotonic() - t:.1f} s, "
              f"{'an RBD image volumes/volume-' + vol['id'] if landed else 'NOT in the volumes pool'} (deleted again)")
        delete_volume(vol["id"])
        if not landed:
            return 1
    # the file backends: a volume is a file in the export's directory (nfs) or on the gluster bricks (gluster)
    files = {"nfs": ("storage2", "/srv/nfs/cinder"), "gluster": ("storage1", "/srv/gluster/brick1")}
    for vtype, (host, where) in files.items():
        if vtype not in out.get("volume_type_ids", {}):
            continue
        t = time.monotonic()
        vol = create_volume(f"demo-{vtype}-{int(time.time())}", vtype)
        size = on(host, f"stat -c %s {where}/volume-{vol['id']} 2>/dev/null || true").strip()
        print(f"  a 1 GiB volume of type {vtype}: {vol['status']} in {time.monotonic() - t:.1f} s, "
              f"{f'a file {host}:{where}/volume-' + vol['id'] + f' ({size} bytes)' if size else 'NO file on ' + host}"
              f" (deleted again)")
        delete_volume(vol["id"])
        if not size:
            return 1
    images = out.get("image_ids", {})
    if images:
        name, ident = sorted(images.items())[0]
        computes = sum(1 for h in out["hosts"] if h.startswith("compute"))    # pulumi up restarted them
        wait_for(f"the stack's {computes} nova-computes up", lambda: computes_ready(computes), tries=90, interval=2)
        ensure_flavor()
        t = time.monotonic()
        s = server_settled(nova("server", "create", "--flavor", FLAVOR, "--image", ident, "--nic", "none",
                                f"demo-{int(time.time())}")["id"])
        root = rbd_parent(f"vms/{s['id']}_disk")
        print(f"  a server from image {name}: {s['status']} on {s['OS-EXT-SRV-ATTR:host']} in "
              f"{time.monotonic() - t:.1f} s, root disk vms/{s['id']}_disk a clone of {root or 'NOTHING'} (deleted again)")
        nova("server", "delete", "--wait", s["id"], parse=False)
        if s["status"] != "ACTIVE" or root != f"images/{ident}@snap":
            return 1
    print("stop the lab with: make lab-down")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CloudError as e:
        sys.exit(f"summary: {e}")
