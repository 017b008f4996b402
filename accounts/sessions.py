"""Each person's signed-in sessions: recorded at login, listed on the security page, ended everywhere at once.

Django's session store knows sessions by key, not by user, so `UserSession` keeps the link: a row
at `user_logged_in`, gone at `user_logged_out`. Ending a session deletes it from whatever store
SESSION_ENGINE names, so the browser holding it is signed out on its next request.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.auditing import audit_account
from accounts.models import User, UserSession
from audit.services import client_ip


def _store(session_key: str | None = None) -> SessionBase:
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return store


@receiver(user_logged_in, dispatch_uid="accounts.sessions.record")
def _record_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    if session.session_key is None:
        session.save()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


@receiver(user_logged_out, dispatch_uid="accounts.sessions.forget")
def _forget_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still exist in the store, newest first (rows of ended ones are dropped)."""
    alive: list[int] = []
    gone: list[int] = []
    for row in UserSession.objects.filter(user=user).order_by("-created_at"):
        (alive if _store().exists(row.session_key) else gone).append(row.pk)
    if gone:
        UserSession.objects.filter(pk__in=gone).delete()
    return list(UserSession.objects.filter(pk__in=alive).order_by("-created_at"))


def sign_out_everywhere(*, user: User, request: HttpRequest | None = None, keep_current: bool = True) -> int:
    """End every session of `user` (but this one, with `keep_current`); returns how many ended."""
    current = getattr(getattr(request, "session", None), "session_key", None) if keep_current else None
    rows = UserSession.objects.filter(user=user).exclude(session_key=current or "")
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete(key)
    rows.delete()
    actor = user if request is not None and getattr(request, "user", None) == user else None
    audit_account("user.signed_out_everywhere", user, actor=actor, request=request, metadata={"sessions": len(keys)})
    return len(keys)
