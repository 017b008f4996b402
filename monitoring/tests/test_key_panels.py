"""Monitoring hangs its cards onto keys' pages through keys/panels.py, and keys never imports monitoring."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.template import Context, Template

from conftest import login
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.core.panels import SLOTS, panels_for, register_panel
from keys.models import APIKey
from keys.tests.jobs_helpers import NOW
from monitoring.models import Alert, AlertKind
from monitoring.tests.helpers import buckets, networks

DAY = timedelta(days=1)
KEYS = Path(__file__).resolve().parents[2] / "keys"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_keys_never_imports_monitoring() -> None:
    """The app code, that is: keys' tests may drive monitoring's jobs beside the API (test_no_deadlocks)."""
    offenders = [
        str(path.relative_to(KEYS.parent))
        for path in KEYS.rglob("*.py")
        if "tests" not in path.relative_to(KEYS).parts
        and any(name == "monitoring" or name.startswith("monitoring.") for name in _imports(path))
    ]
    assert offenders == []


def test_monitoring_fills_every_slot_it_uses_once() -> None:
    templates = {slot: [p.template for p in panels_for(slot)] for slot in SLOTS}
    assert templates["key.main"] == ["monitoring/_usage_chart.html"]
    assert templates["key.top"] == ["monitoring/_key_top.html"]
    assert templates["dashboard.stats"] == ["monitoring/_dashboard_requests.html"]
    assert templates["page.banner"] == ["monitoring/_alerts_banner.html"]


def test_an_unknown_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown panel slot"):
        register_panel("key.sidebar", "x.html", lambda context: {})


def test_a_panel_whose_context_is_none_renders_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    rendered = Template('{% load panels %}[{% panels "key.main" %}]').render(Context({}))
    assert rendered == "[]"  # no key in the context: the usage chart stays out


@pytest.mark.django_db
def test_the_key_page_shows_its_usage_chart(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    with time_machine.travel(NOW, tick=False):
        buckets(key, [5, 7], end=NOW, failures=[0, 2])
        login(client, alice)
        page = client.get(f"/orgs/{key.organization.slug}/keys/{key.id}/")
    assert page.status_code == 200
    assert b'id="usage-heading"' in page.content and b'class="chart-svg"' in page.content
    assert b"12 requests and 2 authentication failures in the last 7 days" in page.content


@pytest.mark.django_db
def test_the_dashboard_counts_the_requests_of_all_keys(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    first, _ = make_key(environment="test")
    second, _ = make_key(environment="test")
    from django.utils import timezone

    buckets(first, [1200], end=timezone.now())
    buckets(second, [34], end=timezone.now())
    login(client, alice)
    page = client.get(f"/orgs/{first.organization.slug}/")
    assert b"Requests, last 7 days" in page.content and b"1,234" in page.content


@pytest.mark.django_db
def test_the_key_page_lists_the_keys_open_alerts(client, alice, make_key, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    Alert.objects.create(
        organization=org, key=key, kind=AlertKind.NEW_NETWORK, subject="198.51.100.0/24", hour=NOW, observed=3
    )
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/keys/{key.id}/")
    assert b"Usage alerts on this key" in page.content and b"198.51.100.0/24" in page.content
    assert b"1 open usage alert" in page.content  # the banner of the layout, from the same registry


@pytest.mark.django_db
def test_an_outsider_sees_neither_the_key_page_nor_its_panels(client, charlie, make_key, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    Alert.objects.create(organization=org, key=key, kind=AlertKind.SPIKE, hour=NOW, observed=900)
    login(client, charlie)
    page = client.get(f"/orgs/{org.slug}/keys/{key.id}/")
    assert page.status_code == 404 and b"usage alert" not in page.content


@pytest.mark.django_db
def test_the_rolling_key_page_shows_who_is_still_on_it(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test")
        rotation_policy_set(key=key, actor=alice, interval=7 * DAY, grace=2 * DAY)
        traveller.shift(7 * DAY)
        rotation_run()
        successor = APIKey.objects.get(predecessor=key)
        networks(key, "198.51.100.0/24", hours=[NOW + 7 * DAY], requests=42)
        APIKey.objects.filter(pk=key.pk).update(last_used_at=NOW + 7 * DAY, last_used_ip="198.51.100.9")
        login(client, alice)
        page = client.get(f"/orgs/{key.organization.slug}/keys/{key.id}/")
        assert b"Who is still on this key" in page.content
        assert b"198.51.100.0/24" in page.content and b"198.51.100.9" in page.content
        assert successor.display_prefix.encode() in page.content
