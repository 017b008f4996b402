"""OAuth test fixtures: a signing key, apps in Alice's team, and a live server that speaks OAuth."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from accounts.models import Organization, User
from conftest import PASSWORD
from oauth import services
from oauth.models import Application
from oauth.signing_keys import generate_pem

# authlib refuses plain-http token endpoints unless told this is a test.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

REDIRECT_URI = "https://client.example.com/callback"


@pytest.fixture(scope="session")
def oidc_key() -> str:
    return generate_pem(2048)


@pytest.fixture(scope="session")
def old_oidc_key() -> str:
    return generate_pem(2048)


@pytest.fixture(autouse=True)
def oauth_settings(settings: Any, oidc_key: str) -> Any:
    """Every OAuth test signs with a generated key and rebuilds DOT's server from the current settings."""
    provider = dict(settings.OAUTH2_PROVIDER)
    provider.update(
        OIDC_ENABLED=True,
        OIDC_RSA_PRIVATE_KEY=oidc_key,
        OIDC_RSA_PRIVATE_KEYS_INACTIVE=[],
        ALWAYS_RELOAD_OAUTHLIB_CORE=True,
    )
    settings.OIDC_RSA_PRIVATE_KEY = oidc_key
    settings.OAUTH2_PROVIDER = provider
    return settings


def use_issuer(settings: Any, base_url: str) -> None:
    """Point the issuer (and so every endpoint URL we publish) at a live server."""
    issuer = f"{base_url}/o"
    settings.OAUTH_ISSUER = issuer
    settings.SITE_URL = base_url
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": issuer}


@pytest.fixture
def live_oauth(live_server: Any, settings: Any) -> str:
    use_issuer(settings, live_server.url)
    # The live server speaks plain http; a browser would not send Secure cookies back over it.
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_SECURE = False
    return str(live_server.url)


@pytest.fixture
def oauth_client() -> Iterator[Callable[..., OAuth2Session]]:
    """authlib sessions that are closed after the test, so no keep-alive connection outlives the live server."""
    opened: list[OAuth2Session] = []

    def make(*args: Any, **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(*args, **kwargs)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def make_app(org: Organization, alice: User) -> Callable[..., tuple[Application, str | None]]:
    def make(**kwargs: Any) -> tuple[Application, str | None]:
        kwargs.setdefault("organization", org)
        kwargs.setdefault("actor", alice)
        kwargs.setdefault("name", "Acme dashboard")
        kwargs.setdefault("client_type", Application.CLIENT_CONFIDENTIAL)
        kwargs.setdefault("grant_types", [Application.GRANT_AUTHORIZATION_CODE])
        kwargs.setdefault("redirect_uris", [REDIRECT_URI])
        kwargs.setdefault("scopes", ["orders:read"])
        return services.application_create(**kwargs)

    return make


@pytest.fixture
def device_app(make_app: Callable[..., tuple[Application, str | None]]) -> Application:
    """A public app of Alice's team that may use only the device grant."""
    app, _ = make_app(
        client_type=Application.CLIENT_PUBLIC,
        grant_types=[Application.GRANT_DEVICE_CODE],
        redirect_uris=[],
        name="TV app",
    )
    return app


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") and values.get("type") in ("hidden", None):
            self.fields[values["name"] or ""] = values.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


class Browser:
    """A person's browser against the live server: log in, then approve on the consent screen."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def login(self, email: str, password: str = PASSWORD) -> None:
        page = self.session.get(f"{self.base_url}/login/", timeout=10)
        token = hidden_inputs(page.text)["csrfmiddlewaretoken"]
        response = self.session.post(
            f"{self.base_url}/login/",
            data={"csrfmiddlewaretoken": token, "username": email, "password": password},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:500]

    def consent(self, authorize_url: str, *, allow: bool = True) -> str:
        """Open the authorize URL, submit the consent form, and return where the server sent us."""
        page = self.session.get(authorize_url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text[:500]
        data = hidden_inputs(page.text)
        if allow:
            data["allow"] = "Authorize"
        response = self.session.post(page.url, data=data, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        return str(response.headers["Location"])


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def browser(live_oauth: str) -> Iterator[Browser]:
    b = Browser(live_oauth)
    yield b
    b.session.close()
