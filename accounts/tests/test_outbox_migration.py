"""The outbox moved from keys (keys.Notification) to accounts (accounts.OutboundEmail) without losing a row:
rows written at the old state are read back, unchanged, through the new model; permissions follow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD = [("keys", "0003_rotation_notices_alerts"), ("accounts", "0002_rotation_and_expiry_policy")]
NEW = [("keys", "0005_move_outbox_to_accounts"), ("accounts", "0003_outbound_email")]
SENT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.fixture
def old_state(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = _migrate(OLD)
    yield executor
    _migrate(executor.loader.graph.leaf_nodes())  # back to the latest state for the tests that follow


def test_queued_and_sent_emails_survive_the_move_to_accounts(old_state: MigrationExecutor) -> None:
    old = old_state.loader.project_state(OLD).apps
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

    new = _migrate(NEW).loader.project_state(NEW).apps

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


def test_the_move_can_be_undone_without_losing_rows(old_state: MigrationExecutor) -> None:
    old = old_state.loader.project_state(OLD).apps
    old.get_model("keys", "Notification").objects.create(template="key_rotated", recipients=["a@example.com"])
    _migrate(NEW)
    back = _migrate(OLD).loader.project_state(OLD).apps
    assert list(back.get_model("keys", "Notification").objects.values_list("template", flat=True)) == ["key_rotated"]
