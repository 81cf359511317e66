"""Volume types, QoS and images through pulumi-openstack, under mocks."""
import json

import pulumi
import pytest

from harness import ROOT, OPENSTACK_PASSWORD, config_error, deploy, is_secret, plain, plan, settled, use_mocks

SEED_PROPERTIES = {"hw_scsi_model": "virtio-scsi", "hw_disk_bus": "scsi", "hw_qemu_guest_agent": "yes",
                   "os_require_quiesce": "yes"}


@pytest.fixture
def cloud(dev, tmp_path):
    """The example environment plus a cloud: QoS, a public and a private type, a qcow2 image."""
    (tmp_path / "cirros.qcow2").write_bytes(b"QFI\xfb" + b"\0" * 508)
    dev.update({
        "openstack": {"auth_url": "https://keystone.example:5000/v3", "region": "RegionOne",
                      "cacert_file": "examples/dev-cloud-ca.pem"},
        "qos_specs": [{"name": "gold", "specs": {"total_iops_sec": 1000}}],
        "volume_types": [
            {"name": "ceph", "backend": "ceph", "description": "RBD volumes", "qos": "gold",
             "extra_specs": {"rbd:exclusive_lock": True}},
            {"name": "ceph-team", "backend": "ceph", "public": False, "projects": ["p-one", "p-two"]},
        ],
        "images": [{"name": "cirros", "file": str(tmp_path / "cirros.qcow2"), "disk_format": "qcow2", "visibility": "public",
                    "properties": SEED_PROPERTIES}],
        "image_cache_dir": str(tmp_path / "cache"),
    })
    return dev


@pulumi.runtime.test
def test_provider_from_stack_config_on_every_openstack_resource(monitor, cloud):
    _, d = deploy(cloud)

    def check(_):
        prov = monitor.named("openstack")
        assert prov.type == "pulumi:providers:openstack"
        inputs = plain(prov.inputs)
        assert inputs["authUrl"] == "https://keystone.example:5000/v3" and inputs["region"] == "RegionOne"
        # the CA's content, not a path: the provider's inputs do not depend on where the project is checked out
        assert inputs["cacertFile"] == (ROOT / "examples/dev-cloud-ca.pem").read_text() and "insecure" not in inputs
        assert is_secret(prov.inputs["password"]) and plain(prov.inputs["password"]) == OPENSTACK_PASSWORD
        resources = [r for r in monitor.registrations if r.type.startswith("openstack:")]
        # qos, 2 types, 2 project accesses, the qos association, the image
        assert sorted(r.type.split(":")[-1] for r in resources) == [
            "Image", "QosAssociationV3", "QosV3", "VolumeTypeAccessV3", "VolumeTypeAccessV3",
            "VolumeTypeV3", "VolumeTypeV3"]
        for r in resources:
            assert r.provider.startswith(prov.urn + "::"), f"{r.name} does not use the stack's provider"
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_volume_backend_name_is_the_rendered_sections(monitor, cloud):
    cloud["cinder"]["backends"][0]["name"] = "rbd-fast"
    for t in cloud["volume_types"]:
        t["backend"] = "rbd-fast"
    p, d = deploy(cloud)

    def check(_):
        rendered = p.configs["cinder"].splitlines()
        section = rendered[rendered.index("[rbd-fast]"):]
        assert "volume_backend_name = rbd-fast" in section
        for name in ("volume-type-ceph-type", "volume-type-ceph-team-type"):
            specs = plain(monitor.named(name).inputs["extraSpecs"])
            assert specs["volume_backend_name"] == p.backend_names["rbd-fast"] == "rbd-fast"
        assert plain(monitor.named("volume-type-ceph-type").inputs["extraSpecs"])["rbd:exclusive_lock"] == "true"
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_private_type_access_and_qos_association(monitor, cloud):
    _, d = deploy(cloud)

    def check(_):
        team = monitor.named("volume-type-ceph-team-type")
        assert plain(team.inputs)["isPublic"] is False
        for project in ("p-one", "p-two"):
            access = monitor.named(f"volume-type-ceph-team-access-{project}")
            assert plain(access.inputs)["projectId"] == project
            assert monitor.depends_on(f"volume-type-ceph-team-access-{project}", "volume-type-ceph-team-type")
        assert monitor.depends_on("volume-type-ceph-qos", "qos-gold-qos")
        assert monitor.depends_on("volume-type-ceph-qos", "volume-type-ceph-type")
        assert plain(monitor.named("qos-gold-qos").inputs)["specs"] == {"total_iops_sec": "1000"}
        assert plain(monitor.named("qos-gold-qos").inputs)["consumer"] == "back-end"
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_types_and_images_wait_for_their_service_restarts(monitor, cloud):
    _, d = deploy(cloud)

    def check(_):
        assert monitor.depends_on("volume-type-ceph-type", "controller1-cinder-config-restart-cinder-volume")
        assert not monitor.depends_on("volume-type-ceph-type", "controller1-cinder-config-restart-cinder-backup")
        assert not monitor.depends_on("volume-type-ceph-type", "controller1-glance-config-restart-glance-api")
        assert monitor.depends_on("image-cirros-image", "controller1-glance-config-restart-glance-api")
        assert monitor.depends_on("image-cirros-image", "image-cirros-prepare")
        assert not monitor.depends_on("image-cirros-image", "controller1-cinder-config-restart-cinder-volume")
        # and through the restarts, on the pools and clients behind them
        assert monitor.depends_on("volume-type-ceph-type", "ceph-pool-volumes-ensure")
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_with_no_service_manager_types_and_images_wait_for_the_config_and_its_host(monitor, cloud):
    """Nothing restarts with `service_manager: none` (the operator's own tool does): a volume type then waits for
    cinder.conf and for what that host's services need (keyrings, pools), still not for glance's or the computes'."""
    cloud["service_manager"] = "none"
    _, d = deploy(cloud)

    def check(_):
        assert not [r.name for r in monitor.commands() if "-restart-" in r.name]
        for earlier in ("controller1-cinder-config-file", "controller1-ceph-files", "ceph-pool-volumes-ensure"):
            assert monitor.depends_on("volume-type-ceph-type", earlier), earlier
        assert monitor.depends_on("image-cirros-image", "controller1-glance-config-file")
        assert not monitor.depends_on("volume-type-ceph-type", "controller1-glance-config-file")
        assert not monitor.depends_on("volume-type-ceph-type", "compute1-nova-config-file")
    return settled(d.resources).apply(check)


def test_changing_an_extra_spec_is_an_update_of_that_type(cloud):
    """Same URN, same options, only extraSpecs differ: the engine diffs it as an update, not a replace."""
    runs = []
    for value in ("true", "false"):
        cfg = json.loads(json.dumps(cloud))
        cfg["volume_types"][0]["extra_specs"]["rbd:exclusive_lock"] = value
        monitor = use_mocks()

        @pulumi.runtime.test
        def run():
            _, d = deploy(cfg)

            def keep(_):
                runs.append({r.urn: r for r in monitor.registrations})
            return settled(d.resources).apply(keep)
        run()
    before, after = runs
    assert set(before) == set(after), "the change added or removed resources"
    changed = [urn for urn in before if plain(before[urn].inputs) != plain(after[urn].inputs)]
    assert [u.rsplit("::", 1)[1] for u in changed] == ["volume-type-ceph-type"]
    t0, t1 = before[changed[0]], after[changed[0]]
    differing = {k for k in set(plain(t0.inputs)) | set(plain(t1.inputs))
                 if plain(t0.inputs).get(k) != plain(t1.inputs).get(k)}
    assert differing == {"extraSpecs"}
    assert t1.replace_on_changes == [] and not t1.delete_before_replace
    assert plain(t1.inputs)["extraSpecs"]["volume_backend_name"] == "ceph"


@pulumi.runtime.test
def test_qcow2_is_converted_to_raw_and_properties_kept(monitor, cloud):
    p, d = deploy(cloud)

    def check(_):
        prep = plain(monitor.named("image-cirros-prepare").inputs["create"])
        source, prepared = p.images["cirros"]
        assert "qemu-img convert -f qcow2 -O raw" in prep and source in prep and prepared in prep
        assert prep.index('if [ -s "$dst" ]') < prep.index("qemu-img")     # already prepared: nothing to do
        image = plain(monitor.named("image-cirros-image").inputs)
        assert image["diskFormat"] == "raw" and image["containerFormat"] == "bare"
        assert image["localFilePath"] == prepared and prepared.endswith(".raw")
        assert image["properties"] == SEED_PROPERTIES and image["visibility"] == "public"
        assert image["verifyChecksum"] is True
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_raw_source_with_checksum_is_checked_and_not_converted(monitor, cloud, tmp_path):
    import hashlib
    raw = tmp_path / "disk.raw"
    raw.write_bytes(b"\0" * 4096)
    cloud["images"] = [{"name": "blank", "file": str(raw), "disk_format": "raw",
                        "sha256": hashlib.sha256(raw.read_bytes()).hexdigest()}]
    p, d = deploy(cloud)

    def check(_):
        prep = plain(monitor.named("image-blank-prepare").inputs["create"])
        assert "qemu-img" not in prep and "sha256sum -c" in prep
        assert plain(monitor.named("image-blank-image").inputs)["diskFormat"] == "raw"
    return settled(d.resources).apply(check)


def test_a_changed_source_is_a_new_upload(cloud, tmp_path):
    before = plan(cloud).images["cirros"][1]
    (tmp_path / "cirros.qcow2").write_bytes(b"QFI\xfb" + b"\1" * 508)
    after = plan(cloud).images["cirros"][1]
    assert before != after


ERRORS = [
    ("qcow2 with conversion off", lambda c: c["images"][0].update(convert=False),
     "openstack-storage:images[cirros].convert: glance stores images in Ceph, which boots only RAW"),
    ("checksum mismatch", lambda c: c["images"][0].update(sha256="0" * 64),
     "openstack-storage:images[cirros].sha256: "),
    ("missing file", lambda c: c["images"][0].update(file="nope.qcow2"), "openstack-storage:images[cirros].file: no such file"),
    ("two sources", lambda c: c["images"][0].update(url="https://images.example/x.img"),
     "openstack-storage:images[cirros]: give exactly one of file or url"),
    ("unknown backend", lambda c: c["volume_types"][0].update(backend="lvm"),
     "openstack-storage:volume_types[ceph].backend: backend 'lvm' is not in cinder.backends (ceph)"),
    ("backend name by hand", lambda c: c["volume_types"][0]["extra_specs"].update(volume_backend_name="x"),
     "openstack-storage:volume_types[ceph]: extra_specs.volume_backend_name is set from `backend`"),
    ("undefined qos", lambda c: c["volume_types"][0].update(qos="silver"),
     "openstack-storage:volume_types[ceph].qos: QoS spec 'silver' is not defined"),
    ("projects on a public type", lambda c: c["volume_types"][1].update(public=True),
     "openstack-storage:volume_types[ceph-team]: projects only apply to a private type"),
    ("plain http", lambda c: c["openstack"].update(auth_url="http://keystone.example:5000/v3"),
     "openstack-storage:openstack: http:// sends the password in the clear"),
    ("insecure with a CA", lambda c: c["openstack"].update(insecure=True),
     "openstack-storage:openstack: insecure: true and cacert_file contradict"),
    ("no auth", lambda c: c.pop("openstack"), "openstack-storage:openstack: missing; volume_types"),
    ("missing CA bundle", lambda c: c["openstack"].update(cacert_file="nope/ca.pem"),
     f"openstack-storage:openstack.cacert_file: cannot read {ROOT}/nope/ca.pem (No such file or directory)"),
    ("CA bundle without a certificate", lambda c: c["openstack"].update(cacert_file="README.md"),
     f"openstack-storage:openstack.cacert_file: {ROOT}/README.md holds no PEM certificate"),
    ("duplicate type", lambda c: c["volume_types"].append(dict(c["volume_types"][0])),
     "openstack-storage:volume_types[ceph]: 'ceph' is defined twice"),
]


@pytest.mark.parametrize("mutate,expected", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_openstack_config_errors(cloud, mutate, expected):
    mutate(cloud)
    assert config_error(cloud).startswith(expected)


def test_password_is_required_with_openstack(cloud):
    assert config_error(cloud, {"ssh_private_key": "x"}).startswith("openstack-storage:openstack_password: missing; set it as a secret")
