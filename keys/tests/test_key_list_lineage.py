"""The key list and detail tell a rolled key from its successor, and a revoked key says nothing about
when it stops working or expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import login
from keys.services import key_create, key_revoke, key_roll

pytestmark = pytest.mark.django_db


def _row(html: str, key_id: str) -> str:
    start = html.rindex("<tr", 0, html.index(f'truncate" href="/orgs/alices-team/keys/{key_id}/"'))
    return html[start : html.index("</tr>", start)]


def test_the_list_links_a_rolled_key_and_its_marked_successor(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = key_create(organization=org, actor=alice, name="Billing", scopes=["orders:read"], environment="test")
    successor, _ = key_roll(key=key, actor=alice, grace=timedelta(hours=1))
    login(client, alice)
    html = client.get(f"/orgs/{org.slug}/keys/").content.decode()
    old_row, new_row = _row(html, key.id), _row(html, successor.id)
    assert f'Rolled to <a href="/orgs/{org.slug}/keys/{successor.id}/">' in old_row
    assert "Successor</span> of" in new_row and f'href="/orgs/{org.slug}/keys/{key.id}/"' in new_row
    assert "Successor" not in old_row


def test_a_revoked_key_shows_no_rolling_or_expiry(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = key_create(organization=org, actor=alice, name="Billing", scopes=["orders:read"], environment="test")
    key_roll(key=key, actor=alice, grace=timedelta(days=1))
    key_revoke(key=key, actor=alice, reason="leaked")
    login(client, alice)
    detail = client.get(f"/orgs/{org.slug}/keys/{key.id}/").content.decode()
    assert "Stops working" not in detail and "badge-state-rolling" not in detail
    row = _row(client.get(f"/orgs/{org.slug}/keys/").content.decode(), key.id)
    assert "<time" not in row.split("</td>")[4] and "Revoked" in row.split("</td>")[4]


def test_a_long_name_is_cut_with_an_ellipsis_and_kept_whole_in_its_title(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    name = "A" * 100
    key, _ = key_create(organization=org, actor=alice, name=name, scopes=["orders:read"], environment="test")
    login(client, alice)
    row = _row(client.get(f"/orgs/{org.slug}/keys/").content.decode(), key.id)
    assert f'class="row-title truncate" href="/orgs/{org.slug}/keys/{key.id}/" title="{name}"' in row


def test_each_row_repeats_its_status_for_phones(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = key_create(organization=org, actor=alice, name="Billing", scopes=["orders:read"], environment="test")
    login(client, alice)
    name_cell = _row(client.get(f"/orgs/{org.slug}/keys/").content.decode(), key.id).split("</td>")[0]
    assert 'class="phone-status"><span class="badge badge-state-active">Active</span>' in name_cell
