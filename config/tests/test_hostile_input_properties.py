"""Issue 10 (DESIGN 9): hostile input never gets a 5xx and never leaves a traceback in the log.

Hypothesis throws odd structures (deep nesting, huge numbers, strings where objects go, JWT-shaped
garbage, non-ASCII Basic credentials) at every authentication class we ship and at every JSON
endpoint the URLconf routes to a DRF view. Example counts are small, so the file runs in seconds.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from conftest import key_client
from keys import authentication as key_auth
from oauth import authentication as oauth_auth

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# --- strategies --------------------------------------------------------------------------------

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
structures = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)


def nested(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


deep_documents = st.builds(nested, st.integers(min_value=900, max_value=3000), st.sampled_from(["list", "object"]))
bodies = structures.map(json.dumps) | deep_documents | st.binary(max_size=40).map(lambda b: b.decode("latin-1"))


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


jwt_like = st.builds(
    lambda header, payload: f"eyJ{b64url(header)[3:]}.{b64url(payload)}.c2ln" if header.startswith("{") else header,
    structures.map(json.dumps) | deep_documents,
    structures.map(json.dumps) | deep_documents | st.just('{"exp": 1e18}'),
)
latin1 = st.text(alphabet=st.characters(max_codepoint=255, exclude_categories=("Cs",)), max_size=60)
header_values = latin1 | jwt_like | st.builds(lambda v: f"ak_live_{v}", latin1)

# --- what is under test --------------------------------------------------------------------------


def authentication_classes() -> list[type[BaseAuthentication]]:
    found = []
    for module in (key_auth, oauth_auth):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseAuthentication)
                and cls.__module__ == module.__name__
                and "authenticate" in vars(cls)
            ):
                found.append(cls)
    return found


def json_endpoints() -> list[str]:
    """Every URL the URLconf routes to a DRF view, with its parameters filled in."""
    paths: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "cls", None)
                if view is not None and issubclass(view, APIView) and not route.startswith("^"):
                    paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", "x1", route))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


@pytest.fixture
def caller(make_key) -> APIClient:  # type: ignore[no-untyped-def]
    from keys import scopes

    _, plaintext = make_key(scopes=list(scopes.all_scopes()))
    return key_client(plaintext)


def assert_no_traceback(caplog: Any) -> None:
    noisy = [r for r in caplog.records if r.exc_info or (r.name == "django.request" and r.levelno >= logging.ERROR)]
    assert not noisy and "Traceback" not in caplog.text, [r.getMessage() for r in noisy]


# --- the properties ------------------------------------------------------------------------------


def test_the_inventory_is_not_empty() -> None:
    assert len(authentication_classes()) >= 5
    endpoints = json_endpoints()
    assert "/api/v1/verify" in endpoints and "/api/v1/keys/" in endpoints and len(endpoints) > 15


@FAST
@given(value=header_values, scheme=st.sampled_from(["Bearer ", "Basic ", "", "bearer "]))
def test_every_authentication_class_answers_hostile_headers_with_none_or_a_4xx(
    settings: Any, caplog: Any, value: str, scheme: str
) -> None:
    settings.MTLS_TRUSTED_PROXIES = ["127.0.0.0/8"]
    meta = {
        "HTTP_AUTHORIZATION": scheme + value,
        "HTTP_X_API_KEY": value,
        "HTTP_SIGNATURE_INPUT": f"sig1={value}",
        "HTTP_SIGNATURE": f"sig1=:{value}:",
        "HTTP_CONTENT_DIGEST": value,
        "HTTP_X_CLIENT_CERT": value,
        "REMOTE_ADDR": "127.0.0.1",
    }
    for cls in authentication_classes():
        for drop in ((), ("HTTP_AUTHORIZATION",), ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY")):
            request = Request(APIRequestFactory().post("/x", data=value, content_type="application/json"))
            for name, header in meta.items():
                if name not in drop:
                    request._request.META[name] = header
            try:
                cls().authenticate(request)
            except exceptions.APIException as exc:
                assert exc.status_code < 500, (cls.__name__, exc)
    assert_no_traceback(caplog)


@FAST
@given(body=bodies, method=st.sampled_from(["post", "put", "patch"]))
def test_every_json_endpoint_answers_hostile_bodies_below_500(
    caller: APIClient, caplog: Any, body: str, method: str
) -> None:
    caller.raise_request_exception = False  # type: ignore[attr-defined]
    for path in json_endpoints():
        response = getattr(caller, method)(
            path, data=body.encode("utf-8", "surrogatepass"), content_type="application/json"
        )
        assert response.status_code < 500, (method, path, response.content[:200])
    assert_no_traceback(caplog)


def test_every_json_endpoint_refuses_a_body_nested_a_thousand_levels_deep(caller: APIClient, caplog: Any) -> None:
    caller.raise_request_exception = False  # type: ignore[attr-defined]
    body = nested(1500, "object")
    malformed = []
    for path in json_endpoints():
        response = caller.post(path, data=body, content_type="application/json")
        assert response.status_code < 500, (path, response.content[:200])
        if response.status_code == 400:
            malformed.append(response.json()["error"]["code"])
    assert malformed and set(malformed) <= {"malformed_request"}
    assert_no_traceback(caplog)
