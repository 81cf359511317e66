"""The guard of a backend's removal: under mocks, cinder.conf's write waits for it and it holds the password as a
secret; its provider's update against a fake Keystone and Cinder on 127.0.0.1 (http.server in a thread, a test
fixture only) refuses while volumes live on a removed backend, passes once none do, asks nothing when nothing is
removed, and stops in bounded time, naming the endpoint, when the cloud does not answer."""
import http.server
import json
import socket
import threading
import time
import urllib.parse

import pulumi
import pytest

from components.cloud.backend_check import BackendGuardProvider, BackendInUse, CinderError
from harness import OPENSTACK_PASSWORD, ROOT, deploy, is_secret, plain, settled

TOKEN = "test-only-token-5f0c"
PROJECT = "p1"


class FakeCloud:
    """Keystone's POST /v3/auth/tokens and Cinder's GET /v3/p1/volumes/detail, `page` volumes a page; every request
    kept (method, path with query, headers, body)."""

    def __init__(self, page: int = 2):
        self.volumes: list[dict] = []
        self.page, self.requests = page, []
        self.cinder = None
        """The catalog's Cinder endpoint; None: this server's /v3."""
        cloud = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, code: int, body: dict, headers: dict = None):
                raw = json.dumps(body).encode()
                self.send_response(code)
                for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def keep(self, body=None):
                cloud.requests.append((self.command, self.path, dict(self.headers), body))

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.keep(body)
                user = body["auth"]["identity"]["password"]["user"]
                if self.path != "/v3/auth/tokens" or user["password"] != OPENSTACK_PASSWORD:
                    return self.answer(401, {"error": {"code": 401, "message": "The request you have made requires "
                                                       "authentication."}})
                endpoint = cloud.cinder or f"{cloud.url}/v3"
                catalog = [{"type": "volumev3", "endpoints": [
                    {"interface": "internal", "region_id": "RegionOne", "url": "http://192.0.2.1:8776/v3"},
                    {"interface": "public", "region_id": "RegionOne", "url": endpoint}]}]
                self.answer(201, {"token": {"project": {"id": PROJECT}, "catalog": catalog}},
                            {"X-Subject-Token": TOKEN})

            def do_GET(self):
                self.keep()
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if self.headers.get("X-Auth-Token") != TOKEN:
                    return self.answer(401, {"error": {"message": "no token"}})
                if url.path != f"/v3/{PROJECT}/volumes/detail" or query.get("all_tenants") != "1":
                    return self.answer(404, {"itemNotFound": {"message": "not here"}})
                ids = [v["id"] for v in cloud.volumes]
                start = ids.index(query["marker"]) + 1 if "marker" in query else 0
                page = cloud.volumes[start:start + cloud.page]
                # as Cinder builds it from its own public URL: the guard takes only the marker from it
                links = [{"rel": "next", "href": f"http://cinder.internal.example:8776/v3/{PROJECT}/volumes/detail"
                          f"?all_tenants=1&marker={page[-1]['id']}"}] if start + cloud.page < len(ids) else []
                self.answer(200, {"volumes": page, **({"volumes_links": links} if links else {})})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def props(self, backends: list[str], timeout: float = 5, auth_url: str = None) -> dict:
        endpoint = {"auth_url": auth_url or f"{self.url}/v3", "user_name": "admin", "project_name": "admin",
                    "user_domain_name": "Default", "project_domain_name": "Default", "region": "RegionOne",
                    "cacert": None, "insecure": False}
        return {"kind": "backend-guard", "backends": backends, "endpoint": endpoint, "password": OPENSTACK_PASSWORD,
                "timeout": timeout}

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]


def volume(ident: str, host) -> dict:
    return {"id": ident, "status": "available", "os-vol-host-attr:host": host}


@pytest.fixture
def fake():
    f = FakeCloud()
    yield f
    f.server.shutdown()
    f.server.server_close()


@pytest.fixture
def silent():
    """A port that takes connections (the listen backlog) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


def update(fake: FakeCloud, old: list[str], new: list[str], **kw):
    return BackendGuardProvider().update("cinder-backends", fake.props(old, **kw), fake.props(new, **kw))


def test_a_removed_backend_with_volumes_is_refused_with_their_count_and_ids(fake):
    fake.volumes = [volume("a1", "controller@nfs#203.0.113.42:/srv/nfs/cinder"), volume("b2", "controller@ceph#ceph"),
                    volume("c3", "controller@nfs"), volume("d4", "controller@nfs2#nfs2"), volume("e5", None)]
    with pytest.raises(BackendInUse) as e:
        update(fake, ["ceph", "nfs", "nfs2"], ["ceph", "nfs2"])
    assert str(e.value) == ("cinder.backends[nfs]: 2 volumes still live on backend nfs (ids a1, c3); move or delete "
                            "them (openstack volume migrate / delete), then remove the backend")
    # one token, then every page from the catalog's public endpoint (not the link's host), with the token
    assert fake.paths() == ["/v3/auth/tokens", "/v3/p1/volumes/detail?all_tenants=1",
                            "/v3/p1/volumes/detail?all_tenants=1&marker=b2",
                            "/v3/p1/volumes/detail?all_tenants=1&marker=d4"]
    assert all(headers["X-Auth-Token"] == TOKEN for _, _, headers, _ in fake.requests[1:])
    assert fake.requests[0][3]["auth"]["scope"]["project"] == {"name": "admin", "domain": {"name": "Default"}}
    assert OPENSTACK_PASSWORD not in str(e.value) and TOKEN not in str(e.value)
    # two backends dropped at once: a line each; one volume is one
    fake.requests.clear()
    with pytest.raises(BackendInUse) as e:
        update(fake, ["ceph", "nfs", "nfs2"], ["ceph"])
    assert str(e.value).splitlines()[1].startswith("cinder.backends[nfs2]: 1 volume still lives on backend nfs2 "
                                                   "(id d4); ")


def test_a_removed_backend_without_volumes_passes(fake):
    fake.volumes = [volume("b2", "controller@ceph#ceph"), volume("d4", "controller@nfs2#nfs2")]
    result = update(fake, ["ceph", "nfs"], ["ceph"])
    assert result.outs == {"kind": "backend-guard", "backends": ["ceph"]}     # no password in the outputs
    assert fake.paths() == ["/v3/auth/tokens", "/v3/p1/volumes/detail?all_tenants=1"]


def test_nothing_removed_asks_nothing(fake):
    provider = BackendGuardProvider()
    assert provider.create(fake.props(["ceph", "nfs"])).outs["backends"] == ["ceph", "nfs"]
    assert not provider.diff("id", fake.props(["nfs", "ceph"]), fake.props(["ceph", "nfs"])).changes
    assert provider.diff("id", fake.props(["ceph", "nfs"]), fake.props(["ceph"])).changes
    update(fake, ["ceph"], ["ceph"])
    update(fake, ["ceph"], ["ceph", "nfs"])        # a backend added
    provider.read("id", fake.props(["ceph"]))      # `pulumi up --refresh`
    assert fake.requests == []


def test_a_user_who_cannot_see_the_hosts_is_no_proof(fake):
    """Without admin, Cinder ignores all_tenants and hides the host: an empty answer would prove nothing."""
    fake.volumes = [{"id": "a1", "status": "available"}]
    with pytest.raises(CinderError, match=r"does not show volumes' hosts .* needs an admin"):
        update(fake, ["ceph", "nfs"], ["ceph"])


def test_a_wrong_password_names_keystone_and_not_the_password(fake):
    props = fake.props(["ceph", "nfs"])
    with pytest.raises(CinderError) as e:
        BackendGuardProvider().update("id", props, {**fake.props(["ceph"]), "password": "wrong-password"})
    assert str(e.value) == (f"Keystone at {fake.url}/v3/auth/tokens answered 401 Unauthorized: The request you "
                            "have made requires authentication.")
    assert "wrong-password" not in str(e.value)


@pytest.mark.parametrize("who", ["Keystone", "Cinder"])
def test_a_cloud_that_does_not_answer_stops_in_bounded_time_naming_the_endpoint(fake, silent, who):
    if who == "Cinder":
        fake.cinder = f"{silent}/v3"
    url = f"{silent}/v3/auth/tokens" if who == "Keystone" else f"{silent}/v3/p1/volumes/detail?all_tenants=1"
    t = time.monotonic()
    with pytest.raises(CinderError) as e:
        update(fake, ["ceph", "nfs"], ["ceph"], timeout=0.5, auth_url=f"{silent}/v3" if who == "Keystone" else None)
    assert time.monotonic() - t < 5
    assert str(e.value) == f"{who} at {url} did not answer within 0.5 s"


def test_a_closed_port_names_the_endpoint(fake):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(CinderError, match=rf"^Keystone at http://127\.0\.0\.1:{port}/v3/auth/tokens cannot be "
                                          r"reached: .*[Cc]onnection refused"):
        update(fake, ["ceph", "nfs"], ["ceph"], auth_url=f"http://127.0.0.1:{port}")


# ---- the wiring, under mocks ----

@pytest.fixture
def with_cloud(dev):
    dev["openstack"] = {"auth_url": "https://keystone.example:5000/v3", "region": "RegionOne",
                        "cacert_file": "examples/dev-cloud-ca.pem"}
    return dev


@pulumi.runtime.test
def test_cinder_conf_is_written_only_after_the_guard(monitor, with_cloud):
    _, d = deploy(with_cloud)

    def check(_):
        guard = "cinder-backend-guard-check"
        assert monitor.named("cinder-backend-guard").type == "openstack-storage:cloud:BackendGuard"
        for later in ("controller1-cinder-config-file", "controller1-cinder-config-restart-cinder-volume"):
            assert monitor.depends_on(later, guard), later
        for other in ("controller1-glance-config-file", "compute1-nova-config-file", "ceph-pool-volumes-ensure"):
            assert not monitor.depends_on(other, guard), other
    return settled(d.resources).apply(check)


@pytest.mark.parametrize("secret", [False, True], ids=["plain", "secret-openstack"])
@pulumi.runtime.test
def test_the_guard_holds_the_enabled_backends_and_the_password_as_a_secret(monitor, with_cloud, secret):
    p, d = deploy(with_cloud, secret_in=("openstack",) if secret else ())

    def check(_):
        r = monitor.named("cinder-backend-guard-check")
        assert plain(r.inputs["backends"]) == sorted(p.backend_names) == ["ceph"]
        assert is_secret(r.inputs["password"]) and plain(r.inputs["password"]) == OPENSTACK_PASSWORD
        assert "password" in r.secret_outputs
        endpoint = plain(r.inputs["endpoint"])
        assert endpoint["auth_url"] == "https://keystone.example:5000/v3" and endpoint["region"] == "RegionOne"
        assert endpoint["cacert"] == (ROOT / "examples/dev-cloud-ca.pem").read_text()
        assert is_secret(r.inputs["endpoint"]) == secret
        assert OPENSTACK_PASSWORD not in json.dumps({k: v for k, v in r.inputs.items() if k != "password"})
    return settled(d.resources).apply(check)


@pulumi.runtime.test
def test_without_openstack_there_is_no_guard(monitor, dev):
    _, d = deploy(dev)

    def check(_):
        assert not [r.name for r in monitor.registrations if "backend-guard" in r.name]
        monitor.named("controller1-cinder-config-file")     # cinder.conf written all the same
    return settled(d.resources).apply(check)
