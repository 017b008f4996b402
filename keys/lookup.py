"""The authentication hot path's one query: an API key and its organization, by primary key.

Building this query through the ORM (`select_related` + filter) costs more per request than running
it, so the SQL is written once per database connection vendor and the rows are turned into model
instances with Django's own converters. The result is the same as
`APIKey.objects.select_related("organization").get(pk=...)`, minus the columns that verification
and `request.auth` never read (they load lazily if something does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model

from accounts.models import Organization
from keys.models import APIKey

KEY_FIELDS = (
    "id",
    "prefix",
    "environment",
    "secret_hash",
    "name",
    "organization_id",
    "scopes",
    "expires_at",
    "allowed_networks",
    "rate_limit",
    "status",
    "rolled_at",
    "grace_until",
    "created_at",
)
ORG_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)

Converter = Callable[[Any, Any, Any], Any]
_plans: dict[str, tuple[str, list[tuple[Field[Any, Any], list[Converter]]]]] = {}


def _field(model: type[Model], attname: str) -> Field[Any, Any]:
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _plan(alias: str) -> tuple[str, list[tuple[Field[Any, Any], list[Converter]]]]:
    plan = _plans.get(alias)
    if plan is not None:
        return plan
    connection = connections[alias]
    quote = connection.ops.quote_name
    key_table, org_table = APIKey._meta.db_table, Organization._meta.db_table
    columns: list[tuple[type[Model], str, Field[Any, Any]]] = [
        (APIKey, "k", _field(APIKey, name)) for name in KEY_FIELDS
    ]
    columns += [(Organization, "o", _field(Organization, name)) for name in ORG_FIELDS]
    select = ", ".join(f"{table}.{quote(field.column)}" for _, table, field in columns)
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


def api_key_for_authentication(key_id: str) -> APIKey | None:
    """The key with its organization attached, in one indexed query; None when there is no such key."""
    alias = router.db_for_read(APIKey)
    connection = connections[alias]
    sql, fields = _plan(alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (field, converters) in zip(row, fields, strict=True):
        expression = field.get_col(field.model._meta.db_table)
        for convert in converters:
            value = convert(value, expression, connection)
        values.append(value)
    split = len(KEY_FIELDS)
    key = APIKey.from_db(alias, list(KEY_FIELDS), values[:split])
    organization = Organization.from_db(alias, list(ORG_FIELDS), values[split:])
    APIKey.organization.field.set_cached_value(key, organization)  # type: ignore[attr-defined]
    return key
