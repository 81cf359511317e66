"""A Glance image. Its source is prepared on the machine running pulumi into a content-addressed raw file
(downloaded, sha256-checked, converted with qemu-img when it is not raw), so a changed source is a new
upload and an unchanged one is never uploaded twice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_openstack as openstack

from ..config import Image as ImageSpec
from ..core.base import Component
from ..core.remote import hidden, q, run_local
from ..config.formats import oslo
from ..plan import QEMU_FORMAT, uploaded_format


@dataclass
class ImageArgs:
    spec: ImageSpec
    source: str
    """Absolute path of a local source, or the URL."""
    prepared: str
    """Absolute path of the prepared file that is uploaded (named after the source's content)."""
    secret: bool = False
    """The stack's `images` hold a secret (a URL with a token, a property): the script and properties are secrets."""


def prepare_script(spec: ImageSpec, source: str, prepared: str) -> str:
    # curl fetches only the schemes the stack allows, also through redirects; `--` ends its options, so no URL is one
    protos = "=http,https,file" if spec.allow_file_url else "=http,https"
    fetch = (f"curl -fsSL --proto {protos} --proto-redir =http,https --retry 2 --max-time 1800 -o \"$tmp.src\" "
             f"-- {q(source)}" if spec.url
             else f"ln -f -- {q(source)} \"$tmp.src\" 2>/dev/null || cp -- {q(source)} \"$tmp.src\"")
    check = f"echo {q(spec.sha256 + '  ' )}\"$tmp.src\" | sha256sum -c --quiet -" if spec.sha256 else ":"
    if spec.disk_format in QEMU_FORMAT and spec.convert:
        make = f"qemu-img convert -f {QEMU_FORMAT[spec.disk_format]} -O raw \"$tmp.src\" \"$tmp\" && rm -f \"$tmp.src\""
    else:
        make = "mv \"$tmp.src\" \"$tmp\""
    return f"""dst={q(prepared)}
if [ -s "$dst" ]; then echo "prepared $dst"; exit 0; fi
mkdir -p "$(dirname "$dst")"
tmp=$(mktemp "$dst.XXXXXX")
trap 'rm -f "$tmp" "$tmp.src"' EXIT
{fetch}
{check}
{make}
mv -f "$tmp" "$dst"
echo "prepared $dst"
"""


class Image(Component):
    """`opts.depends_on`: the glance-api restarts that load the RBD store."""
    TYPE = "openstack-storage:cloud:Image"
    FORMER_TYPES = ("openstack-storage:glance:Image",)

    def __init__(self, name: str, args: ImageArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE, name, opts)
        s = args.spec
        self.prepare = run_local(f"{name}-prepare", prepare_script(s, args.source, args.prepared), parent=self,
                                 secret=args.secret)
        self.image = openstack.images.Image(
            f"{name}-image", name=s.name, local_file_path=args.prepared, disk_format=uploaded_format(s),
            container_format=s.container_format, visibility=s.visibility,
            properties=hidden({k: oslo(v) for k, v in s.properties.items()}, args.secret) if s.properties else None,
            min_disk_gb=s.min_disk_gb, min_ram_mb=s.min_ram_mb, protected=s.protected or None,
            tags=hidden(s.tags, args.secret) if s.tags else None, verify_checksum=True,
            opts=self.child(self.prepare))
        self.register_outputs({"id": self.image.id})
