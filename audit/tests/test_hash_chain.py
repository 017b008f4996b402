"""The audit log's hash chain: every event links to the one before; changes, removals and cut tails are found."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.core import mail
from django.db import connection, transaction

from audit import chain
from audit.models import AuditChainCheck, AuditEvent
from audit.services import audit_chain_check, audit_chain_verify, audit_record


@contextmanager
def tampering() -> Iterator[None]:
    """What an attacker with database access does: on PostgreSQL, switch the append-only trigger off first."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        yield
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")


def raw(sql: str, params: list[object]) -> None:
    with tampering(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_each_event_links_to_the_one_before(alice, org) -> None:  # type: ignore[no-untyped-def]
    first = audit_record(action="a.one", actor=alice, organization=org, metadata={"n": 1, "when": date(2030, 1, 2)})
    second = audit_record(action="a.two", actor_label="system", metadata={"nested": {"b": [1, 2.5, None]}})
    rows = list(AuditEvent.objects.order_by("id"))
    assert rows[0].prev_hash == chain.GENESIS  # Alice's sign-up opened the log
    assert second.prev_hash == first.hash and second.hash == chain.link(first.hash, rows[-1])
    report = audit_chain_verify()
    assert report.ok and report.last_id == second.pk and report.checked == len(rows)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "what"),
    [
        ("UPDATE audit_auditevent SET action = 'key.nothing_to_see' WHERE id = %s", "changed"),
        ("UPDATE audit_auditevent SET actor_label = 'mallory@example.com' WHERE id = %s", "changed"),
        ("DELETE FROM audit_auditevent WHERE id = %s", "does not link"),
    ],
)
def test_a_changed_or_removed_event_breaks_the_chain(alice, sql, what) -> None:  # type: ignore[no-untyped-def]
    events = [audit_record(action=f"thing.{i}", actor=alice) for i in range(4)]
    raw(sql, [events[1].pk])
    report = audit_chain_verify()
    assert not report.ok and what in report.message
    assert report.first_bad_id == (events[1].pk if what == "changed" else events[2].pk)


@pytest.mark.django_db
def test_the_daily_check_runs_once_a_day_and_notices_a_cut_tail(alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ADMINS = [("Ops", "ops@example.com")]
    events = [audit_record(action=f"thing.{i}", actor=alice) for i in range(3)]
    check = audit_chain_check(today=date(2030, 1, 1))
    assert check is not None and check.ok and check.last_event_id == events[-1].pk
    assert audit_chain_check(today=date(2030, 1, 1)) is None  # a second beat, or a rerun
    assert AuditChainCheck.objects.count() == 1

    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])  # the newest event, so no link breaks
    broken = audit_chain_check(today=date(2030, 1, 2))
    assert broken is not None and broken.ok is False and broken.first_bad_id == events[-1].pk
    assert "missing or changed" in broken.message
    [alarm] = mail.outbox
    assert alarm.to == ["ops@example.com"] and "hash chain is broken" in alarm.subject


@pytest.mark.django_db
def test_the_migration_chains_rows_written_before_the_chain_existed(alice) -> None:  # type: ignore[no-untyped-def]
    import importlib
    from types import SimpleNamespace

    from django.db.migrations.loader import MigrationLoader

    for i in range(3):
        audit_record(action=f"old.{i}", actor=alice, metadata={"i": i})
    raw("UPDATE audit_auditevent SET prev_hash = '', hash = ''", [])
    assert not audit_chain_verify().ok
    migration = importlib.import_module("audit.migrations.0003_hash_chain")

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    historical = MigrationLoader(connection).project_state(("audit", "0003_hash_chain")).apps
    migration.chain_existing_rows(historical, SimpleNamespace(connection=connection, execute=execute))
    assert audit_chain_verify().ok
    audit_record(action="new.one", actor=alice)  # and new events carry on from the backfilled chain
    assert audit_chain_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's (runs in CI)")
    barrier = threading.Barrier(4)

    def write(n: int) -> None:
        barrier.wait()
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(action=f"writer{n}.{i}", actor_label="system")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    report = audit_chain_verify()
    assert report.ok, report.message
    assert AuditEvent.objects.filter(action__startswith="writer").count() == 40
