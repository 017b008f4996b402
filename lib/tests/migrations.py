"""The migration tests' executor dance, once: go to a state, read models through it, come back to the latest.

with migrated_to(OLD) as executor:              # the schema as it was
    old = executor.loader.project_state(OLD).apps
    ...
    new = apps_at(NEW)                          # forwards (or backwards) to another state
# here the database is back at the latest migrations, for the tests that follow
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Targets = list[tuple[str, str | None]]


def latest() -> Targets:
    """The leaf migration of every app: where the test database normally stands."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()  # type: ignore[return-value]


def migrate(targets: Targets) -> MigrationExecutor:
    """Migrate the database to `targets`; returns an executor whose loader sees the new state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def apps_at(targets: Targets, state: Targets | None = None) -> Apps:
    """Migrate to `targets` and return the historical models of `state` (default: `targets`)."""
    return migrate(targets).loader.project_state(state or targets).apps


@contextmanager
def migrated_to(targets: Targets) -> Iterator[Apps]:
    """The database at `targets` for the block, with the historical models of that state; then back at the
    latest migrations whatever happened."""
    back = latest()
    try:
        yield apps_at(targets)
    finally:
        migrate(back)
