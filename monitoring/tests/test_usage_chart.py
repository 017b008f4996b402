"""The key page's usage chart: server-rendered SVG bars, one label per day, a title per bar, a table with
the same numbers, and an hourly view with ?usage=hourly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from conftest import login
from keys.tests.jobs_helpers import NOW
from monitoring.tests.helpers import buckets
from monitoring.usage_chart import MIN_BAR, bar_chart

SLOT = re.compile(rb'<g class="chart-slot">(.*?)</g>', re.S)
TITLE = re.compile(rb"<title>([^<]*): (\d+) requests?, (\d+) auth failures?</title>")
ROW = re.compile(rb'<tr><th scope="row">([^<]*)</th><td class="num">(\d+)</td><td class="num">(\d+)</td></tr>')


def _page(client, alice, key, query: str = "") -> bytes:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.get(f"/orgs/{key.organization.slug}/keys/{key.id}/{query}")
    assert page.status_code == 200
    return bytes(page.content)


def _slots(content: bytes) -> list[bytes]:
    return SLOT.findall(content)


@pytest.mark.django_db
def test_the_daily_chart_has_one_labelled_bar_per_day_with_its_value(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    with time_machine.travel(NOW, tick=False):
        buckets(key, [5], end=NOW, failures=[2])
        buckets(key, [40], end=NOW - timedelta(days=3))
        content = _page(client, alice, key)
    slots = _slots(content)
    assert len(slots) == 7
    assert sum(b'class="chart-label"' in s for s in slots) == 7  # 7 labels for 7 days
    titles = [TITLE.search(s) for s in slots]
    assert all(titles)
    values = [(t.group(1), int(t.group(2)), int(t.group(3))) for t in titles if t]
    assert values[-1] == (NOW.date().isoformat().encode(), 5, 2)
    assert values[-4] == ((NOW - timedelta(days=3)).date().isoformat().encode(), 40, 0)
    assert sum(r for _, r, _ in values) == 45
    table = [(d, int(r), int(f)) for d, r, f in ROW.findall(content)]
    assert sorted(table) == sorted(values)  # the table holds the same numbers as the bars
    assert b'role="img"' in content and b"Requests per day, last 7 days" in content


@pytest.mark.django_db
def test_the_hourly_view_has_24_bars(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    with time_machine.travel(NOW, tick=False):
        buckets(key, [1, 0, 9], end=NOW)
        content = _page(client, alice, key, "?usage=hourly")
    slots = _slots(content)
    assert len(slots) == 24 and all(TITLE.search(s) for s in slots)
    assert b"Requests per hour, last 24 hours" in content
    assert b"9 requests, 0 auth failures" in content and b"1 request, 0 auth failures" in content
    assert len(ROW.findall(content)) == 24
    assert b'aria-current="true">Last 24 hours' in content


@pytest.mark.django_db
def test_a_key_without_usage_renders_a_baseline_and_zeros(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    content = _page(client, alice, key)
    slots = _slots(content)
    assert len(slots) == 7 and all(b"0 requests, 0 auth failures" in s for s in slots)
    assert b'class="chart-bar"' not in content and b'class="chart-baseline"' in content
    assert [int(r) for _, r, _ in ROW.findall(content)] == [0] * 7


def test_small_values_stay_visible_and_bars_are_wide_enough() -> None:
    rows = [(f"2026-01-0{i + 1}", v, 0) for i, v in enumerate([10_000, 1, 0])]
    chart = bar_chart(rows, hourly=False)
    bars = chart["bars"]
    assert isinstance(bars, list)
    assert bars[1].height == MIN_BAR and bars[2].height == 0
    assert all(b.width >= 4 for b in bars)
    assert bars[0].y + bars[0].height == chart["baseline"]
