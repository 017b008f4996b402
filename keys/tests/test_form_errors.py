"""A refused form says everything at once, at the top: a summary linking to each field, every bad CIDR
line, and a clear message for a name over the limit (which the browser no longer cuts silently)."""

from __future__ import annotations

import pytest

from conftest import login

pytestmark = pytest.mark.django_db

FORM = {"name": "Billing", "environment": "test", "expiry": "30d", "scope__orders": "read"}


def test_the_summary_links_to_each_field_and_lists_every_bad_network(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    response = client.post(
        f"/orgs/{org.slug}/keys/new",
        {**FORM, "name": "n" * 120, "allowed_networks": "10.0.0.0/8\nnot-a-network\n192.0.2.0/24\n300.1.1.1/8"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    summary = html[html.index('id="error-summary"') : html.index("</ul>", html.index('id="error-summary"'))]
    assert 'href="#id_name"' in summary and "Names are at most 100 characters; this one has 120." in summary
    assert 'href="#id_allowed_networks"' in summary
    assert "Line 2: &#x27;not-a-network&#x27;" in summary and "Line 4: &#x27;300.1.1.1/8&#x27;" in summary


def test_name_inputs_carry_no_maxlength_that_would_cut_a_paste_short(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    for path in ("keys/new", "signing-secrets/new", "apps/new", "certificate-authorities/new"):
        page = client.get(f"/orgs/{org.slug}/{path}").content.decode()
        name_input = page[page.index('name="name"') - 200 : page.index('name="name"') + 200]
        assert "maxlength" not in name_input, path
