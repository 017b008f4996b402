"""accounts 0005 adds the MFA and departure policies: existing teams keep every row, with the defaults
(no second factor required, credentials kept), and code from before it can still insert teams."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_key_policies_moved_to_keys")]


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_teams_get_the_defaults_and_old_code_still_inserts() -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE).loader.project_state(BEFORE[0]).apps
    old.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
    try:
        new = _migrate(latest).loader.project_state(latest).apps
        # A writer that predates the fields (the historical model) still inserts: the database has defaults.
        old.get_model("accounts", "Organization").objects.create(name="Beta", slug="beta")
        rows = new.get_model("accounts", "Organization").objects.order_by("slug")
        assert [(o.slug, o.require_mfa, o.departure_policy) for o in rows] == [
            ("acme", False, "keep"),
            ("beta", False, "keep"),
        ]
    finally:
        _migrate(latest)
