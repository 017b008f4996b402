"""The generic credential templates (templates/credentials/) and the per-kind pages built on them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from conftest import login
from keys.services import key_revoke, signing_secret_create, signing_secret_revoke

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _names() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("name", _names())
def test_every_template_compiles(name: str) -> None:
    """Every layout, partial and page parses: blocks balance and every extends/include names a template."""
    get_template(name)


@pytest.mark.parametrize("name", [n for n in _names() if not n.startswith("emails/")])
def test_no_inline_script_or_style(name: str) -> None:
    """The CSP forbids inline code on pages: no <script> bodies, no style attributes, no on* handlers.

    Emails are left out: mail clients ignore stylesheets, so they carry inline styles on purpose."""
    text = (TEMPLATES / name).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), name
    assert not re.search(r"\sstyle=", text), name
    assert not re.search(r"\son[a-z]+=\"", text), name


def _signer(org, alice):  # type: ignore[no-untyped-def]
    """A test signing secret named "Signer" with orders:read."""
    return signing_secret_create(
        organization=org, actor=alice, name="Signer", scopes=["orders:read"], environment="test"
    )[0]


@pytest.mark.django_db
def test_revoked_key_page_uses_shared_banner_and_hides_danger_zone(client, org, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(name="Old billing key")
    key_revoke(key=key, actor=alice, reason="leaked in CI")
    login(client, alice)
    body = client.get(reverse("keys:detail", args=[org.slug, key.id])).content.decode()
    assert "Requests with this key fail. Revoking can't be undone." in body
    assert "Reason: leaked in CI" in body
    assert 'id="manage-heading"' not in body  # no Manage card, so no revoke form, once revoked
    assert f'href="{reverse("keys:edit", args=[org.slug, key.id])}"' not in body


@pytest.mark.django_db
def test_active_signing_secret_page_has_danger_zone_with_its_own_words(client, org, alice) -> None:  # type: ignore[no-untyped-def]
    secret = _signer(org, alice)
    login(client, alice)
    body = client.get(reverse("keys:signing_detail", args=[org.slug, secret.id])).content.decode()
    assert f'action="{reverse("keys:signing_revoke", args=[org.slug, secret.id])}"' in body
    assert f'data-confirm="Revoke Signer ({secret.key_id})? Every request signed with it fails from now on.' in body
    assert ">Revoke signing secret</button>" in body
    assert f'href="{reverse("keys:signing_edit", args=[org.slug, secret.id])}"' in body
    signing_secret_revoke(secret=secret, actor=alice)
    body = client.get(reverse("keys:signing_detail", args=[org.slug, secret.id])).content.decode()
    assert "Requests signed with it fail. Revoking can't be undone." in body


@pytest.mark.django_db
def test_filtered_empty_list_offers_to_clear_the_filters(client, org, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    url = reverse("keys:signing_list", args=[org.slug])
    body = client.get(url, {"q": "nothing-matches"}).content.decode()
    assert "No signing secrets match these filters" in body
    assert f'<a href="{url}">Clear the filters</a> to see them all.' in body
    body = client.get(url).content.decode()
    assert "No signing secrets yet" in body
    assert "Create your first signing secret" in body


@pytest.mark.django_db
def test_outsider_gets_404_on_the_generic_pages(client, org, charlie, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(client, charlie)
    for url in (
        reverse("keys:detail", args=[org.slug, key.id]),
        reverse("keys:edit", args=[org.slug, key.id]),
        reverse("keys:signing_list", args=[org.slug]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_shared_grace_form_and_filter_buttons_keep_each_pages_words(client, org, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    """includes/grace_form.html builds each page's own confirm question; includes/filter_actions.html its Clear link."""
    key, _ = make_key(name="Billing")
    secret = _signer(org, alice)
    login(client, alice)
    body = client.get(reverse("keys:detail", args=[org.slug, key.id])).content.decode()
    assert f'action="{reverse("keys:roll", args=[org.slug, key.id])}" class="stack js-confirm"' in body
    assert (
        "data-confirm=\"Roll Billing? You'll get a new secret now; the current one stops working after the grace"
        ' period." data-confirm-button="Roll key"'
    ) in body
    body = client.get(reverse("keys:signing_detail", args=[org.slug, secret.id])).content.decode()
    assert "data-confirm=\"Rotate Signer? You'll get a new secret now;" in body
    assert ">Rotate secret</button>" in body
    url = reverse("keys:list", args=[org.slug])
    assert f'<a class="button button-ghost" href="{url}">Clear</a>' in client.get(url, {"q": "x"}).content.decode()
    assert f'<a class="button button-ghost" href="{url}">Clear</a>' not in client.get(url).content.decode()
