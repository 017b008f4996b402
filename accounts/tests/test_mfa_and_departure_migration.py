"""accounts 0005 adds the MFA and departure policies: existing teams keep every row, with the defaults
(no second factor required, credentials kept), and code from before it can still insert teams."""

from __future__ import annotations

import pytest

from lib.tests.migrations import apps_at, latest, migrated_to

BEFORE = [("accounts", "0004_key_policies_moved_to_keys")]


@pytest.mark.django_db(transaction=True)
def test_existing_teams_get_the_defaults_and_old_code_still_inserts() -> None:
    with migrated_to(BEFORE) as old:
        old.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
        new = apps_at(latest())
        # A writer that predates the fields (the historical model) still inserts: the database has defaults.
        old.get_model("accounts", "Organization").objects.create(name="Beta", slug="beta")
        rows = new.get_model("accounts", "Organization").objects.order_by("slug")
        assert [(o.slug, o.require_mfa, o.departure_policy) for o in rows] == [
            ("acme", False, "keep"),
            ("beta", False, "keep"),
        ]
