from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from conftest import set_policy
from keys.models import APIKey, KeyStatus
from keys.services import (
    Code,
    KeyConflict,
    key_check,
    key_create,
    key_disable,
    key_enable,
    key_revoke,
    key_roll,
    key_update,
)

pytestmark = pytest.mark.django_db


def events(key: APIKey) -> list[str]:
    return list(AuditEvent.objects.filter(target_id=key.id).order_by("id").values_list("action", flat=True))


def test_create_returns_plaintext_once_and_stores_only_a_hash(make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(scopes=["orders:write", "orders:read"])
    assert plaintext.startswith(f"ak_live_{key.id}")
    stored = APIKey.objects.get(pk=key.pk)
    assert plaintext not in stored.secret_hash
    assert stored.scopes == ["orders:write"]  # implied read is folded away
    assert stored.allows("orders:read") and not stored.allows("customers:read")
    assert events(key) == ["key.created"]


def test_create_rejects_bad_input_with_clear_messages(org, alice) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ({"scopes": ["nope:read"]}, "Unknown scope(s): nope:read."),
        ({"scopes": []}, "Choose at least one scope."),
        ({"allowed_networks": ["10.0.0.0/33"]}, "is not an IPv4 or IPv6 CIDR block"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "The expiry must be in the future."),
        ({"name": "x" * 101}, "Names are at most 100 characters; this one has 101."),
        ({"rate_limit": 0}, "The rate limit is a whole number"),
        ({"environment": "prod"}, "The environment is 'live' or 'test'."),
    ]
    for overrides, message in cases:
        kwargs = {"organization": org, "actor": alice, "name": "k", "scopes": ["orders:read"], **overrides}
        with pytest.raises(ValidationError) as info:
            key_create(**kwargs)
        assert message in " ".join(info.value.messages), overrides


def test_networks_are_normalised(make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(allowed_networks=["10.1.2.3/8", "2001:db8::1/32", "10.0.0.0/8"])
    assert key.allowed_networks == ["10.0.0.0/8", "2001:db8::/32"]


def test_org_maximum_lifetime_is_enforced(org, make_key) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, max_lifetime_days=30)
    with pytest.raises(ValidationError, match="expire within 30 days"):
        make_key()
    with pytest.raises(ValidationError, match="at most 30 days"):
        make_key(expires_at=timezone.now() + timedelta(days=31))
    key, _ = make_key(expires_at=timezone.now() + timedelta(days=29))
    assert key.expires_at is not None


def test_a_key_cannot_mint_scopes_beyond_its_own(make_key, org) -> None:  # type: ignore[no-untyped-def]
    manager, _ = make_key(scopes=["keys:manage", "orders:read"])
    with pytest.raises(ValidationError, match="cannot grant scopes it does not hold: orders:write"):
        key_create(organization=org, actor=manager, name="x", scopes=["orders:write"])
    with pytest.raises(PermissionDenied):
        key_create(organization=org, actor=manager, name="x", scopes=["orders:read"], environment="test")
    child, _ = key_create(organization=org, actor=manager, name="x", scopes=["orders:read"])
    assert child.created_by is None and child.created_by_label == f"key {manager.display_prefix}"


def test_roll_creates_a_successor_that_inherits_and_old_key_works_during_grace(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, old_plain = make_key(
        scopes=["orders:write"], allowed_networks=["10.0.0.0/8"], rate_limit=50, metadata={"team": "billing"}
    )
    successor, new_plain = key_roll(key=key, actor=alice, grace=timedelta(hours=1))
    assert successor.predecessor_id == key.id
    assert (successor.scopes, successor.allowed_networks, successor.rate_limit, successor.metadata) == (
        ["orders:write"],
        ["10.0.0.0/8"],
        50,
        {"team": "billing"},
    )
    assert key_check(old_plain, ip="10.1.1.1").code is Code.VALID
    assert key_check(new_plain, ip="10.1.1.1").code is Code.VALID
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert key_check(old_plain, ip="10.1.1.1").code is Code.EXPIRED
        assert key_check(new_plain, ip="10.1.1.1").code is Code.VALID
    assert events(key) == ["key.created", "key.rolled"]
    assert events(successor) == []  # the roll is one event, on the key that was rolled


def test_roll_with_zero_grace_stops_the_old_key_at_once(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, old_plain = make_key()
    key_roll(key=key, actor=alice)
    assert key_check(old_plain, ip=None).code is Code.EXPIRED


def test_grace_never_extends_past_the_old_keys_expiry(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    expires = timezone.now() + timedelta(hours=2)
    key, _ = make_key(expires_at=expires)
    key_roll(key=key, actor=alice, grace=timedelta(days=7))
    key.refresh_from_db()
    assert key.grace_until == expires


def test_a_key_rolls_only_once(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    key_roll(key=key, actor=alice, grace=timedelta(hours=1))
    with pytest.raises(KeyConflict, match="already been rolled"):
        key_roll(key=key, actor=alice, grace=timedelta(hours=1))
    assert APIKey.objects.filter(predecessor=key).count() == 1


def test_revoke_is_immediate_and_recorded_once(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    key_revoke(key=key, actor=alice, reason="leaked in a gist")
    key_revoke(key=key, actor=alice, reason="again")
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_by == alice and key.revoked_reason == "leaked in a gist"
    assert key_check(plaintext, ip=None).code is Code.REVOKED
    assert events(key) == ["key.created", "key.revoked"]


def test_disable_and_enable(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    key_disable(key=key, actor=alice)
    assert key_check(plaintext, ip=None).code is Code.DISABLED
    key_enable(key=key, actor=alice)
    assert key_check(plaintext, ip=None).code is Code.VALID
    assert events(key) == ["key.created", "key.disabled", "key.enabled"]


def test_update_narrows_scopes_but_never_widens(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(scopes=["orders:write", "customers:read"])
    key = key_update(key=key, actor=alice, scopes=["orders:read"], name="Renamed")
    assert key.scopes == ["orders:read"] and key.name == "Renamed"
    with pytest.raises(ValidationError, match="only be narrowed.*orders:write"):
        key_update(key=key, actor=alice, scopes=["orders:write"])
    assert events(key) == ["key.created", "key.updated"]


def test_update_without_changes_records_nothing(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    key_update(key=key, actor=alice, name=key.name)
    assert events(key) == ["key.created"]


def test_revoked_key_cannot_be_changed_rolled_or_enabled(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    key_revoke(key=key, actor=alice)
    for call in (
        lambda: key_update(key=key, actor=alice, name="x"),
        lambda: key_roll(key=key, actor=alice),
        lambda: key_enable(key=key, actor=alice),
    ):
        with pytest.raises(KeyConflict):
            call()


def test_expired_key_is_refused(make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(expires_at=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert key_check(plaintext, ip=None).code is Code.EXPIRED


def test_network_allowlist(make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(allowed_networks=["192.0.2.0/24", "2001:db8::/32"])
    assert key_check(plaintext, ip="192.0.2.7").code is Code.VALID
    assert key_check(plaintext, ip="2001:db8::5").code is Code.VALID
    assert key_check(plaintext, ip="198.51.100.1").code is Code.FORBIDDEN_IP
    assert key_check(plaintext, ip=None).code is Code.FORBIDDEN_IP
