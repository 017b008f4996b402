from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from keys.core.lookup import api_key_for_authentication, attnames
from keys.models import APIKey

pytestmark = pytest.mark.django_db


def test_lean_lookup_matches_the_orm(make_key, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(
        scopes=["orders:write", "keys:verify"],
        allowed_networks=["192.0.2.0/24"],
        rate_limit=7,
        expires_at=timezone.now() + timedelta(days=1),
    )
    fast = api_key_for_authentication(key.id)
    slow = APIKey.objects.select_related("organization").get(pk=key.id)
    assert fast is not None
    for name in attnames(APIKey):
        assert getattr(fast, name) == getattr(slow, name), name
    assert fast.get_deferred_fields() == set()
    assert fast.expires_at is not None and fast.expires_at.tzinfo is not None
    assert fast.organization == org and fast.organization.slug == org.slug
    assert fast.organization.created_at == org.created_at


def test_lean_lookup_of_a_missing_key_is_none(db) -> None:  # type: ignore[no-untyped-def]
    assert api_key_for_authentication("nope1234") is None


def test_whoami_with_a_key_costs_one_query(api, make_key, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    with django_assert_num_queries(1):
        response = api.get("/api/v1/whoami", HTTP_X_API_KEY=plaintext)
    assert response.status_code == 200 and response.json()["organization"]


def test_lookup_columns_follow_meta_order_whatever_the_declaration(make_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A field that moves (say onto an abstract base) changes `_meta` order; the lookup must follow it."""
    from keys.core import lookup

    key, _ = make_key(scopes=["orders:read"], rate_limit=3)
    fields = list(APIKey._meta.concrete_fields)
    shuffled = [*fields[3:], *fields[:3]]
    monkeypatch.setattr(APIKey._meta, "concrete_fields", tuple(shuffled))
    monkeypatch.setattr(lookup, "_plans", {})
    fast = api_key_for_authentication(key.id)
    assert fast is not None and fast.id == key.id and fast.secret_hash == key.secret_hash
    assert fast.scopes == ["orders:read"] and fast.rate_limit == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_lookup_reconnects_when_the_connection_died_since_the_last_request(make_key) -> None:  # type: ignore[no-untyped-def]
    """The lookup replaces Django's health-check ping, so it must also do its job: survive a dead connection."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    key, _ = make_key()
    assert api_key_for_authentication(key.id) is not None
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    close_old_connections()  # what the next request does first
    found = api_key_for_authentication(key.id)
    assert found is not None and found.pk == key.pk
    assert connection.connection.info.backend_pid != pid
