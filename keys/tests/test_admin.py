from __future__ import annotations

import pytest

from audit.models import AuditEvent
from keys.models import APIKey, KeyStatus

pytestmark = pytest.mark.django_db


def test_admin_searches_and_filters_keys(admin_client, make_key, org) -> None:  # type: ignore[no-untyped-def]
    billing, _ = make_key(name="billing")
    make_key(name="shipping", environment="test")
    page = admin_client.get("/admin/keys/apikey/", {"q": billing.id})
    assert page.status_code == 200 and list(page.context["cl"].queryset) == [billing]
    assert admin_client.get("/admin/keys/apikey/", {"q": org.slug}).context["cl"].result_count == 2
    assert admin_client.get("/admin/keys/apikey/", {"environment": "test"}).context["cl"].result_count == 1
    for expiry in ("never", "expired", "7d", "30d"):
        assert admin_client.get("/admin/keys/apikey/", {"expiry": expiry}).status_code == 200


def test_bulk_revoke_is_audited(admin_client, make_key) -> None:  # type: ignore[no-untyped-def]
    one, _ = make_key()
    two, _ = make_key()
    response = admin_client.post(
        "/admin/keys/apikey/", {"action": "revoke_selected", "_selected_action": [one.pk, two.pk]}, follow=True
    )
    assert response.status_code == 200
    assert set(APIKey.objects.values_list("status", flat=True)) == {KeyStatus.REVOKED}
    bulk = AuditEvent.objects.get(action="admin.keys_bulk_revoked")
    assert sorted(bulk.metadata["keys"]) == sorted([one.id, two.id]) and bulk.actor_label == "alice@example.com"
    assert AuditEvent.objects.filter(action="key.revoked").count() == 2


def test_admin_cannot_add_change_or_delete_keys_or_audit_events(admin_client, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    assert admin_client.get("/admin/keys/apikey/add/").status_code == 403
    assert admin_client.post(f"/admin/keys/apikey/{key.pk}/delete/").status_code == 403
    event = AuditEvent.objects.first()
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403


def test_audit_admin_filters(admin_client, make_key, org, alice) -> None:  # type: ignore[no-untyped-def]
    make_key()
    for params in (
        {"action": "key.created"},
        {"organization__id__exact": org.pk},
        {"actor__id__exact": alice.pk},
        {"q": "key.created"},
    ):
        page = admin_client.get("/admin/audit/auditevent/", params)
        assert page.status_code == 200 and page.context["cl"].result_count >= 1, params


def test_staff_without_permission_cannot_bulk_revoke(client, bob, make_key) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    bob.is_staff = True
    bob.save()
    bob.user_permissions.add(Permission.objects.get(codename="view_apikey"))
    key, _ = make_key()
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/keys/apikey/").status_code == 200
    client.post("/admin/keys/apikey/", {"action": "revoke_selected", "_selected_action": [key.pk]})
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE


def test_admin_revokes_keys_as_leaked_after_asking_where_they_were_found(admin_client, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(name="billing")
    other, _ = make_key(name="kept")
    chosen = {"action": "revoke_as_leaked", "_selected_action": [key.pk]}
    page = admin_client.post("/admin/keys/apikey/", chosen)
    assert page.status_code == 200 and b"Where it was found" in page.content  # asks first, revokes nothing
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE
    bad = admin_client.post("/admin/keys/apikey/", {**chosen, "apply": "1", "source_url": "not a url"})
    assert bad.status_code == 200 and APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE
    url = "https://pastebin.example/abc"
    done = admin_client.post("/admin/keys/apikey/", {**chosen, "apply": "1", "source_url": url}, follow=True)
    assert done.status_code == 200 and b"as leaked" in done.content
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.REVOKED
    assert APIKey.objects.get(pk=other.pk).status == KeyStatus.ACTIVE
    assert AuditEvent.objects.get(action="key.leaked").metadata["url"] == url


def test_staff_without_the_change_permission_cannot_revoke_as_leaked(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(Permission.objects.get(codename="view_apikey"))
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    key, _ = make_key()
    client.post("/admin/keys/apikey/", {"action": "revoke_as_leaked", "_selected_action": [key.pk], "apply": "1"})
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE
