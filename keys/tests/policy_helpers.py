"""Create an API key by one of the three paths (portal, management API, operator command) as one person,
and read the outcome the same way for each: ("created" | "400" | "403" | "404", what the refusal said)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import login
from keys.models import APIKey

PATHS = ("portal", "api", "command")
GOOD = {"scopes": "orders:read", "days": 30, "networks": "192.0.2.0/24", "environment": "live"}


def create_via(path: str, client: Any, user: Any, org: Any, **spec: Any) -> tuple[str, str]:
    """Try to create key `spec["name"]` (scopes "resource:level", days or None, networks or "") by `path`."""
    spec = {**GOOD, "name": "Policy probe", **spec}
    before = APIKey.objects.filter(name=spec["name"]).count()
    outcome = {"portal": _portal, "api": _api, "command": _command}[path](client, user, org, spec)
    created = APIKey.objects.filter(name=spec["name"]).count() > before
    if outcome[0] == "ok":
        assert created, (path, spec, outcome)
        return ("created", "")
    assert not created, (path, spec, outcome)
    return outcome


def _portal(client: Any, user: Any, org: Any, spec: dict[str, Any]) -> tuple[str, str]:
    login(client, user)
    resource, level = spec["scopes"].split(":")
    payload = {
        "name": spec["name"],
        "environment": spec["environment"],
        "expiry": f"{spec['days']}d" if spec["days"] else "never",
        f"scope__{resource}": level,
        "allowed_networks": spec["networks"],
    }
    response = client.post(f"/orgs/{org.slug}/keys/new", payload)
    if response.status_code in (403, 404):
        return (str(response.status_code), "")
    if response.status_code == 302:  # created: post/redirect/get to the one-time reveal page
        return ("ok", "")
    assert response.status_code == 200
    return ("400", response.content.decode())


def _api(client: Any, user: Any, org: Any, spec: dict[str, Any]) -> tuple[str, str]:
    api = APIClient()
    login(api, user)
    payload: dict[str, Any] = {
        "name": spec["name"],
        "environment": spec["environment"],
        "scopes": [spec["scopes"]],
        "allowed_networks": [spec["networks"]] if spec["networks"] else [],
    }
    if spec["days"]:
        payload["expires_at"] = (timezone.now() + timedelta(days=spec["days"])).isoformat()
    response = api.post(f"/api/v1/keys/?organization={org.slug}", payload, format="json")
    if response.status_code == 201:
        return ("ok", "")
    return (str(response.status_code), str(response.json()["error"]))


def _command(client: Any, user: Any, org: Any, spec: dict[str, Any]) -> tuple[str, str]:
    args = ["--org", org.slug, "--name", spec["name"], "--scopes", spec["scopes"], "--env", spec["environment"]]
    args += ["--as", user.email]
    if spec["days"]:
        args += ["--expires-in", f"{spec['days']}d"]
    if spec["networks"]:
        args += ["--allowed-networks", spec["networks"]]
    try:
        call_command("create_api_key", *args, stdout=io.StringIO())
    except CommandError as exc:
        text = str(exc)
        if "not a member" in text:
            return ("404", text)
        if "Viewers" in text:
            return ("403", text)
        return ("400", text)
    return ("ok", "")
