"""The authentication hot path's one query: an API key and its organization, by primary key.

Building this query through the ORM (`select_related` + filter) costs more per request than running
it, so the SQL is written once per database connection vendor and the rows are turned into model
instances with Django's own converters. The result is the same as
`APIKey.objects.select_related("organization").get(pk=...)`. The query doubles as the connection's
health check, so a request does not also pay Django's `SELECT 1` ping (`_fetch`).

The columns come from `_meta.concrete_fields`, in `_meta`'s own order, for both models: `Model.from_db`
maps values to fields by that order, so a hand-kept list broke as soon as a field moved (for example
onto an abstract base class). Loading every column also means nothing is deferred, so no later
attribute access can cost a query of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import InterfaceError, OperationalError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from accounts.models import Organization
from keys.models import APIKey

Converter = Callable[[Any, Any, Any], Any]
_plans: dict[str, tuple[str, list[tuple[Field[Any, Any], list[Converter]]]]] = {}


def attnames(model: type[Model]) -> list[str]:
    """The columns the lookup loads for `model`, in the order `Model.from_db` expects them."""
    return [field.attname for field in model._meta.concrete_fields]


def _plan(alias: str) -> tuple[str, list[tuple[Field[Any, Any], list[Converter]]]]:
    plan = _plans.get(alias)
    if plan is not None:
        return plan
    connection = connections[alias]
    quote = connection.ops.quote_name
    key_table, org_table = APIKey._meta.db_table, Organization._meta.db_table
    columns: list[tuple[type[Model], str, Field[Any, Any]]] = [
        (APIKey, "k", field) for field in APIKey._meta.concrete_fields
    ]
    columns += [(Organization, "o", field) for field in Organization._meta.concrete_fields]
    select = ", ".join(f"{table}.{quote(field.column)}" for _, table, field in columns)
    # `rows` swaps the final " = %s" for " IN (...)".
    sql = (
        f"SELECT {select} FROM {quote(key_table)} k "  # noqa: S608 - identifiers come from our models
        f"INNER JOIN {quote(org_table)} o ON o.{quote('id')} = k.{quote('organization_id')} "
        f"WHERE k.{quote('id')} = %s"
    )
    fields = []
    for _model, table, field in columns:
        col = field.get_col(table)
        # Field.get_db_converters (from_db_value, e.g. JSON decoding) is public API the stubs omit.
        converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)  # type: ignore[attr-defined]
        fields.append((field, converters))
    plan = (sql, fields)
    _plans[alias] = plan
    return plan


def _run(connection: BaseDatabaseWrapper, sql: str, key_id: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_id])
        return cursor.fetchone()


def _fetch(connection: BaseDatabaseWrapper, sql: str, key_id: str) -> Any:
    """Run the lookup as its own connection health check (CONN_HEALTH_CHECKS).

    Django would first ping the connection with `SELECT 1`, a second round trip per request. Outside
    a transaction the lookup can simply be retried: if it fails on a connection that turns out to be
    dead, reconnect and run it once more, which is what the ping would have led to.
    """
    # `health_check_enabled` / `health_check_done` are BaseDatabaseWrapper attributes the stubs omit.
    wrapper: Any = connection
    own_check = (
        wrapper.health_check_enabled
        and not wrapper.health_check_done
        and connection.connection is not None
        and not connection.in_atomic_block
    )
    if not own_check:
        return _run(connection, sql, key_id)
    wrapper.health_check_done = True
    try:
        return _run(connection, sql, key_id)
    except (OperationalError, InterfaceError):
        if connection.is_usable():
            raise
    connection.close()
    return _run(connection, sql, key_id)


def _converted(
    connection: BaseDatabaseWrapper, row: Any, fields: list[tuple[Field[Any, Any], list[Converter]]]
) -> list[Any]:
    values = []
    for value, (field, converters) in zip(row, fields, strict=True):
        expression = field.get_col(field.model._meta.db_table)
        for convert in converters:
            value = convert(value, expression, connection)
        values.append(value)
    return values


# Written by the usage roll-up about once a second for every key in use, and never read by a
# verification: comparing them would make every revalidation drop every busy key.
_BOOKKEEPING = frozenset({"last_used_at", "last_used_ip"})


@cache
def _compared_key_columns() -> list[int]:
    return [i for i, name in enumerate(attnames(APIKey)) if name not in _BOOKKEEPING]


def fingerprint(key: APIKey) -> tuple[Any, ...]:
    """The loaded columns of `key` and its organization that verification depends on (all but
    `_BOOKKEEPING`): equal to `rows()[key.pk]` while none of them changed."""
    organization = key.organization
    names = attnames(APIKey)
    return tuple(getattr(key, names[i]) for i in _compared_key_columns()) + tuple(
        getattr(organization, name) for name in attnames(Organization)
    )


def rows(key_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """The same columns for many keys in one query, by key id (what the key cache revalidates with).

    Keys that no longer exist are absent. Values go through the same converters as the single
    lookup, so an unchanged key's row equals its `fingerprint`.
    """
    if not key_ids:
        return {}
    alias = router.db_for_read(APIKey)
    connection = connections[alias]
    sql, fields = _plan(alias)
    id_index = attnames(APIKey).index("id")
    with connection.cursor() as cursor:
        where_in = f"{sql.removesuffix(' = %s')} IN ({', '.join(['%s'] * len(key_ids))})"
        cursor.execute(where_in, list(key_ids))
        fetched = cursor.fetchall()
    compared, split = _compared_key_columns(), len(attnames(APIKey))
    out = {}
    for row in fetched:
        values = _converted(connection, row, fields)
        out[values[id_index]] = tuple(values[i] for i in compared) + tuple(values[split:])
    return out


def api_key_for_authentication(key_id: str) -> APIKey | None:
    """The key with its organization attached, in one indexed query; None when there is no such key."""
    alias = router.db_for_read(APIKey)
    connection = connections[alias]
    sql, fields = _plan(alias)
    row = _fetch(connection, sql, key_id)
    if row is None:
        return None
    values = _converted(connection, row, fields)
    key_fields = attnames(APIKey)
    split = len(key_fields)
    key = APIKey.from_db(alias, key_fields, values[:split])
    organization = Organization.from_db(alias, attnames(Organization), values[split:])
    APIKey.organization.field.set_cached_value(key, organization)  # type: ignore[attr-defined]
    return key
