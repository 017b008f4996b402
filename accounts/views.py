"""Portal pages for accounts and teams. Every team page checks membership first (404 for outsiders)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.debug import sensitive_post_parameters

from accounts import departures, forms, mfa, security, services
from accounts.models import DeparturePolicy, Membership, Organization
from accounts.portal import apply_errors, render_team, submit, team_page
from accounts.selectors import default_organization, members_of
from audit.models import AuditEvent

# The team's own pages (settings, members, audit log) leave the caller's current team as it is.
_team_page = partial(team_page, current=False)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    org = default_organization(request.user, request.session.get("org"))  # type: ignore[arg-type]
    if org is None:
        return redirect("accounts:org_list")
    return redirect("keys:dashboard", slug=org.slug)


SIGNUP_SENT = (
    "Thanks! We sent you an email. If the address was new, your account is ready: log in below. "
    "If you already had an account, the email tells you how to get back in."
)


@sensitive_post_parameters("password")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not the address has an account (the email says which).
        services.signup_request(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            name=form.cleaned_data["name"],
            request=request,
        )
        messages.success(request, SIGNUP_SENT)
        login_url = reverse("accounts:login")
        next_url = request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            login_url += "?" + urlencode({"next": next_url})
        return redirect(login_url)
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = forms.EmailAuthenticationForm
    redirect_authenticated_user = True
    # LoginView would otherwise put the request's host in `site_name`.
    extra_context = {"site_name": settings.SITE_NAME}

    def form_valid(self, form: forms.EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        """The password was right: log in, or (with a second factor) go on to the second step."""
        user = form.get_user()
        if mfa.has_second_factor(user):
            mfa.login_pending_start(self.request, user, redirect_to=self.get_success_url())
            return redirect("accounts:login_verify")
        super().form_valid(form)
        services.sudo_open(self.request)
        return security.after_login(self.request, self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    form_class = forms.ThrottledPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_kwargs(self):  # type: ignore[no-untyped-def]
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs


@login_required
@sensitive_post_parameters("password")
def sudo(request: HttpRequest) -> HttpResponse:
    """Confirm the password to open a short sudo window for sensitive actions."""
    next_url = request.GET.get("next") or request.POST.get("next") or reverse("accounts:home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("accounts:home")
    user: Any = request.user
    form = forms.SudoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password, code = form.cleaned_data["password"], form.cleaned_data["code"]
        if password and services.sudo_confirm(request=request, password=password):
            return redirect(next_url)
        if not password and mfa.sudo_confirm_code(request=request, code=code):
            return redirect(next_url)
        form.add_error(
            "code" if not password else "password",
            "That code is not right." if not password else "That password is not right.",
        )
    context = {"form": form, "next": next_url, "has_totp": mfa.has_totp(user), "has_passkeys": user.passkeys.exists()}
    return render(request, "accounts/sudo.html", context)


@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    form = forms.OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(user=request.user, name=form.cleaned_data["name"], request=request)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session["org"] = org.slug
            messages.success(request, f"Created {org.name}.")
            return redirect("keys:dashboard", slug=org.slug)
    user: Any = request.user
    memberships = Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
    return render(request, "accounts/org_list.html", {"form": form, "memberships": memberships})


@team_page(post=True)
def org_switch(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    """Make the team the caller's current one (the team page gate remembers it)."""
    return redirect("keys:dashboard", slug=slug)


def _saved(request: HttpRequest, membership: Membership, form: Any, permission: str, save: Callable[..., Any]) -> bool:
    """A team settings form: on POST, 403 without `permission`; True once `save(membership=..., **data)` took
    the valid form (its ValidationError is then on the form)."""
    if request.method != "POST":
        return False
    if not membership.can(permission):
        raise PermissionDenied
    data = form.cleaned_data if form.is_valid() else None
    return data is not None and submit(form, lambda: save(membership=membership, request=request, **data)) is not None


@_team_page()
def org_settings(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    form = forms.OrganizationSettingsForm(
        request.POST or None,
        initial={
            "name": org.name,
            "leak_policy": org.leak_policy,
            "require_mfa": org.require_mfa,
            "departure_policy": org.departure_policy,
        },
    )
    if _saved(request, membership, form, "manage_org", services.organization_update):
        messages.success(request, "Team settings saved.")
        return redirect("accounts:org_settings", slug=slug)
    return render_team(request, "accounts/org_settings.html", membership, form=form)


@_team_page()
def members(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    form = forms.InviteForm(request.POST or None)
    if _saved(request, membership, form, "manage_members", services.invitation_create):
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("accounts:members", slug=slug)
    context = {
        "members": members_of(org),
        "invitations": org.invitations.filter(accepted_at__isnull=True).order_by("-created_at"),
        "form": form,
        "role_form": forms.RoleForm(),
    }
    return render_team(request, "accounts/members.html", membership, **context)


def _member_of(org: Organization, member_id: int) -> Membership:
    target = Membership.objects.select_related("user", "organization").filter(pk=member_id, organization=org).first()
    if target is None:
        raise Http404
    return target


# A team page about one member (404 for anyone else's membership): `view(request, membership, target, slug=slug)`.
_member_page = partial(_team_page, lookup=("member_id", _member_of))


@_member_page(post=True)
def member_role(request: HttpRequest, membership: Membership, target: Membership, slug: str) -> HttpResponse:
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_set_role(by=membership, target=target, role=form.cleaned_data["role"], request=request)
            messages.success(request, f"{target.user.email} is now {target.get_role_display().lower()}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("accounts:members", slug=slug)


@_member_page()
def member_remove(request: HttpRequest, membership: Membership, target: Membership, slug: str) -> HttpResponse:
    """Remove a member (or leave). Under the reassign policy this asks who takes over their credentials."""
    org = membership.organization
    form = forms.MemberRemoveForm(request.POST if request.method == "POST" else None, target=target)
    asks = org.departure_policy == DeparturePolicy.REASSIGN
    if request.method != "POST" or (asks and "reassign_to" not in request.POST) or not form.is_valid():
        return render_team(request, "accounts/member_remove.html", membership, target=target, form=form)
    try:
        departures.membership_remove(
            by=membership, target=target, reassign_to=form.cleaned_data["reassign_to"], request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:members", slug=slug)
    if target.pk == membership.pk:
        request.session.pop("org", None)
        messages.success(request, f"You left {membership.organization.name}.")
        return redirect("accounts:home")
    messages.success(request, f"Removed {target.user.email}.")
    return redirect("accounts:members", slug=slug)


@_member_page(post=True)
def ownership_transfer(request: HttpRequest, membership: Membership, target: Membership, slug: str) -> HttpResponse:
    try:
        departures.ownership_transfer(by=membership, to=target, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{target.user.email} now owns {membership.organization.name}; you are an admin.")
    return redirect("accounts:members", slug=slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        return render(request, "accounts/invitation.html", {"invitation": invitation, "token": token})
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=request.user, request=request)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("accounts:home")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:home")
        request.session["org"] = invitation.organization.slug
        messages.success(request, f"You joined {invitation.organization.name}.")
        return redirect("keys:dashboard", slug=invitation.organization.slug)
    return render(request, "accounts/invitation.html", {"invitation": invitation, "token": token})


@_team_page()
def audit_log(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    """The team's audit trail, newest first."""
    events = AuditEvent.objects.filter(organization=membership.organization)
    action = request.GET.get("action", "")[:64]
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render_team(request, "accounts/audit_log.html", membership, page=page, action=action)
