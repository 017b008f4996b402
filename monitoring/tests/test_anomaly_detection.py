"""Each anomaly detector fires on a crafted series and stays quiet on a normal one; alerts dedupe and cool down."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine

from keys.tests.jobs_helpers import NOW, events, hour, send_queued_emails
from monitoring.models import Alert, AlertKind, AlertStatus, UsageBucket
from monitoring.services import alert_resolve, anomaly_scan
from monitoring.tests.helpers import buckets, networks

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def steady(n: int, level: int, *, seed: int = 7, spread: int = 10) -> list[int]:
    rng = random.Random(seed)
    return [max(0, level + rng.randint(-spread, spread)) for _ in range(n)]


@pytest.fixture
def old_key(make_key):  # type: ignore[no-untyped-def]
    """Make keys created ten days before NOW (past every learning window)."""

    def make(**kwargs):  # type: ignore[no-untyped-def]
        with time_machine.travel(NOW - 10 * DAY, tick=False):
            kwargs.setdefault("environment", "test")
            return make_key(**kwargs)[0]

    return make


def scan():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        return anomaly_scan()


def test_a_spike_raises_one_alert_and_normal_traffic_none(old_key, hook) -> None:  # type: ignore[no-untyped-def]
    spiky, normal = old_key(name="spiky"), old_key(name="normal")
    buckets(spiky, [*steady(168, 100), 2000], end=NOW)
    buckets(normal, [*steady(168, 100, seed=3), 125], end=NOW)
    result = scan()
    [alert] = result.raised
    assert (alert.key_id, alert.kind, alert.observed) == (spiky.id, AlertKind.SPIKE, 2000)
    assert 85 < alert.baseline < 115 and alert.threshold >= 5 * alert.baseline
    assert scan().raised == []  # deduplicated while unresolved
    assert Alert.objects.count() == 1
    [event] = events("usage.anomaly")
    assert event["data"]["kind"] == "spike" and event["data"]["key"]["id"] == spiky.id
    [email] = send_queued_emails()
    assert "traffic spike on spiky" in email.subject and "2000 requests" in email.body
    assert email.alternatives[0][1] == "text/html"


def test_the_baseline_is_the_ewma_of_the_hours_before(old_key, settings) -> None:  # type: ignore[no-untyped-def]
    key = old_key()
    series = steady(168, 200, spread=60)
    buckets(key, [*series, 5000], end=NOW)
    [alert] = scan().raised
    lam, ewma = settings.ANOMALY_EWMA_LAMBDA, 0.0
    for x in series:  # the textbook recursion, oldest first
        ewma = lam * x + (1 - lam) * ewma
    assert alert.baseline == pytest.approx(ewma / (1 - (1 - lam) ** 168), abs=0.01)


@pytest.mark.parametrize(
    ("history", "current", "why"),
    [
        ([*steady(168, 2, spread=2)], 60, "below the minimum volume"),
        ([*steady(168, 400, spread=40)], 1200, "only 3x the baseline"),
        ([0] * 160 + [300, 20, 350, 10, 400, 5, 380, 15], 700, "within 3 sigma of a bursty key"),
    ],
)
def test_volume_that_is_not_anomalous_stays_quiet(old_key, history, current, why) -> None:  # type: ignore[no-untyped-def]
    buckets(old_key(), [*history, current], end=NOW)
    assert scan().raised == [], why


def test_a_young_key_has_no_baseline_yet(make_key) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW - 3 * HOUR, tick=False):
        key, _ = make_key(environment="test")
    buckets(key, [0, 0, 5000], end=NOW)
    assert scan().raised == []


def test_a_burst_of_failures_for_one_key_id_raises_an_alert(old_key) -> None:  # type: ignore[no-untyped-def]
    attacked, noisy = old_key(name="attacked"), old_key(name="noisy")
    buckets(attacked, [50] * 169, failures=[*steady(168, 1, spread=1), 400], end=NOW)
    buckets(noisy, [50] * 169, failures=[*steady(168, 30, spread=5), 40], end=NOW)
    [alert] = scan().raised
    assert (alert.key_id, alert.kind, alert.observed) == (attacked.id, AlertKind.FAILURES, 400)


def test_use_from_a_new_network_after_the_learning_window_raises_an_alert(old_key) -> None:  # type: ignore[no-untyped-def]
    moved, steady_key, learning, allowlisted = (old_key(name=n) for n in ("moved", "steady", "learning", "allow"))
    history = [NOW - timedelta(hours=h) for h in range(2, 24 * 9, 6)]
    for key in (moved, steady_key, allowlisted):
        networks(key, "203.0.113.0/24", hours=history)
    networks(learning, "203.0.113.0/24", hours=[NOW - timedelta(hours=h) for h in range(2, 24 * 3, 6)])
    networks(moved, "198.51.100.0/24", hours=[NOW])
    networks(steady_key, "203.0.113.0/24", hours=[NOW])
    networks(learning, "198.51.100.0/24", hours=[NOW])
    allowlisted.allowed_networks = ["203.0.113.0/24", "198.51.100.0/24"]
    allowlisted.save()
    networks(allowlisted, "198.51.100.0/24", hours=[NOW])
    [alert] = scan().raised
    assert (alert.key_id, alert.kind, alert.subject) == (moved.id, AlertKind.NEW_NETWORK, "198.51.100.0/24")
    # Another new network is another alert; the same one again is not.
    networks(moved, "2001:db8:7::/48", hours=[NOW])
    [second] = scan().raised
    assert second.subject == "2001:db8:7::/48"


def test_attempts_from_outside_the_allowed_networks_raise_an_alert(old_key) -> None:  # type: ignore[no-untyped-def]
    fenced = old_key(allowed_networks=["10.0.0.0/8"])
    networks(fenced, "192.0.2.0/24", hours=[NOW], requests=0, blocked=3)
    networks(fenced, "198.51.100.0/24", hours=[NOW - HOUR], requests=0, blocked=1)
    networks(old_key(), "192.0.2.0/24", hours=[NOW], requests=5)
    [alert] = scan().raised
    assert (alert.key_id, alert.kind, alert.observed) == (fenced.id, AlertKind.BLOCKED_NETWORK, 4)
    assert alert.details["networks"] == ["192.0.2.0/24", "198.51.100.0/24"]


def test_the_cooldown_holds_after_an_alert_is_resolved(old_key, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ANOMALY_COOLDOWN_HOURS = 6
    key = old_key()
    buckets(key, [*steady(168, 100), 2000], end=NOW)
    [alert] = scan().raised
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        alert_resolve(alert=alert, actor=alice)
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        assert anomaly_scan().raised == []  # the same spike, just resolved: quiet
    later = NOW + 5 * HOUR
    UsageBucket.objects.create(key=key, hour=hour(later), requests=2500)
    with time_machine.travel(later, tick=False):
        assert anomaly_scan().raised == []  # a new spike, but within the cooldown
    much_later = NOW + 7 * HOUR
    UsageBucket.objects.create(key=key, hour=hour(much_later), requests=10000)
    with time_machine.travel(much_later, tick=False):
        [again] = anomaly_scan().raised
    assert again.pk != alert.pk and again.observed == 10000
    assert list(Alert.objects.values_list("status", flat=True).order_by("pk")) == [
        AlertStatus.RESOLVED,
        AlertStatus.OPEN,
    ]


def test_an_anomaly_that_goes_on_updates_its_open_alert(old_key) -> None:  # type: ignore[no-untyped-def]
    key = old_key()
    buckets(key, [*steady(168, 100), 2000], end=NOW)
    assert len(scan().raised) == 1
    UsageBucket.objects.filter(key=key, hour=hour(NOW)).update(requests=2600)  # more arrived within the hour
    result = scan()
    assert (result.raised, result.updated) == ([], 1)
    next_hour = NOW + HOUR
    UsageBucket.objects.create(key=key, hour=hour(next_hour), requests=40000)
    with time_machine.travel(next_hour, tick=False):
        assert anomaly_scan().raised == []
    alert = Alert.objects.get()
    assert (alert.occurrences, alert.observed, alert.hour) == (2, 40000, hour(next_hour))
