"""Secrets never reach the database, the logs, the admin or an error in plaintext."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from conftest import login
from keys.services import key_roll

pytestmark = pytest.mark.django_db


def every_cell() -> str:
    """Every value of every row of every table, as text."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table not in connection.introspection.table_names():
                continue
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def test_no_table_holds_a_key_or_its_secret_part(api, alice, make_key, caplog, capsys, org) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    plaintexts: list[str] = []
    key, plain = make_key(scopes=["keys:manage", "orders:read"], metadata={"note": "x"})
    plaintexts.append(plain)
    _, rolled = key_roll(key=key, actor=alice)
    plaintexts.append(rolled)
    login(api, alice)
    created = api.post("/api/v1/keys/", {"name": "api", "scopes": ["orders:read"]}, format="json").json()
    plaintexts.append(created["key"])
    call_command("create_api_key", org=org.slug, name="cli", scopes="orders:read")
    plaintexts.append(capsys.readouterr().out.strip())
    # Use them, including a failed attempt, so the usage and failure paths run too.
    api.logout()
    api.get("/api/v1/whoami", HTTP_X_API_KEY=created["key"])
    api.get("/api/v1/whoami", HTTP_X_API_KEY=created["key"][:-1] + "x")

    dump = every_cell()
    logs = caplog.text
    for plaintext in plaintexts:
        assert plaintext.startswith("ak_")
        secret = plaintext.split("_")[2][8:40]
        assert len(secret) == 32
        assert secret not in dump
        assert secret not in logs


def test_admin_never_shows_the_hash_or_secret(client, make_key, alice) -> None:  # type: ignore[no-untyped-def]
    alice.is_staff = alice.is_superuser = True
    alice.save()
    key, plaintext = make_key()
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    for url in ("/admin/keys/apikey/", f"/admin/keys/apikey/{key.pk}/change/", "/admin/audit/auditevent/"):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert key.secret_hash.split("$")[2] not in body
        assert plaintext[16:48] not in body
