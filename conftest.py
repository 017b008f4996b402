"""Shared actors (after healthchecks): Alice owns the team, Bob is a developer in it, Vera a viewer,
and Charlie an outsider with a team of his own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Membership, Organization, Role, User
from accounts.services import user_signup
from keys.apikeys.cache import key_cache
from keys.services import key_create
from keys.usage import recorder
from lib.ratelimit_local import counters
from lib.redis import get_redis, namespaced

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config: pytest.Config) -> None:
    """Hash test passwords with a cheap hasher: Argon2 at its production cost (about 0.3 s and 100 MB a
    hash) dominated the suite's run time. Production keeps Argon2 first; accounts/tests proves it."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def _clean_counters() -> Iterator[None]:
    """Each test starts with empty caches (the key cache too), Redis counters (under the test prefix) and
    usage buffers."""
    cache.clear()
    key_cache.clear()
    counters.clear()
    recorder.drain()
    client = get_redis()
    if client is not None:
        keys = list(client.scan_iter(match=namespaced("*")))
        if keys:
            client.delete(*keys)
    yield
    recorder.drain()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks queued after commit run inline instead of reaching for a broker (an app's conftest makes it
    autouse where every test needs it)."""
    from config.celery_app import app

    # The app reads Django settings under the CELERY_ namespace, so the override needs the prefixed name.
    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = before


def _signed_up(name: str) -> Any:
    """A fixture named after `name`: a person who signed up (name@example.com), so with a team of their own."""

    @pytest.fixture(name=name.lower())
    def person(db: Any) -> User:
        return user_signup(email=f"{name.lower()}@example.com", password=PASSWORD, name=name)

    return person


def _own_team(user: User) -> Organization:
    """The team `user` got by signing up, which they own."""
    return Membership.objects.get(user=user).organization


alice = _signed_up("Alice")
charlie = _signed_up("Charlie")


@pytest.fixture
def org(alice: User) -> Organization:
    return _own_team(alice)


def _member(org: Organization, email: str, role: str) -> User:
    user = user_signup(email=email, password=PASSWORD)
    Membership.objects.create(organization=org, user=user, role=role)
    return user


@pytest.fixture
def bob(org: Organization) -> User:
    return _member(org, "bob@example.com", Role.DEVELOPER)


@pytest.fixture
def vera(org: Organization) -> User:
    return _member(org, "vera@example.com", Role.VIEWER)


@pytest.fixture
def charlie_org(charlie: User) -> Organization:
    return _own_team(charlie)


@pytest.fixture
def make_key(org: Organization, alice: User):  # type: ignore[no-untyped-def]
    """Create a key in Alice's team; returns (key, plaintext)."""

    def make(**kwargs: Any):  # type: ignore[no-untyped-def]
        kwargs.setdefault("organization", org)
        kwargs.setdefault("actor", alice)
        kwargs.setdefault("name", "Test key")
        kwargs.setdefault("scopes", ["orders:read"])
        return key_create(**kwargs)

    return make


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def key_client(plaintext: str) -> APIClient:
    """An API client that presents the key `plaintext` as its bearer credential."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def set_policy(org: Organization, **fields: Any) -> Any:
    """Give `org` a key-hygiene policy directly (the audited service is `keys.policies.services`)."""
    from keys.models import CredentialPolicy

    policy, _ = CredentialPolicy.objects.update_or_create(organization=org, defaults=fields)
    return policy


def login(client: Any, user: User, *, sudo: bool = True) -> Any:
    """Log a user in; with sudo=True the password was "just confirmed"."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if sudo:
        import time

        from accounts.services import SUDO_SESSION_KEY

        session = client.session
        session[SUDO_SESSION_KEY] = time.time() + 600
        session.save()
    return client


@pytest.fixture
def admin_client(client: Any, alice: User) -> Any:
    """A Django test client logged in as Alice, made a superuser."""
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture(scope="session")
def platform_signing_pem() -> str:
    from oauth.signing_keys import generate_pem

    return generate_pem(2048)


@pytest.fixture
def live_platform(live_server: Any, settings: Any, eager_celery: None, platform_signing_pem: str) -> str:
    """The platform on a live server, as an outside service sees it (the client kit's and the example's tests):
    a JWT signing key, the issuer and audience at the live server's URL, webhooks allowed to loopback."""
    url = str(live_server.url)
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_RETRY_SCHEDULE = None
    settings.SITE_URL = url
    settings.OAUTH_ISSUER = f"{url}/o"
    settings.OAUTH_ACCESS_TOKEN_AUDIENCE = f"{url}/api"
    settings.OIDC_RSA_PRIVATE_KEY = platform_signing_pem
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": platform_signing_pem,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [],
        "OIDC_ISS_ENDPOINT": f"{url}/o",
        "ALWAYS_RELOAD_OAUTHLIB_CORE": True,
    }
    return url


@pytest.fixture
def client_credentials_app(org: Organization, alice: User) -> tuple[str, str]:
    """A confidential OAuth app of Alice's team for the client_credentials grant (scope orders:read): id and secret."""
    from oauth.models import Application
    from oauth.services import application_create

    app, secret = application_create(
        organization=org,
        actor=alice,
        name="Nightly export",
        client_type=Application.CLIENT_CONFIDENTIAL,
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        redirect_uris=[],
        scopes=["orders:read"],
    )
    assert secret is not None
    return app.client_id, secret
