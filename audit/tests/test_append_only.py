from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_an_event_records_who_what_and_where(rf, alice, org) -> None:  # type: ignore[no-untyped-def]
    request = rf.post("/", HTTP_USER_AGENT="pytest-agent", REMOTE_ADDR="192.0.2.4")
    event = audit_record(
        action="thing.done",
        organization=org,
        actor=alice,
        target_type="thing",
        target_id="7",
        request=request,
        metadata={"a": 1},
    )
    event.refresh_from_db()
    assert (event.actor, event.actor_label, event.organization, event.ip, event.user_agent) == (
        alice,
        "alice@example.com",
        org,
        "192.0.2.4",
        "pytest-agent",
    )
    assert event.metadata == {"a": 1}


def test_orm_refuses_update_and_delete(alice) -> None:  # type: ignore[no-untyped-def]
    event = audit_record(action="thing.done", actor=alice)
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_postgres_refuses_raw_update_and_delete(alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's (runs in CI)")
    event = audit_record(action="thing.done", actor=alice)
    for sql in ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])


def test_one_actor_label_for_people_credentials_and_the_system(alice) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from audit.services import actor_label_of

    assert actor_label_of(alice) == "alice@example.com"
    assert actor_label_of(None) == "system"
    assert actor_label_of(SimpleNamespace(display_prefix="ak_live_3fQ9xK2m", kind="api_key")) == "key ak_live_3fQ9xK2m"
    assert actor_label_of(SimpleNamespace(kind="signing_secret", display_id="hss_abc")) == "signing secret hss_abc"
    event = audit_record(action="x.y", actor=SimpleNamespace(kind="client_certificate", display_id="7", pk=7))
    assert event.actor is None and event.actor_label == "client certificate 7"
