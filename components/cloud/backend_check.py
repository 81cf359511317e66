"""The check behind BackendGuard (backend_guard.py): before cinder.conf loses a backend's section, ask Cinder whether
volumes still live on that backend, and refuse the change while they do.

A Python dynamic resource whose input is the set of enabled backends. Only its `update`, for the backends the new
set drops, asks anything: a Keystone token (password, v3), then the volumes of every project from Cinder (`GET
/v3/{project_id}/volumes/detail?all_tenants=1`, page after page), counting those whose `os-vol-host-attr:host` is
`<host>@<backend>` or `<host>@<backend>#<pool>`. Its `create` and an unchanged set open no connection, so a plain
`pulumi up` on a converged stack stays a no-op.

Every HTTP call has a timeout; a refusal or an error names the endpoint, never the password or the token (they go
in a request's body and header only). The provider process unpickles this provider by module path in every run:
this module imports the standard library and pulumi alone, not the config models, jinja2 or pulumi_command
(tests/test_old_states.py)."""
from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

TIMEOUT = 30.0
"""Seconds each HTTP call may wait for a connection and for each read."""
MAX_PAGES = 1000
CINDER_TYPES = ("block-storage", "volumev3")
HOST = "os-vol-host-attr:host"
SHOWN = 10
"""Volume IDs a refusal names (then: `and N more`)."""


class CinderError(Exception):
    """Keystone or Cinder did not answer as the check needs; the message names the endpoint."""


class BackendInUse(Exception):
    """A backend the stack drops still holds volumes."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error (HTTPError 3xx): the token is never sent anywhere but the catalog's endpoint."""

    def redirect_request(self, *args, **kwargs):
        return None


def opener(endpoint: dict) -> urllib.request.OpenerDirector:
    """HTTPS verified against the stack's CA bundle (`cacert`, PEM content) or the system's, unless `insecure`."""
    ctx = ssl.create_default_context(cadata=endpoint.get("cacert") or None)
    if endpoint.get("insecure"):
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), _NoRedirect())


def _detail(e: urllib.error.HTTPError) -> str:
    """The message of an OpenStack error body ({"error": {"message": ...}}, {"itemNotFound": {...}}), if any."""
    try:
        body = json.loads(e.read(4096) or b"{}")
        message = next(iter(body.values())).get("message")
    except Exception:
        return ""
    return f": {str(message)[:200]}" if message else ""


def call(op: urllib.request.OpenerDirector, what: str, url: str, timeout: float, body: Optional[dict] = None,
         token: Optional[str] = None) -> tuple[dict, dict]:
    """One request: (its JSON answer, its headers). `what` (Keystone, Cinder) and `url` name it in every error."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["X-Auth-Token"] = token
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, headers=headers,
                                 method="POST" if body is not None else "GET")
    try:
        with op.open(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}"), dict(r.headers)
    except urllib.error.HTTPError as e:
        raise CinderError(f"{what} at {url} answered {e.code} {e.reason}{_detail(e)}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise CinderError(f"{what} at {url} did not answer within {timeout:g} s") from None
        raise CinderError(f"{what} at {url} cannot be reached: {reason}") from None
    except ValueError:
        raise CinderError(f"{what} at {url} answered something other than JSON") from None


def keystone_url(auth_url: str) -> str:
    url = auth_url.rstrip("/")
    return f"{url}/auth/tokens" if url.endswith("/v3") else f"{url}/v3/auth/tokens"


def token(op, endpoint: dict, password: str, timeout: float) -> tuple[str, dict]:
    """A project-scoped token for the stack's `openstack` user: (the token, the token's body: catalog, project)."""
    url = keystone_url(endpoint["auth_url"])
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": endpoint["user_name"], "domain": {"name": endpoint["user_domain_name"]}, "password": password}}},
        "scope": {"project": {"name": endpoint["project_name"], "domain": {"name": endpoint["project_domain_name"]}}}}}
    answer, headers = call(op, "Keystone", url, timeout, body=body)
    found = {k.lower(): v for k, v in headers.items()}.get("x-subject-token")
    if not found or not isinstance(answer.get("token"), dict):
        raise CinderError(f"Keystone at {url} answered without a token")
    return found, answer["token"]


def cinder_url(tok: dict, region: Optional[str], auth_url: str) -> str:
    """The public block-storage endpoint of the token's catalog, with the project: `.../v3/{project_id}`."""
    project = (tok.get("project") or {}).get("id")
    if not project:
        raise CinderError(f"Keystone at {auth_url} gave a token without a project (openstack.project_name)")
    for kind in CINDER_TYPES:
        for service in tok.get("catalog") or []:
            if service.get("type") != kind:
                continue
            for e in service.get("endpoints") or []:
                if e.get("interface") == "public" and (not region or region in (e.get("region_id"), e.get("region"))):
                    url = e["url"].rstrip("/")
                    if url.endswith(f"/{project}"):
                        return url
                    return f"{url if url.endswith('/v3') else url + '/v3'}/{project}"
    where = f" in region {region}" if region else ""
    raise CinderError(f"the catalog Keystone at {auth_url} gives has no public block-storage endpoint{where}")


def volumes(op, base: str, tok: str, timeout: float) -> list[dict]:
    """Every volume of every project, following `volumes_links`: each next page's query (its marker) is asked of the
    catalog's endpoint, so the token goes nowhere else."""
    url, seen, out = f"{base}/volumes/detail?all_tenants=1", set(), []
    for _ in range(MAX_PAGES):
        seen.add(url)
        answer, _ = call(op, "Cinder", url, timeout, token=tok)
        out += answer.get("volumes") or []
        link = next((l.get("href") for l in answer.get("volumes_links") or [] if l.get("rel") == "next"), None)
        if not link:
            return out
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
        url = f"{base}/volumes/detail?{urllib.parse.urlencode({**query, 'all_tenants': '1'})}"
        if url in seen:
            raise CinderError(f"Cinder at {base} gave the same page twice ({url})")
    raise CinderError(f"Cinder at {base} has more than {MAX_PAGES} pages of volumes")


def backend_of(host: str) -> str:
    """`controller@nfs#10.0.0.2:/srv` -> `nfs`; a volume not scheduled yet (no host) -> ``."""
    left = (host or "").partition("#")[0]
    return left.rpartition("@")[2] if "@" in left else ""


def on_backends(found: list[dict], backends: list[str], base: str) -> dict[str, list[str]]:
    """backend -> the IDs of the volumes on it."""
    out = {b: [] for b in backends}
    for v in found:
        if HOST not in v:
            raise CinderError(f"Cinder at {base} does not show volumes' hosts ({HOST}) to this user: the check needs "
                              "an admin (openstack.user_name)")
        backend = backend_of(v[HOST])
        if backend in out:
            out[backend].append(str(v.get("id")))
    return out


def refusal(found: dict[str, list[str]]) -> str:
    """One line per backend that still holds volumes; empty when none does."""
    lines = []
    for backend, ids in sorted(found.items()):
        n = len(ids)
        if not n:
            continue
        shown = ", ".join(sorted(ids)[:SHOWN]) + (f" and {n - SHOWN} more" if n > SHOWN else "")
        lives = "1 volume still lives" if n == 1 else f"{n} volumes still live"
        lines.append(f"cinder.backends[{backend}]: {lives} on backend {backend} (id{'s' if n > 1 else ''} {shown}); "
                     "move or delete them (openstack volume migrate / delete), then remove the backend")
    return "\n".join(lines)


def check(props: dict, removed: list[str]) -> None:
    """Raises BackendInUse when a backend of `removed` still holds volumes, CinderError when it cannot tell."""
    endpoint, timeout = props["endpoint"], float(props.get("timeout") or TIMEOUT)
    op = opener(endpoint)
    tok, body = token(op, endpoint, props["password"], timeout)
    base = cinder_url(body, endpoint.get("region"), endpoint["auth_url"])
    message = refusal(on_backends(volumes(op, base, tok, timeout), removed, base))
    if message:
        raise BackendInUse(message)


def _outs(props: dict) -> dict:
    # the state's outputs keep the set only: the password stays a secret input
    return {"kind": props["kind"], "backends": sorted(props["backends"])}


class BackendGuardProvider(ResourceProvider):
    def create(self, props: dict) -> CreateResult:
        return CreateResult("cinder-backends", _outs(props))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = sorted(olds.get("backends") or []) != sorted(news.get("backends") or [])
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        removed = sorted(set(olds.get("backends") or []) - set(news.get("backends") or []))
        if removed:
            check(news, removed)
        return UpdateResult(_outs(news))

    def delete(self, _id: str, _props: dict) -> None:
        return None     # the cloud is left as it is


class BackendGuardResource(Resource):
    backends: pulumi.Output[list]

    def __init__(self, name: str, backends: list[str], endpoint: pulumi.Input[dict], password: pulumi.Input[str],
                 timeout: float = TIMEOUT, opts: Optional[pulumi.ResourceOptions] = None):
        """`endpoint`: auth_url, user_name, project_name, user_domain_name, project_domain_name, region, cacert
        (PEM content), insecure."""
        super().__init__(BackendGuardProvider(), name, {
            "kind": "backend-guard", "backends": sorted(backends), "endpoint": endpoint,
            "password": pulumi.Output.secret(password), "timeout": timeout,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["password"])))
