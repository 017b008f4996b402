"""Business rules for accounts, organizations, memberships, invitations and sudo mode."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from accounts.auditing import audit_account
from accounts.models import DeparturePolicy, Invitation, LeakPolicy, Membership, Organization, Role, User
from accounts.outbox import EmailCancelled, email_queue

SUDO_SESSION_KEY = "sudo_until"
INVITATION_DAYS = 7


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "team"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def user_signup(*, email: str, password: str, name: str = "", request: HttpRequest | None = None) -> User:
    """Create a user and their personal organization, where they are the owner."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, name=name)
        org_name = f"{name or email.split('@')[0]}'s team"
        organization_create(user=user, name=org_name, personal=True, request=request)
        audit_account("user.signup", user, actor=user, request=request)
    return user


def signup_request(*, email: str, password: str, name: str = "", request: HttpRequest | None = None) -> None:
    """Sign-up that answers the same whether or not `email` has an account (issue 10), as password reset does.

    A new address gets its account and a welcome email; an address that has one gets a notice
    instead (someone tried to sign up with it; log in or reset the password), and its account is
    left alone. Both pay one password hash, so the answer takes as long either way. Nobody is logged
    in here: the caller shows everyone the same "check your email" page.
    """
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = user_signup(email=email, password=password, name=name, request=request)
                email_queue(
                    organization=None, template="signup_welcome", context={"name": name}, recipients=[user.email]
                )
            return
        except IntegrityError:  # a concurrent sign-up took the address first: answer as for an existing one
            existing = User.objects.filter(email__iexact=email).first()
    make_password(password)  # the work a new account costs, so timing tells nothing
    # One notice an hour per address at most: sign-up must not become a way to flood someone's inbox.
    notice_key = f"signup-notice:{hashlib.sha256(email.encode()).hexdigest()}"
    if existing is not None and existing.is_active and cache.add(notice_key, 1, timeout=3600):
        email_queue(
            organization=None, template="signup_existing", context={"name": existing.name}, recipients=[existing.email]
        )


def organization_create(
    *, user: User, name: str, personal: bool = False, request: HttpRequest | None = None
) -> Organization:
    """Create an organization owned by `user`."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    for _ in range(5):
        try:
            with transaction.atomic():
                org = Organization.objects.create(name=name[:100], slug=_unique_slug(name), is_personal=personal)
                Membership.objects.create(organization=org, user=user, role=Role.OWNER)
                audit_account("organization.created", org, actor=user, request=request)
                return org
        except IntegrityError:
            continue  # two sign-ups raced for the same slug; pick another
    raise ValidationError({"name": "Could not allocate a unique address for this team; try another name."})


def organization_update(
    *,
    membership: Membership,
    name: str,
    leak_policy: str | None = None,
    require_mfa: bool | None = None,
    departure_policy: str | None = None,
    request: HttpRequest | None = None,
) -> Organization:
    """Rename an organization and set its team policies: what a secret scanner's leak report does, a second
    factor for every member, and what happens to a departing member's credentials. Each policy left None (or
    "") keeps its current value. Its key-hygiene policies are keys.policies, on their own page."""
    if not membership.can("manage_org"):
        raise PermissionDenied("Only owners and admins can change team settings.")
    org = membership.organization
    if departure_policy is not None and departure_policy not in DeparturePolicy.values:
        raise ValidationError({"departure_policy": "Unknown departure policy."})
    if require_mfa and not org.require_mfa and not membership.user.has_second_factor():
        # Otherwise the admin would lock themselves out of the settings page they are on.
        raise ValidationError({"require_mfa": "Set up a second factor for yourself before requiring one."})
    with transaction.atomic():
        fields = ("name", "leak_policy", "require_mfa", "departure_policy")
        if leak_policy and leak_policy not in LeakPolicy.values:
            raise ValidationError({"leak_policy": f"The leak policy is one of {', '.join(LeakPolicy.values)}."})
        before = {f: getattr(org, f) for f in fields}
        org.name = name.strip()[:100] or org.name
        org.leak_policy = leak_policy or org.leak_policy
        if require_mfa is not None:
            org.require_mfa = bool(require_mfa)
        if departure_policy is not None:
            org.departure_policy = departure_policy
        org.save(update_fields=list(fields))
        after = {f: getattr(org, f) for f in fields}
        audit_account(
            "organization.updated",
            org,
            actor=membership.user,
            request=request,
            metadata={"before": before, "after": after},
        )
    return org


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role_grant(by: Membership, role: str, *, doing: str, owners_only: str, owner: bool) -> None:
    """Whether `by` may give someone `role` (`doing` it, e.g. "invite people"): owners and admins only, a known
    role, and only owners when an owner is made or unmade (`owner`; refused with `owners_only`)."""
    if not by.can("manage_members"):
        raise PermissionDenied(f"Only owners and admins can {doing}.")
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    if owner and by.role != Role.OWNER:
        raise PermissionDenied(owners_only)


def invitation_create(
    *, membership: Membership, email: str, role: str, request: HttpRequest | None = None
) -> Invitation:
    """Invite someone by email, through the outbox. The token exists only in the email; the database keeps its hash."""
    _check_role_grant(
        membership, role, doing="invite people", owners_only="Only owners can invite owners.", owner=role == Role.OWNER
    )
    email = email.strip().lower()
    org = membership.organization
    if Membership.objects.filter(organization=org, user__email=email).exists():
        raise ValidationError({"email": "This person is already a member."})
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=org,
            email=email,
            role=role,
            # Nobody ever holds this token: the working one is minted when the email is sent.
            token_hash=_token_hash(secrets.token_urlsafe(32)),
            invited_by=membership.user,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        audit_account(
            "invitation.created",
            invitation,
            actor=membership.user,
            organization=org,
            request=request,
            metadata={"email": email, "role": role},
        )
        inviter = membership.user
        email_queue(
            organization=org,
            template="invitation",
            context={
                "invitation_id": invitation.pk,
                "organization": {"name": org.name},
                "inviter": {"name": inviter.name, "email": inviter.email},
                "role": invitation.get_role_display(),
            },
            recipients=[email],
        )
    return invitation


def invitation_email_context(context: dict[str, Any]) -> dict[str, Any]:
    """The invitation link, minted as the email is sent (the outbox's send-time context for `invitation`).

    Tokens are stored hashed, so the outbox cannot keep one to put in the email later: each send mints
    a fresh token and stores its hash, and only that email's link works. Sending again (an SMTP error,
    a worker that crashed after sending) replaces the link; an invitation no longer pending is not sent.
    """
    token = secrets.token_urlsafe(32)
    minted = Invitation.objects.filter(
        pk=context["invitation_id"], accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).update(token_hash=_token_hash(token))
    if not minted:
        raise EmailCancelled("The invitation was accepted, has expired or is gone.")
    return {"url": settings.SITE_URL + reverse("accounts:invitation_accept", args=[token])}


def password_reset_queue(*, user: User, domain: str, protocol: str) -> None:
    """Email a password-reset link through the outbox; the link is made when the email is sent."""
    email_queue(
        organization=None,
        template="password_reset",
        context={"user_id": user.pk, "domain": domain, "protocol": protocol},
        recipients=[user.email],
    )


def password_reset_email_context(context: dict[str, Any]) -> dict[str, Any]:
    """The user, uid and token of a password-reset email, made as it is sent (never stored).

    Django's reset tokens are derived from the user's password hash and last login, so they need no
    storage, and one made at send time is as valid as one made at request time.
    """
    user = User.objects.filter(pk=context["user_id"], is_active=True).first()
    if user is None or not user.has_usable_password():
        raise EmailCancelled("The account is gone or cannot reset its password.")
    return {
        "user": user,
        "email": user.email,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def invitation_for_token(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("organization").filter(token_hash=_token_hash(token)).first()
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, user: User, request: HttpRequest | None = None) -> Membership:
    """Join the invited organization. The invitation is single-use and bound to its email address."""
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied("This invitation was sent to another email address.")
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending:
            raise ValidationError("This invitation has already been used or has expired.")
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        membership, _ = Membership.objects.get_or_create(
            organization=locked.organization, user=user, defaults={"role": locked.role}
        )
        audit_account(
            "membership.created",
            membership,
            actor=user,
            organization=locked.organization,
            request=request,
            metadata={"role": membership.role, "via": "invitation"},
        )
    return membership


def owners_left(org: Organization, excluding: Membership) -> int:
    """How many owners the team has besides `excluding`."""
    return Membership.objects.filter(organization=org, role=Role.OWNER).exclude(pk=excluding.pk).count()


def membership_set_role(
    *, by: Membership, target: Membership, role: str, request: HttpRequest | None = None
) -> Membership:
    """Change a member's role. Only owners make or unmake owners, and a team always keeps one owner."""
    _check_role_grant(
        by,
        role,
        doing="change roles",
        owners_only="Only owners can grant or remove the owner role.",
        owner=Role.OWNER in (role, target.role),
    )
    with transaction.atomic():
        if target.role == Role.OWNER and role != Role.OWNER and owners_left(target.organization, target) == 0:
            raise ValidationError("A team needs at least one owner.")
        before = target.role
        target.role = role
        target.save(update_fields=["role"])
        audit_account(
            "membership.role_changed",
            target,
            actor=by.user,
            organization=target.organization,
            request=request,
            metadata={"user": target.user.email, "before": before, "after": role},
        )
    return target


# --- Sudo mode ------------------------------------------------------------------------------


def sudo_is_active(request: HttpRequest) -> bool:
    until = request.session.get(SUDO_SESSION_KEY)
    return isinstance(until, (int, float)) and until > time.time()


def sudo_confirm(*, request: HttpRequest, password: str) -> bool:
    """Check the password again; on success, open a sudo window. Failures count towards the login lockout."""
    user = request.user
    ok = authenticate(request, username=user.get_username(), password=password) is not None
    if ok:
        sudo_open(request)
    audit_account("user.reauthenticated" if ok else "user.reauthentication_failed", user, actor=user, request=request)
    return ok


# --- Password reset throttle -------------------------------------------------------------------


def password_reset_allowed(*, ip: str | None, email: str) -> bool:
    """At most N reset requests an hour per IP and per email address, counted in the cache."""
    limit = settings.PASSWORD_RESET_RATE_PER_HOUR
    window = int(time.time() // 3600)
    allowed = True
    for part in (f"ip:{ip}", f"email:{hashlib.sha256(email.strip().lower().encode()).hexdigest()}"):
        key = f"pwreset:{window}:{part}"
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=3600)
            count = 1
        if count > limit:
            allowed = False
    return allowed


def sudo_open(request: HttpRequest) -> None:
    """A password was just checked (login or sign-up): start the sudo window."""
    request.session[SUDO_SESSION_KEY] = time.time() + settings.SUDO_MODE_SECONDS
