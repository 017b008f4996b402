"""The team key policies moved from accounts.Organization to keys.CredentialPolicy without losing one:
values set at the old state are read back through the new model, and the move can be undone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps.registry import Apps

from lib.tests.migrations import apps_at, migrate, migrated_to

OLD = [("keys", "0006_certificate_uniqueness_per_organization"), ("accounts", "0003_outbound_email")]
NEW = [("keys", "0007_credential_policy"), ("accounts", "0004_key_policies_moved_to_keys")]


@pytest.fixture
def old_state(transactional_db: None) -> Iterator[Apps]:
    """The models at OLD; back to the latest state afterwards, for the tests that follow."""
    with migrated_to(OLD) as old:
        yield old


def _teams(apps):  # type: ignore[no-untyped-def]
    organization = apps.get_model("accounts", "Organization")
    strict = organization.objects.create(
        name="Strict", slug="strict", max_key_lifetime_days=30, max_key_age_days=90, require_live_key_expiry=True
    )
    expiry_only = organization.objects.create(name="Expiry", slug="expiry", require_live_key_expiry=True)
    relaxed = organization.objects.create(name="Relaxed", slug="relaxed")
    return strict, expiry_only, relaxed


def test_every_team_policy_survives_the_move_to_keys(old_state: Apps) -> None:
    strict, expiry_only, relaxed = _teams(old_state)
    new = apps_at(NEW)
    rows = {
        row.organization_id: (row.max_lifetime_days, row.max_age_days, row.require_live_expiry)
        for row in new.get_model("keys", "CredentialPolicy").objects.all()
    }
    assert rows == {strict.pk: (30, 90, True), expiry_only.pk: (None, None, True)}  # the relaxed team needs none
    fields = {f.name for f in new.get_model("accounts", "Organization")._meta.get_fields()}
    assert "max_key_lifetime_days" not in fields and relaxed.pk not in rows


def test_the_move_can_be_undone_without_losing_a_policy(old_state: Apps) -> None:
    strict, expiry_only, _ = _teams(old_state)
    migrate(NEW)
    back = apps_at(OLD)
    organization = back.get_model("accounts", "Organization")
    restored = organization.objects.get(pk=strict.pk)
    assert (restored.max_key_lifetime_days, restored.max_key_age_days, restored.require_live_key_expiry) == (
        30,
        90,
        True,
    )
    assert organization.objects.get(pk=expiry_only.pk).require_live_key_expiry is True
