"""Acknowledging or resolving an alert locks the alert row only, never its organization (`of=("self",)`),
so a long transaction on the team (settings, memberships) does not stall the alert page."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Organization
from keys.tests.jobs_helpers import NOW
from lib.tests.concurrency import held_open
from monitoring.models import Alert, AlertKind, AlertStatus
from monitoring.services import alert_acknowledge, alert_resolve


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_acting_on_an_alert_does_not_wait_for_a_lock_on_its_organization(make_key, org, alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (runs in CI)")
    key, _ = make_key(environment="test")
    alert = Alert.objects.create(organization=org, key=key, kind=AlertKind.SPIKE, hour=NOW, observed=900)
    with held_open(lambda: Organization.objects.select_for_update().get(pk=org.pk), timeout=10):
        try:
            with connection.cursor() as cursor:
                # Locking the organization too would wait for the holder: fail fast instead of hanging.
                cursor.execute("SET lock_timeout = '2s'")
            assert alert_acknowledge(alert=alert, actor=alice).status == AlertStatus.ACKNOWLEDGED
            assert alert_resolve(alert=alert, actor=alice).status == AlertStatus.RESOLVED
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
