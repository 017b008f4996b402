"""The outbox moved from keys (keys.Notification) to accounts (accounts.OutboundEmail) without losing a row:
rows written at the old state are read back, unchanged, through the new model; permissions follow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.apps.registry import Apps

from lib.tests.migrations import apps_at, migrate, migrated_to

OLD = [("keys", "0003_rotation_notices_alerts"), ("accounts", "0002_rotation_and_expiry_policy")]
NEW = [("keys", "0005_move_outbox_to_accounts"), ("accounts", "0003_outbound_email")]
SENT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def old_state(transactional_db: None) -> Iterator[Apps]:
    """The models at OLD; back to the latest state afterwards, for the tests that follow."""
    with migrated_to(OLD) as old:
        yield old


def test_queued_and_sent_emails_survive_the_move_to_accounts(old_state: Apps) -> None:
    old = old_state
    organization = old.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
    notification = old.get_model("keys", "Notification")
    waiting = notification.objects.create(
        organization=organization,
        template="key_expiring",
        context={"name": "Billing", "days_left": 7},
        recipients=["alice@example.com"],
        attempts=2,
        last_error="smtp down",
    )
    sent = notification.objects.create(
        organization=None, template="usage_anomaly", recipients=["bob@example.com"], sent_at=SENT, attempts=1
    )
    content_type = old.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="accounts", model="outboundemail").delete()
    keys_type, _ = content_type.objects.get_or_create(app_label="keys", model="notification")
    permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=keys_type, codename="change_notification", defaults={"name": "Can change email notification"}
    )
    group = old.get_model("auth", "Group").objects.create(name="Support")
    group.permissions.add(permission)

    new = apps_at(NEW)

    outbound = new.get_model("accounts", "OutboundEmail")
    assert outbound._meta.db_table == "keys_notification"
    rows = {row.pk: row for row in outbound.objects.all()}
    assert set(rows) == {waiting.pk, sent.pk}
    moved = rows[waiting.pk]
    assert (moved.organization_id, moved.template, moved.context, moved.recipients) == (
        organization.pk,
        "key_expiring",
        {"name": "Billing", "days_left": 7},
        ["alice@example.com"],
    )
    assert (moved.sent_at, moved.cancelled_at, moved.attempts, moved.last_error) == (None, None, 2, "smtp down")
    assert (rows[sent.pk].sent_at, rows[sent.pk].organization_id) == (SENT, None)
    with pytest.raises(LookupError):
        new.get_model("keys", "Notification")
    granted = new.get_model("auth", "Group").objects.get(name="Support").permissions.get()
    assert (granted.content_type.app_label, granted.content_type.model, granted.codename) == (
        "accounts",
        "outboundemail",
        "change_outboundemail",
    )


def test_the_move_can_be_undone_without_losing_rows(old_state: Apps) -> None:
    old = old_state
    old.get_model("keys", "Notification").objects.create(template="key_rotated", recipients=["a@example.com"])
    migrate(NEW)
    back = apps_at(OLD)
    assert list(back.get_model("keys", "Notification").objects.values_list("template", flat=True)) == ["key_rotated"]
