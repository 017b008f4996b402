"""Issue 10: an app's logo and redirect URIs reach the consent page's CSP only as normalised origins."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from conftest import login
from oauth.endpoints import CSP, page_csp
from oauth.models import Application
from oauth.tests.test_authorize_refusals import authorize_url

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "https://logo.example;frame-ancestors https:;x/logo.png",
    "https://logo.example,https://evil.example/logo.png",
    "https://logo.example/ 'unsafe-inline'",
    'https://logo.example/"x',
    "https://logo.example\tform-action */x.png",
]


def directives(policy: str) -> list[str]:
    return [part.strip().split()[0] for part in policy.split(";") if part.strip()]


@pytest.mark.parametrize("logo", INJECTIONS)
def test_a_logo_url_that_could_add_directives_is_refused(make_app, logo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="plain https"):
        make_app(logo_url=logo)


@pytest.mark.parametrize("logo", INJECTIONS)
def test_a_stored_hostile_logo_never_reaches_the_policy(make_app, logo) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    Application.objects.filter(pk=app.pk).update(logo_url=logo)  # as an old row or the admin might hold it
    app.refresh_from_db()
    policy = page_csp(app, consent=True)
    assert directives(policy) == directives(CSP)
    assert "img-src 'self' data:;" in policy and "frame-ancestors 'none'" in policy


def test_the_consent_page_allows_exactly_the_logo_origin_and_the_redirect_origins(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(
        logo_url="https://CDN.example.com:8443/logo.png?size=40",
        redirect_uris=["https://client.example.com/callback", "http://[::1]:8765/cb"],
    )
    login(client, alice)
    page = client.get(authorize_url(app))
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example.com:8443;" in policy
    assert "form-action 'self' http://[::1]:8765 https://client.example.com" in policy
    assert directives(policy) == directives(CSP)
