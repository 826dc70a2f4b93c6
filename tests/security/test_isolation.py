"""No request lets one user read or change another's data — walked over EVERY route.

The routes come from Django's resolver (tests/security/routes.py), through every include, so a
route added anywhere in the project is walked here without anyone listing it. For each route
and each method in METHODS:

* anonymous: an API answers 401/403, a page redirects to the login page, the admin redirects to
  its own login; nothing answers 2xx;
* user B, once with a session and once with an API token, with user A's object ids in every id
  parameter of the path: 403/404/405, never 2xx (a page asked with a token that it does not
  accept redirects to the login page); routes without ids may answer B about B's own data;
* admin pages, to a signed-in user who is not staff: a redirect to the admin login.

After every request A's rows (every model with a `user` foreign key, A's account and token) and
A's stored files must be unchanged, and no response may contain A's data (marked with MARKER).
A positive control then shows the same URL works for A — so the ids did reach a real object.

Methods that take a body get one built from the operation's OpenAPI request schema (with a
real audio file for uploads), so a view cannot hide behind a 400 for an empty body.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chunks.models import Chunk
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, UserFactory
from tests.security.openapi import request_body_schema
from tests.security.routes import METHODS, Route, project_routes, regex_group_choices, regex_of
from tests.security.snapshots import snapshot
from tests.security.world import MARKER, World, world_build

# --- the routes ---------------------------------------------------------------------------

ROUTES = project_routes()
ROUTE_IDS = [f"{route.template} [{route.name or 'unnamed'}]" for route in ROUTES]

# Routes that answer without a login, on purpose. Each is requested anonymously anyway, to
# check it shows none of A's data.
PUBLIC_ROUTES = {
    # Load-balancer / orchestrator probe: says whether database, queue, storage and models
    # are up; no user data. It must answer before anyone can log in.
    "health": "readiness probe",
    "health_live": "liveness probe: answers {ok: true}, reads nothing",
    # Prometheus: counts across all owners, no user's data; 404 unless METRICS_TOKEN is set,
    # then only with that bearer token (tests/operations/test_metrics.py).
    "metrics": "token-guarded Prometheus metrics",
    # The login flow must be reachable logged out; the reset pages are gated by the emailed
    # one-time token, and show nothing of an account.
    "login": "login form",
    "logout": "ends the caller's own session only (POST)",
    "password_reset": "asks for an e-mail address",
    "password_reset_done": "static confirmation",
    "password_reset_confirm": "gated by the e-mailed one-time token",
    "password_reset_complete": "static confirmation",
    "admin:login": "the staff login form",
    # The API's description (paths, fields, error shapes) holds no data and lets a client be
    # written before it has a token; every operation it lists still needs one (walked here).
    "schema": "OpenAPI document",
    "swagger-ui": "interactive docs page for the OpenAPI document",
    # A plain redirect to /timeline/, which needs a login (walked here).
    "home": "redirect to the timeline",
}
# Methods of otherwise protected routes that must work without a login.
PUBLIC_METHODS = {
    # Exchanging a username and password for an API token. Without valid credentials: 400.
    ("api-token", "POST"): "token for username + password",
}

# Path parameters that name one of the owner's objects: kwarg → factory of A's object's id.
OWNER_KWARGS = {
    "chunk_id": lambda world: world.a_chunk.id,
    "enrollment_id": lambda world: world.a_enrollment.id,
    "segment_id": lambda world: world.a_segment.id,
    "utterance_id": lambda world: world.a_segment.id,
    "voice_check_id": lambda world: world.a_voice_check.id,
    "webhook_id": lambda world: world.a_webhook.id,
}
# Other path parameters (the admin's and the password reset's): kwarg → value for a route.
OTHER_KWARGS = {
    "object_id": lambda world, route: str(world.a_chunk.id),
    "id": lambda world, route: str(world.a.id),
    "content_type_id": lambda world, route: str(ContentType.objects.get_for_model(Chunk).id),
    "app_label": lambda world, route: regex_group_choices(regex_of(route, "app_label"), "app_label")[0],
    "url": lambda world, route: "no-such-page/",
    "uidb64": lambda world, route: "MQ",
    "token": lambda world, route: "set-password",
}
# The walker must find at least this many routes, and these by name: it cannot pass by
# finding nothing.
MIN_ROUTES = 60
MUST_FIND = {
    "chunks:list",
    "chunks:detail",
    "enrollment:list",
    "enrollment:detail",
    "utterances:list",
    "utterances:detail",
    "api-token",
    "me-export",
    "me-data",
    "voice-checks:list",
    "voice-checks:answer",
    "utterance-not-me",
    "timeline:index",
    "admin:index",
    "admin:chunks_chunk_change",
    "webhooks:detail",
    "webhooks:deliveries",
}

CHECKED_ROUTES = [route for route in ROUTES if route.name not in PUBLIC_ROUTES]
# What the README quotes: routes walked × methods × who asks (anonymous, B by session, B by token).
REQUESTS_PER_RUN = len(CHECKED_ROUTES) * len(METHODS) * 3


# --- the two users ------------------------------------------------------------------------


@pytest.fixture
def world(db) -> World:
    """A and B with their objects (tests/security/world.py)."""
    return world_build()


def path_values(route: Route, world: World) -> dict[str, str]:
    values = {}
    for name, converter in route.parameters:
        if name in OWNER_KWARGS:
            values[name] = str(OWNER_KWARGS[name](world))
        elif name in OTHER_KWARGS:
            values[name] = OTHER_KWARGS[name](world, route)
        elif route.kind == "admin" and converter in ("int", "path", "str"):
            # Staff-only pages are refused to B before any object is looked up (and staff may
            # see every user's objects): any id will do.
            values[name] = str(world.a_chunk.id)
        else:
            pytest.fail(
                f"{route.template}: the path parameter {name!r} is new to the isolation walker. If it names "
                "one of the owner's objects, add it to OWNER_KWARGS in tests/security/test_isolation.py "
                "(kwarg → an id of A's object of that kind); otherwise add a value to OTHER_KWARGS.",
                pytrace=False,
            )
    return values


def owner_kwargs(route: Route) -> list[str]:
    return [name for name, _ in route.parameters if name in OWNER_KWARGS]


# --- requests -----------------------------------------------------------------------------


def client_for(who: str, world: World) -> APIClient:
    """A fresh client per request: B's own logout or token revoke must not weaken the next one."""
    client = APIClient()
    if who == "b-session":
        client.force_login(world.b)
    elif who == "b-token":
        token, _ = Token.objects.get_or_create(user=world.b)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    elif who == "a-session":
        client.force_login(world.a)
    elif who == "a-token":
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=world.a)[0].key}")
    return client


def body_for(route: Route, method: str, world: World) -> dict:
    """Keyword arguments for the client: a body built from the operation's request schema."""
    if route.kind != "api" or method in ("GET", "DELETE"):
        return {}
    openapi_path = route.template
    for name, _ in route.parameters:
        openapi_path = openapi_path.replace(f"<int:{name}>", f"{{{name}}}").replace(f"<{name}>", f"{{{name}}}")
    found = request_body_schema(openapi_path, method) or request_body_schema(openapi_path, "POST")
    if found is None:
        return {}
    media_type, schema = found
    data = {name: _sample(name, prop, world) for name, prop in schema.get("properties", {}).items()}
    return {"data": data, "format": "multipart" if media_type == "multipart/form-data" else "json"}


def _sample(name: str, prop: dict, world: World):
    kind = prop.get("type")
    if prop.get("format") == "binary":
        return SimpleUploadedFile("b.wav", wav_bytes(1.0), content_type="audio/wav")
    if name in OWNER_KWARGS:  # a body field that names one of A's objects
        return OWNER_KWARGS[name](world)
    if "enum" in prop:
        return prop["enum"][0]
    if prop.get("format") == "date-time":
        return "2024-05-02T10:00:00Z"
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return "bob-was-here"


def send(client: APIClient, method: str, url: str, **body):
    response = getattr(client, method.lower())(url, **body)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def redirect_target(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def leaked(content: bytes) -> bool:
    return MARKER.encode() in content.lower()


# --- the walker ---------------------------------------------------------------------------


def test_it_walks_every_route_of_the_project():
    names = {route.name for route in ROUTES}
    assert len(ROUTES) >= MIN_ROUTES, [route.template for route in ROUTES]
    assert MUST_FIND <= names, MUST_FIND - names
    print(
        f"\nisolation walker: {len(ROUTES)} routes, {len(CHECKED_ROUTES)} protected, "
        f"{len(METHODS)} methods each, {REQUESTS_PER_RUN} requests (anonymous, B session, B token)"
    )


def test_it_lists_only_public_routes_that_exist():
    """A renamed public route must not leave a stale exception behind."""
    names = {route.name for route in ROUTES}
    assert set(PUBLIC_ROUTES) <= names, set(PUBLIC_ROUTES) - names
    assert {name for name, _ in PUBLIC_METHODS} <= names


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_it_refuses_anonymous_requests(route, world):
    values = path_values(route, world)
    url = route.url(values)
    before = snapshot(world.a)
    problems = []
    for method in METHODS if route.name not in PUBLIC_ROUTES else ("GET",):
        response, content = send(client_for("anonymous", world), method, url, **body_for(route, method, world))
        status = response.status_code
        where = f"anonymous {method} {url} → {status}"
        if leaked(content):
            problems.append(f"{where}: the response shows A's data")
        if status >= 500:
            problems.append(f"{where}: server error")
        if route.name in PUBLIC_ROUTES:
            continue
        if (route.name, method) in PUBLIC_METHODS:
            if 200 <= status < 300:
                problems.append(f"{where}: answered without valid credentials")
        elif route.kind == "api":
            if status not in (401, 403, 405):
                problems.append(f"{where}: expected 401/403")
        elif route.kind == "admin":
            if not _to_admin_login(route, response):
                problems.append(f"{where}: expected a redirect to the admin login, got {redirect_target(response)!r}")
        elif not (status == 405 or (status == 302 and redirect_target(response) == settings.LOGIN_URL)):
            problems.append(f"{where}: expected a redirect to {settings.LOGIN_URL}, got {redirect_target(response)!r}")
        if snapshot(world.a) != before:
            problems.append(f"{where}: A's rows or files changed")
            before = snapshot(world.a)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["b-session", "b-token"])
@pytest.mark.parametrize("route", CHECKED_ROUTES, ids=[ROUTE_IDS[ROUTES.index(r)] for r in CHECKED_ROUTES])
def test_it_never_lets_another_user_reach_the_owners_objects(route, who, world):
    values = path_values(route, world)
    url = route.url(values)
    targets_a = bool(owner_kwargs(route))
    before = snapshot(world.a)
    problems = []
    for method in METHODS:
        response, content = send(client_for(who, world), method, url, **body_for(route, method, world))
        status = response.status_code
        where = f"{who} {method} {url} → {status}"
        if leaked(content):
            problems.append(f"{where}: the response shows A's data")
        if status >= 500:
            problems.append(f"{where}: server error")
        if route.kind == "admin":
            # (c) B is no staff member: every admin page sends B to the admin login.
            if not _to_admin_login(route, response):
                problems.append(f"{where}: expected a redirect to the admin login, got {redirect_target(response)!r}")
        elif targets_a:
            session_only_page = route.kind == "page" and who == "b-token"
            if session_only_page and status == 302 and redirect_target(response) == settings.LOGIN_URL:
                pass  # a page ignores API tokens: B counts as anonymous there
            elif status not in (403, 404, 405):
                problems.append(f"{where}: expected 404 (or 403/405) for A's object")
        if snapshot(world.a) != before:
            problems.append(f"{where}: A's rows or files changed")
            before = snapshot(world.a)
    assert not problems, "\n".join(problems)
    if targets_a:
        _owner_reaches(route, url, world)


def _owner_reaches(route: Route, url: str, world: World) -> None:
    """Positive control: the URL B was refused works for A (so the ids named A's objects)."""
    who = "a-token" if route.kind == "api" else "a-session"
    answers = []
    for method in ("GET", "DELETE", "POST"):
        response, _ = send(client_for(who, world), method, url, **body_for(route, method, world))
        answers.append(f"{method} {response.status_code}")
        if response.status_code != 405:
            assert response.status_code < 400, (
                f"{who} {method} {url} → {response.status_code}: the owner cannot use the URL the walker built "
                "either — OWNER_KWARGS maps a parameter to the wrong kind of object?"
            )
            return
    pytest.fail(f"{url}: none of {answers} worked for the owner")


def _to_admin_login(route: Route, response) -> bool:
    if response.status_code != 302:
        return False
    target = redirect_target(response)
    if route.name == "admin:logout":  # logging out a non-staff user leads to the index, then the login
        return target in (reverse("admin:index"), reverse("admin:login"))
    return target == reverse("admin:login")


# --- the admin: staff only ------------------------------------------------------------------


def test_it_opens_the_admin_to_staff_only(db):
    """The positive control for the walker's admin checks: the same pages do open for staff."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    owner = UserFactory()
    chunk = ChunkFactory(user=owner)
    pages = [
        reverse("admin:index"),
        reverse("admin:chunks_chunk_changelist"),
        reverse("admin:chunks_chunk_change", args=[chunk.id]),
    ]
    staff_client, user_client = APIClient(), APIClient()
    staff_client.force_login(staff)
    user_client.force_login(owner)
    for page in pages:
        assert staff_client.get(page).status_code == 200, page
        response = user_client.get(page)
        assert response.status_code == 302 and redirect_target(response) == reverse("admin:login"), page

