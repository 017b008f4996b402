"""Portal pages for accounts and teams. Every team page checks membership first (404 for outsiders)."""

from __future__ import annotations

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
from django.views.decorators.http import require_POST

from accounts import departures, forms, mfa, security, services
from accounts.models import DeparturePolicy, Membership
from accounts.selectors import default_organization, members_of, membership_for
from audit.models import AuditEvent


def _errors_to_form(form: forms.forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, ValidationError(errors))
    else:
        form.add_error(None, ValidationError(exc.messages))


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
            _errors_to_form(form, exc)
        else:
            request.session["org"] = org.slug
            messages.success(request, f"Created {org.name}.")
            return redirect("keys:dashboard", slug=org.slug)
    user: Any = request.user
    memberships = Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
    return render(request, "accounts/org_list.html", {"form": form, "memberships": memberships})


@login_required
@require_POST
def org_switch(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    request.session["org"] = membership.organization.slug
    return redirect("keys:dashboard", slug=slug)


@login_required
def org_settings(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
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
    if request.method == "POST":
        if not membership.can("manage_org"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.organization_update(membership=membership, request=request, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, "Team settings saved.")
                return redirect("accounts:org_settings", slug=slug)
    return render(request, "accounts/org_settings.html", {"membership": membership, "org": org, "form": form})


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    org = membership.organization
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST":
        if not membership.can("manage_members"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.invitation_create(membership=membership, request=request, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("accounts:members", slug=slug)
    context = {
        "membership": membership,
        "org": org,
        "members": members_of(org),
        "invitations": org.invitations.filter(accepted_at__isnull=True).order_by("-created_at"),
        "form": form,
        "role_form": forms.RoleForm(),
    }
    return render(request, "accounts/members.html", context)


def _target_membership(org_membership: Membership, member_id: int) -> Membership:
    target = (
        Membership.objects.select_related("user", "organization")
        .filter(pk=member_id, organization=org_membership.organization)
        .first()
    )
    if target is None:
        raise Http404
    return target


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    target = _target_membership(membership, member_id)
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_set_role(by=membership, target=target, role=form.cleaned_data["role"], request=request)
            messages.success(request, f"{target.user.email} is now {target.get_role_display().lower()}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("accounts:members", slug=slug)


@login_required
def member_remove(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Remove a member (or leave). Under the reassign policy this asks who takes over their credentials."""
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    target = _target_membership(membership, member_id)
    org = membership.organization
    form = forms.MemberRemoveForm(request.POST if request.method == "POST" else None, target=target)
    asks = org.departure_policy == DeparturePolicy.REASSIGN
    if request.method != "POST" or (asks and "reassign_to" not in request.POST) or not form.is_valid():
        context = {"membership": membership, "org": org, "target": target, "form": form}
        return render(request, "accounts/member_remove.html", context)
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


@login_required
@require_POST
def ownership_transfer(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    target = _target_membership(membership, member_id)
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


@login_required
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's audit trail, newest first."""
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    events = AuditEvent.objects.filter(organization=membership.organization)
    action = request.GET.get("action", "")[:64]
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/audit_log.html",
        {"membership": membership, "org": membership.organization, "page": page, "action": action},
    )
