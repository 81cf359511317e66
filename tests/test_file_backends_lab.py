"""Cinder on the lab's file backends, through the real services on the program's settings (issue 28): type `nfs` on
NFS-Ganesha's VFS export, type `gluster` on the GlusterFS volume through NFS-Ganesha's GLUSTER FSAL (the runbook's
route since the native driver left). cinder-volume's os-brick mounts them with `mount -t nfs` as on a production
host; the lab's hosts answer that through fuse-nfs (lab/nfs/README.md says what that stand-in changes).

Each volume is checked where the data lives: the export's directory on storage2, the gluster bricks on storage1 and
storage2 (the GlusterFS runbook's own check)."""
import hashlib
import time

import pytest

from labkit import converged, sh

from cloud import create_volume, delete_volume
from stack import IMAGE

pytestmark = pytest.mark.lab

# where a volume's file lives on the servers, per volume type
PLACES = {"nfs": [("storage2", "/srv/nfs/cinder")],
          "gluster": [("storage1", "/srv/gluster/brick1"), ("storage2", "/srv/gluster/brick1")]}
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab(lab_hosts):
    return converged()


def on_servers(vtype: str, volume_id: str, script: str) -> list[str]:
    """`script` with $f the volume's file, on every server that holds it."""
    return [sh(host, f"f={where}/volume-{volume_id}\n{script}").strip() for host, where in PLACES[vtype]]


@pytest.mark.parametrize("vtype", ["nfs", "gluster"])
def test_a_volume_of_each_file_type_is_a_file_on_its_servers(lab, vtype):
    t = time.monotonic()
    vol = create_volume(f"file-{vtype}", vtype)
    TIMES[f"create {vtype}"] = time.monotonic() - t
    assert vol["status"] == "available" and vol["type"] == vtype
    # a 1 GiB file, owned by cinder's uid (root squashed: cinder's operations run as cinder), mode 0660
    stats = on_servers(vtype, vol["id"], 'stat -c "%s %a" "$f"')
    assert stats == [f"{1 << 30} 660"] * len(PLACES[vtype]), stats
    delete_volume(vol["id"])
    assert on_servers(vtype, vol["id"], '[ -e "$f" ] && echo there || echo gone') == ["gone"] * len(PLACES[vtype])


@pytest.mark.parametrize("vtype", ["nfs", "gluster"])
def test_a_volume_from_the_stacks_image_holds_its_bytes_on_the_servers(lab, vtype):
    image = IMAGE.read_bytes()
    t = time.monotonic()
    vol = create_volume(f"file-{vtype}-image", vtype, image="lab-raw")
    TIMES[f"create {vtype} from image"] = time.monotonic() - t
    sums = on_servers(vtype, vol["id"], f'head -c {len(image)} "$f" | sha256sum | cut -d" " -f1')
    assert sums == [hashlib.sha256(image).hexdigest()] * len(PLACES[vtype])
    delete_volume(vol["id"])
    print(f"\n{vtype}: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items() if vtype in k))
