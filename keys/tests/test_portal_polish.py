"""Small things a new user meets: the create form starts on Test, each sidebar entry has its own icon, the
team switcher shows a long team name on hover, an empty list has no filter bar, the admin has an icon and
tells apart two teams with the same name."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.utils.html import escape

from accounts.services import organization_create
from conftest import login
from keys.services import key_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["keys/new", "signing-secrets/new", "certificates/new"])
def test_the_create_form_starts_on_test(client, alice, org, path) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    form = client.get(f"/orgs/{org.slug}/{path}").context["form"]
    assert form["environment"].value() == "test"


def test_every_sidebar_entry_has_its_own_icon_and_the_switcher_shows_full_names(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    html = client.get(f"/orgs/{org.slug}/").content.decode()
    nav = html[html.index('<nav class="sidebar-nav"') if '<nav class="sidebar-nav"' in html else html.index("<nav") :]
    nav = nav[: nav.index("</aside>")] if "</aside>" in nav else nav
    icons = re.findall(r"<li><a [^>]*>(<svg.*?</svg>)", nav, re.S)
    assert len(icons) >= 10 and len(set(icons)) == len(icons)
    assert f'class="team-name" title="{escape(org.name)}"' in html


def test_an_empty_list_has_no_filter_bar_but_a_filtered_one_keeps_it(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    assert b'class="filter-bar"' not in client.get(f"/orgs/{org.slug}/keys/").content
    assert b'class="filter-bar"' in client.get(f"/orgs/{org.slug}/keys/?q=nothing").content
    key_create(organization=org, actor=alice, name="One", scopes=["orders:read"])
    assert b'class="filter-bar"' in client.get(f"/orgs/{org.slug}/keys/").content


def test_the_admin_has_an_icon_and_tells_same_name_teams_apart(admin_client, alice, org, charlie) -> None:  # type: ignore[no-untyped-def]
    other = organization_create(name=org.name, user=charlie)
    key_create(organization=org, actor=alice, name="Ours", scopes=["orders:read"])
    key_create(organization=other, actor=charlie, name="Theirs", scopes=["orders:read"])
    page = admin_client.get("/admin/keys/apikey/").content.decode()
    assert escape(f"{org.name} ({org.slug})") in page and escape(f"{org.name} ({other.slug})") in page
    assert 'rel="icon"' in page and finders.find("img/favicon.svg")
