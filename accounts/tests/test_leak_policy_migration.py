"""accounts 0005 adds the leak policy: teams that existed before it keep every row and get the default, revoke."""

from __future__ import annotations

import pytest

from accounts.models import LeakPolicy, Organization
from lib.tests.migrations import migrated_to

BEFORE = [("accounts", "0004_key_policies_moved_to_keys")]


@pytest.mark.django_db(transaction=True)
def test_existing_teams_get_the_revoke_policy() -> None:
    with migrated_to(BEFORE) as old:
        old.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
    org = Organization.objects.get(slug="acme")
    assert (org.name, org.leak_policy) == ("Acme", LeakPolicy.REVOKE)
