"""The move of the usage, alert and notice models from keys/ to monitoring/ loses no row (issue 9).

Migrate back to keys 0003 (before the move), write rows through the historical keys models, migrate
forward, and read every row back through monitoring's models. Runs on SQLite and on PostgreSQL
(`DATABASE_URL=postgres://… pytest monitoring/tests/test_migration.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from lib.tests.migrations import apps_at, latest, migrate
from monitoring.models import Alert, AlertStatus, ExpiryNotice, UsageBucket, UsageNetwork, UsageRollupBatch

KEYS_0003 = ("keys", "0003_rotation_notices_alerts")
BEFORE: list[tuple[str, str | None]] = [KEYS_0003, ("monitoring", None)]
HOUR = datetime(2030, 3, 4, 12, tzinfo=UTC)
MOVED = ("alert", "usagenetwork", "expirynotice", "usagebucket", "usagerollupbatch")


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it() -> None:
    back = latest()
    old = apps_at(BEFORE, [KEYS_0003])
    # Undoing the move relabelled the content types back to `keys`, as a database from before the move has
    # them; a team of admins granted `keys.change_alert` then must keep its grant through the move.
    alert_type = ContentType.objects.get(app_label="keys", model="alert")
    assert not ContentType.objects.filter(app_label="monitoring").exists()
    admins = Group.objects.create(name="alert admins")
    admins.permissions.add(Permission.objects.get(content_type=alert_type, codename="change_alert"))

    org = old.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
    key = old.get_model("keys", "APIKey").objects.create(
        id="Ab3dEf7h", prefix="ak", environment="test", secret_hash="h" * 64, name="Billing", organization=org
    )
    old.get_model("keys", "UsageBucket").objects.create(key=key, hour=HOUR, requests=120, failures=3)
    old.get_model("keys", "UsageNetwork").objects.create(
        key=key, hour=HOUR, network="192.0.2.0/24", requests=120, blocked=1
    )
    old.get_model("keys", "UsageRollupBatch").objects.create(batch_id="batch-1")
    old.get_model("keys", "Alert").objects.create(
        organization=org, key=key, kind="spike", hour=HOUR, observed=2000.0, baseline=100.0, details={"sigma": 9.5}
    )
    old.get_model("keys", "ExpiryNotice").objects.create(
        organization=org, credential_kind="api_key", credential_id=key.pk, threshold_days=7, expires_at=HOUR
    )

    migrate(back)

    bucket = UsageBucket.objects.get()
    assert (bucket.key_id, bucket.hour, bucket.requests, bucket.failures) == ("Ab3dEf7h", HOUR, 120, 3)
    network = UsageNetwork.objects.get()
    assert (network.network, network.requests, network.blocked) == ("192.0.2.0/24", 120, 1)
    assert UsageRollupBatch.objects.get().batch_id == "batch-1"
    alert = Alert.objects.select_related("organization", "key").get()
    assert (alert.organization.slug, alert.key.name, alert.status) == ("acme", "Billing", AlertStatus.OPEN)
    assert (alert.observed, alert.baseline, alert.details) == (2000.0, 100.0, {"sigma": 9.5})
    notice = ExpiryNotice.objects.get()
    assert (notice.credential_id, notice.threshold_days, notice.expires_at) == ("Ab3dEf7h", 7, HOUR)
    # The content type moved with the model, so the grant follows it under its new name.
    alert_type.refresh_from_db()
    assert alert_type.app_label == "monitoring"
    granted = admins.permissions.get()
    assert (granted.codename, granted.content_type) == ("change_alert", ContentType.objects.get_for_model(Alert))
    assert not ContentType.objects.filter(app_label="keys", model__in=MOVED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone_without_losing_a_row(make_key) -> None:  # type: ignore[no-untyped-def]
    back = latest()
    key, _ = make_key(environment="test")
    UsageBucket.objects.create(key=key, hour=HOUR, requests=5)
    old = apps_at(BEFORE, [KEYS_0003])
    assert old.get_model("keys", "UsageBucket").objects.get().requests == 5
    assert ContentType.objects.filter(app_label="keys", model="usagebucket").exists()
    migrate(back)
    assert UsageBucket.objects.get().requests == 5
