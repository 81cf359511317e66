"""What users of the cloud see (QoS, volume types, images), created only once the services that serve it run on their
new config."""
from __future__ import annotations

import pulumi

from ..cloud.backend_guard import BackendGuard, BackendGuardArgs
from ..cloud.image import Image, ImageArgs
from ..cloud.qos import Qos, QosArgs
from ..cloud.volume_type import VolumeType, VolumeTypeArgs
from ..plan import Plan


def cloud(p: Plan, prov: pulumi.ProviderResource, serving: dict[str, list[pulumi.Resource]]) -> tuple[list, dict]:
    """Returns the components and, for the stack outputs, their cloud IDs by kind and name."""
    cfg = p.cfg

    def opts(after: str = None) -> pulumi.ResourceOptions:   # the children take the stack's provider from here
        return pulumi.ResourceOptions(providers=[prov], depends_on=serving.get(after, []) if after else None)
    secret = p.secret_keys.__contains__
    qos = {q.name: Qos(f"qos-{q.name}", QosArgs(q, secret("qos_specs")), opts=opts()) for q in cfg.qos_specs}
    types = {t.name: VolumeType(f"volume-type-{t.name}", VolumeTypeArgs(
        t, p.backend_names[t.backend], qos[t.qos].qos if t.qos else None, secret("volume_types")),
        opts=opts("cinder-volume")) for t in cfg.volume_types}
    images = {i.name: Image(f"image-{i.name}", ImageArgs(i, *p.images[i.name], secret("images")),
                            opts=opts("glance-api"))
              for i in cfg.images}
    ids = {"qos_spec_ids": {n: c.qos.id for n, c in qos.items()},
           "volume_type_ids": {n: c.type.id for n, c in types.items()},
           "image_ids": {n: c.image.id for n, c in images.items()}}
    return [*qos.values(), *types.values(), *images.values()], ids


def backend_guard(p: Plan, password: pulumi.Input[str]) -> BackendGuard:
    """Before cinder.conf is written: a backend it drops must hold no volume (Cinder says)."""
    return BackendGuard("cinder-backend-guard", BackendGuardArgs(
        sorted(p.backend_names), p.cfg.openstack, password, p.cacert, "openstack" in p.secret_keys))
