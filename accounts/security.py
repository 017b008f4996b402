"""Account security pages: second factors (TOTP, recovery codes, passkeys), the login's second step,
passwordless passkey login, sudo by passkey, and the list of sessions with "sign out everywhere".

The passkey endpoints answer JSON to static/js/passkeys.js: options for the browser's WebAuthn
call, then `{"redirect": url}` once verified, or a 400 `{"error": message}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import forms, mfa, passkeys, services, sessions
from accounts.decorators import sudo_required
from accounts.models import User
from lib.http import no_store

BACKEND = "django.contrib.auth.backends.ModelBackend"
MAX_CODE_ATTEMPTS = 5


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("accounts:home")


def after_login(request: HttpRequest, next_url: str) -> HttpResponse:
    """Where a fresh login goes: enrolment first when one of the user's teams requires a second factor."""
    user: Any = request.user
    teams = mfa.teams_requiring_enrolment(user)
    if teams:
        names = ", ".join(t.name for t in teams)
        messages.warning(request, f"{names} requires a second factor. Set up an authenticator app or a passkey.")
        return redirect(f"{reverse('accounts:security')}?{urlencode({'next': _safe_next(request, next_url)})}")
    return redirect(_safe_next(request, next_url))


def _complete_login(request: HttpRequest, user: User, next_url: str, method: str) -> str:
    mfa.login_pending_clear(request)
    login(request, user, backend=BACKEND)
    services.sudo_open(request)
    mfa.factor_verified(request, user, method)
    return after_login(request, next_url)["Location"]


def _json_error(exc: ValidationError) -> JsonResponse:
    return JsonResponse({"error": " ".join(exc.messages)}, status=400)


# --- the security page -------------------------------------------------------------------------


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context = {
        "has_totp": mfa.has_totp(user),
        "recovery_codes_left": mfa.recovery_codes_left(user),
        "passkeys": list(user.passkeys.order_by("created_at")),
        "sessions": sessions.active_sessions(user),
        "current_session": request.session.session_key,
        "teams_requiring": mfa.teams_requiring_enrolment(user),
        "next": _safe_next(request, request.GET.get("next")) if request.GET.get("next") else "",
    }
    return no_store(render(request, "accounts/security.html", context))


@login_required
@sudo_required
@sensitive_post_parameters("code")
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Show a new seed; a first code from the app confirms it. Recovery codes are shown once, after."""
    user: Any = request.user
    seed = mfa.totp_setup_seed(request)
    form = forms.SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_enable(request=request, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.messages[0] if exc.messages else "That code is not right.")
        else:
            next_url = request.GET.get("next", "")
            return no_store(render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url}))
    context = {"form": form, "seed": seed, "uri": mfa.totp_provisioning_uri(user, seed)}
    return no_store(render(request, "accounts/totp_setup.html", context))


@login_required
@sudo_required
@require_POST
def totp_disable(request: HttpRequest) -> HttpResponse:
    mfa.totp_disable(user=request.user, request=request)  # type: ignore[arg-type]
    messages.success(request, "The authenticator app is removed.")
    return redirect("accounts:security")


@login_required
@sudo_required
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    codes = mfa.recovery_codes_regenerate(user=request.user, request=request)  # type: ignore[arg-type]
    return no_store(render(request, "accounts/recovery_codes.html", {"codes": codes, "next": ""}))


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    ended = sessions.sign_out_everywhere(user=request.user, request=request)  # type: ignore[arg-type]
    messages.success(request, f"Signed out of {ended} other session{'s' if ended != 1 else ''}.")
    return redirect("accounts:security")


# --- passkeys ----------------------------------------------------------------------------------


@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    if not services.sudo_is_active(request):
        return JsonResponse({"error": "Confirm your password first (reload the page)."}, status=403)
    return HttpResponse(passkeys.registration_options(request), content_type="application/json")


@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    if not services.sudo_is_active(request):
        return JsonResponse({"error": "Confirm your password first (reload the page)."}, status=403)
    try:
        passkey = passkeys.registration_verify(
            request=request, body=request.body, name=request.headers.get("X-Passkey-Name", "")
        )
    except ValidationError as exc:
        return _json_error(exc)
    messages.success(request, f"Passkey “{passkey.name}” added.")
    next_url = request.GET.get("next")
    return JsonResponse({"redirect": _safe_next(request, next_url) if next_url else reverse("accounts:security")})


@login_required
@sudo_required
@require_POST
def passkey_delete(request: HttpRequest, passkey_id: int) -> HttpResponse:
    if passkeys.passkey_delete(user=request.user, passkey_id=passkey_id, request=request):  # type: ignore[arg-type]
        messages.success(request, "Passkey removed.")
    return redirect("accounts:security")


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    """Passwordless (any discoverable passkey), or the second step for the user half-way through logging in."""
    pending = mfa.login_pending(request)
    user = pending[0] if pending else None
    return HttpResponse(
        passkeys.authentication_options(request, purpose="login", user=user), content_type="application/json"
    )


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    pending = mfa.login_pending(request)
    try:
        user = passkeys.authentication_verify(
            request=request, body=request.body, purpose="login", user=pending[0] if pending else None
        )
    except ValidationError as exc:
        return _json_error(exc)
    next_url = pending[1] if pending else request.GET.get("next", "")
    return JsonResponse({"redirect": _complete_login(request, user, next_url, "passkey")})


@login_required
@require_POST
def sudo_passkey_options(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        passkeys.authentication_options(request, purpose="sudo", user=request.user),  # type: ignore[arg-type]
        content_type="application/json",
    )


@login_required
@require_POST
def sudo_passkey(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        passkeys.authentication_verify(request=request, body=request.body, purpose="sudo", user=user)
    except ValidationError as exc:
        mfa.factor_failed(request, user, "passkey")
        return _json_error(exc)
    services.sudo_open(request)
    mfa.factor_verified(request, user, "passkey")
    return JsonResponse({"redirect": _safe_next(request, request.GET.get("next"))})


# --- the login's second step -------------------------------------------------------------------


@sensitive_post_parameters("code")
def login_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code (TOTP or recovery) or a passkey logs the user in."""
    pending = mfa.login_pending(request)
    if pending is None:
        messages.error(request, "Your login timed out. Enter your password again.")
        return redirect("accounts:login")
    user, next_url = pending
    form = forms.SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        method = mfa.verify_code(user=user, code=form.cleaned_data["code"])
        if method:
            if method == "recovery_code":
                messages.warning(request, f"You used a recovery code; {mfa.recovery_codes_left(user)} left.")
            return redirect(_complete_login(request, user, next_url, method))
        mfa.factor_failed(request, user, "code")
        failures = request.session.get("mfa_failures", 0) + 1
        request.session["mfa_failures"] = failures
        if failures >= MAX_CODE_ATTEMPTS:
            request.session.pop("mfa_failures", None)
            mfa.login_pending_clear(request)
            messages.error(request, "Too many wrong codes. Enter your password again.")
            return redirect("accounts:login")
        form.add_error("code", "That code is not right.")
    context = {"form": form, "has_totp": mfa.has_totp(user), "has_passkeys": user.passkeys.exists()}
    return no_store(render(request, "accounts/login_verify.html", context))
