"""Webhook signing secrets never reach the database, the logs, the admin or a payload in plaintext."""

from __future__ import annotations

import logging
import shutil

import pytest
from django.apps import apps
from django.db import connection

from conftest import login
from keys.services import key_create
from webhooks import services
from webhooks.tests.helpers import Reply, pg_dump_text, run_due


def every_cell() -> str:
    """Every value of every row of every table, as text (the idea of keys/tests/test_no_plaintext.py)."""
    chunks: list[str] = []
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.db_table not in tables:
                continue
            cursor.execute(f'SELECT * FROM "{model._meta.db_table}"')
            chunks.extend(" ".join(str(value) for value in row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.mark.django_db
def test_no_table_or_log_holds_a_webhook_secret(api, client, alice, org, make_endpoint, receiver, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    endpoint, secret = make_endpoint()
    secrets.append(secret)
    new, _ = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice)
    secrets.append(new)
    login(api, alice)
    created = api.post("/api/v1/webhooks/endpoints/", {"url": receiver.url("/api")}, format="json").json()
    secrets.append(created["secret"])
    rotated = api.post(f"/api/v1/webhooks/endpoints/{created['id']}/secret/rotate", {}, format="json").json()
    secrets.append(rotated["secret"])
    login(client, alice)
    portal = client.post(
        f"/orgs/{org.slug}/webhooks/new", {"url": receiver.url("/portal"), "all_events": "on"}, follow=True
    )
    secrets.append(portal.context["secrets"][0]["secret"])
    client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/secret", {}, follow=True)  # a reveal is audited, not stored
    # Deliver, retry and fail, so attempts, errors and response bodies are written too.
    receiver.respond(Reply(500, body=b"echo"), path="/hook")
    key_create(organization=org, actor=alice, name="svc", scopes=["orders:read"])
    run_due()

    dump = every_cell()
    logs = caplog.text
    bodies = b" ".join(r.body for r in receiver.requests).decode()
    assert len(set(secrets)) == 5
    for plaintext in secrets:
        raw = plaintext.removeprefix("whsec_")
        assert raw not in dump and raw not in logs and raw not in bodies
    assert "whsec_" not in dump


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_of_the_database_holds_no_webhook_secret(make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql" or shutil.which("pg_dump") is None:
        pytest.skip("needs PostgreSQL and pg_dump (runs in CI)")
    endpoint, secret = make_endpoint()
    rotated, _ = services.endpoint_secret_rotate(endpoint=endpoint, actor=alice)
    dump = pg_dump_text()
    assert endpoint.id in dump  # the dump does hold the endpoint …
    for plaintext in (secret, rotated):
        assert plaintext.removeprefix("whsec_") not in dump  # … but never a secret
