"""The audit log's hash chains, one per organization: every event links to the one before it in its
chain; changes, removals, moves between chains and cut tails are found."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.core import mail
from django.db import connection, transaction

from audit import chain
from audit.models import AuditChainCheck, AuditEvent
from audit.services import audit_chain_check, audit_chain_verify, audit_record
from lib.tests.concurrency import held_open, run_at_once


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
def test_each_event_links_to_the_one_before_in_its_chain(alice, org) -> None:  # type: ignore[no-untyped-def]
    first = audit_record(action="a.one", actor=alice, organization=org, metadata={"n": 1, "when": date(2030, 1, 2)})
    system = audit_record(action="a.sys", actor_label="system", metadata={"nested": {"b": [1, 2.5, None]}})
    second = audit_record(action="a.two", actor=alice, organization=org, metadata={"nested": {"b": [1, 2.5, None]}})
    rows = list(AuditEvent.objects.order_by("id"))
    assert rows[0].prev_hash == chain.GENESIS  # Alice's sign-up opened the system chain
    assert second.prev_hash == first.hash and second.hash == chain.link(first.hash, rows[-1])
    assert system.prev_hash != first.hash and chain.head(None) == system.hash  # a chain of its own
    report = audit_chain_verify()
    assert report.ok and report.last_id == second.pk and report.checked == len(rows)
    assert report.heads[str(org.pk)] == [second.pk, second.hash] and report.heads["-"] == [system.pk, system.hash]


@pytest.mark.django_db
def test_two_organizations_have_two_chains(alice, org, charlie_org) -> None:  # type: ignore[no-untyped-def]
    ours = [audit_record(action=f"ours.{i}", organization=org, actor=alice) for i in range(3)]
    theirs = [audit_record(action=f"theirs.{i}", organization=charlie_org, actor_label="system") for i in range(3)]
    assert [e.prev_hash for e in ours[1:]] == [e.hash for e in ours[:-1]]
    assert [e.prev_hash for e in theirs[1:]] == [e.hash for e in theirs[:-1]]
    assert audit_chain_verify().ok

    # Moving an event into another organization's chain is tampering too: the organization is hashed.
    raw("UPDATE audit_auditevent SET organization_id = %s WHERE id = %s", [org.pk, theirs[1].pk])
    report = audit_chain_verify()
    assert not report.ok and report.first_bad_id == theirs[1].pk


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
def test_a_cut_tail_is_noticed_in_any_chain_not_just_the_newest(alice, org, charlie_org) -> None:  # type: ignore[no-untyped-def]
    ours = [audit_record(action=f"ours.{i}", organization=org, actor=alice) for i in range(3)]
    audit_record(action="theirs.0", organization=charlie_org, actor_label="system")  # the newest event overall
    check = audit_chain_check(today=date(2030, 1, 1))
    assert check is not None and check.ok and check.heads[str(org.pk)] == [ours[-1].pk, ours[-1].hash]

    raw("DELETE FROM audit_auditevent WHERE id = %s", [ours[-1].pk])  # the newest of our chain only
    audit_record(action="ours.later", organization=org, actor=alice)  # links to what is now our head
    assert chain.verify().ok  # every link holds...
    broken = audit_chain_check(today=date(2030, 1, 2))
    assert broken is not None and broken.ok is False and broken.first_bad_id == ours[-1].pk  # ...but the head is gone


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
    assert AuditEvent.objects.order_by("id").last().prev_hash != chain.GENESIS  # type: ignore[union-attr]
    relink = importlib.import_module("audit.migrations.0004_chain_per_organization")
    relink.relink_per_organization(historical, SimpleNamespace(connection=connection, execute=execute))
    assert audit_chain_verify().ok
    audit_record(action="new.one", actor=alice)  # and new events carry on from the backfilled chain
    assert audit_chain_verify().ok


def _migration_editor() -> object:
    from types import SimpleNamespace

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    return SimpleNamespace(connection=connection, execute=execute)


def _single_chain(apps: object) -> None:
    """Link every row into one chain, as audit.0003 (and audit_record before 0004) did."""
    import importlib

    importlib.import_module("audit.migrations.0003_hash_chain").chain_existing_rows(apps, _migration_editor())


@pytest.mark.django_db
def test_the_migration_relinks_one_chain_into_one_per_organization(alice, org, charlie_org) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from django.db.migrations.loader import MigrationLoader

    for i in range(6):
        audit_record(action=f"old.{i}", organization=(org, charlie_org, None)[i % 3], actor=alice, metadata={"i": i})
    before = list(AuditEvent.objects.order_by("id").values_list("id", "action", "organization_id", "metadata"))
    apps = MigrationLoader(connection).project_state(("audit", "0003_hash_chain")).apps
    _single_chain(apps)  # the log as it stood before 0004: one chain, verified by a daily check
    assert not audit_chain_verify().ok  # not yet per organization

    relink = importlib.import_module("audit.migrations.0004_chain_per_organization")
    relink.relink_per_organization(apps, _migration_editor())
    after = list(AuditEvent.objects.order_by("id").values_list("id", "action", "organization_id", "metadata"))
    assert after == before  # no row lost or changed, only the links
    report = audit_chain_verify()
    assert report.ok and report.checked == len(before)
    assert set(report.heads) == {str(org.pk), str(charlie_org.pk), "-"}


@pytest.mark.django_db
def test_the_migration_refuses_to_relink_a_tampered_chain(alice, org) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from django.db.migrations.loader import MigrationLoader

    events = [audit_record(action=f"old.{i}", organization=org, actor=alice) for i in range(3)]
    apps = MigrationLoader(connection).project_state(("audit", "0003_hash_chain")).apps
    _single_chain(apps)
    raw("UPDATE audit_auditevent SET action = 'old.nothing' WHERE id = %s", [events[1].pk])
    relink = importlib.import_module("audit.migrations.0004_chain_per_organization")
    with pytest.raises(relink.BrokenChain, match=f"audit event {events[1].pk} breaks"):
        relink.relink_per_organization(apps, _migration_editor())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_their_chain(alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's (runs in CI)")

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(10):
                with transaction.atomic():
                    audit_record(action=f"writer{n}.{i}", actor_label="system")

        return write

    run_at_once(*(writer(n) for n in range(4)))
    report = audit_chain_verify()
    assert report.ok, report.message
    assert AuditEvent.objects.filter(action__startswith="writer").count() == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_holds_only_its_own_organizations_chain(alice, org, charlie_org) -> None:  # type: ignore[no-untyped-def]
    """While one request of ours is inside its transaction, another organization's writes do not wait."""
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's (runs in CI)")
    from django.db import OperationalError

    with held_open(lambda: audit_record(action="ours.slow", organization=org, actor=alice)):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            audit_record(action="theirs.fast", organization=charlie_org, actor_label="system")
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
            audit_record(action="ours.blocked", organization=org, actor=alice)  # same chain: it waits
    assert audit_chain_verify().ok
