"""What `pulumi up --stack lab` converged, from the stack's outputs and the hosts themselves (make demo)."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def on(host: str, script: str) -> str:
    return subprocess.run(["bash", str(ROOT / "lab/exec.sh"), host, "bash", "-c", script], capture_output=True,
                          text=True, timeout=60).stdout.strip()


out = json.loads(subprocess.run(["pulumi", "stack", "output", "--json", "--stack", "lab"], cwd=ROOT,
                                capture_output=True, text=True, check=True, env=os.environ).stdout)
print("converged lab:")
for host, what in sorted(out["hosts"].items()):
    print(f"  {host:11} {len(what['files']):2} files  restarted: {', '.join(what['restarts']) or '-'}")
print(f"  libvirt secret {out['libvirt_secret_uuid']} on the computes")
print("  ceph pools:", on("storage1", "ceph osd pool ls | tr '\\n' ' '"))
print("  cinder host lists its pool as client.cinder:",
      "yes" if on("controller", "rbd --id cinder ls volumes >/dev/null 2>&1 && echo yes") == "yes" else "NO")
print("  gluster volume:", on("storage1", "gluster --mode=script volume info | awk '/^(Volume Name|Status)/ {printf \"%s \", $NF}'"))
print("  nfs exports:", subprocess.run(["showmount", "-e", "10.77.0.32"], capture_output=True, text=True).stdout
      .split("\n", 1)[-1].replace("\n", "; ").strip("; "))
print("stop the lab with: bash lab/lab.sh down")
