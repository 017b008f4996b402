"""Users (log in by email), organizations, memberships with roles, and invitations."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """A person. Logs in with email and password."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]

    def has_second_factor(self) -> bool:
        """A confirmed authenticator app or at least one passkey."""
        return TOTPDevice.objects.filter(user=self, confirmed_at__isnull=False).exists() or self.passkeys.exists()


class DeparturePolicy(models.TextChoices):
    KEEP = "keep", "Keep them working"
    REASSIGN = "reassign", "Reassign them to a chosen member"
    REVOKE = "revoke", "Revoke them"


class LeakPolicy(models.TextChoices):
    """What happens to a team's API key that a secret scanner (GitHub, GitLab) reports as leaked."""

    NOTIFY = "notify", "Notify only (the key keeps working)"
    REVOKE = "revoke", "Revoke the key at once"
    ROLL = "roll", "Roll the key: a sealed successor, the leaked key stops after a short grace"


class Organization(models.Model):  # type: ignore[django-manager-missing]
    """A team. Every credential belongs to exactly one organization."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    is_personal = models.BooleanField(default=False)
    # Key-hygiene policies (lifetime, expiry, allowlist, scopes per role, rotation) are keys.CredentialPolicy.
    # Database defaults on the policy columns below, so rows written by code from before them (a rolling
    # deploy, the historical models of older migrations) still insert.
    # Policy: what a secret scanner's leak report does to a key (docs/leaks.md); a holder's own revoke always revokes.
    leak_policy = models.CharField(
        max_length=8, choices=LeakPolicy.choices, default=LeakPolicy.REVOKE, db_default=LeakPolicy.REVOKE
    )
    # Policy: every member needs a second factor (TOTP or a passkey) to open this team's pages.
    require_mfa = models.BooleanField(default=False, db_default=False)
    # Policy: what happens to the credentials a member created when they are removed or deactivated.
    departure_policy = models.CharField(
        max_length=8, choices=DeparturePolicy.choices, default=DeparturePolicy.KEEP, db_default=DeparturePolicy.KEEP
    )
    created_at = models.DateTimeField(auto_now_add=True)

    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        User, through="Membership", related_name="organizations"
    )

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    VIEWER = "viewer", "Viewer"


# What each role may do; checked by `Membership.can`.
_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset({"view", "write_credentials", "manage_members", "manage_org", "delete_org"}),
    Role.ADMIN: frozenset({"view", "write_credentials", "manage_members", "manage_org"}),
    Role.DEVELOPER: frozenset({"view", "write_credentials"}),
    Role.VIEWER: frozenset({"view"}),
}


class Membership(models.Model):
    """A user's role in one organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.DEVELOPER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("organization", "user"), name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    def can(self, permission: str) -> bool:
        return permission in _ROLE_PERMISSIONS.get(self.role, frozenset())

    # For templates, which cannot pass arguments.
    @property
    def can_write_credentials(self) -> bool:
        return self.can("write_credentials")

    @property
    def can_manage_members(self) -> bool:
        return self.can("manage_members")

    @property
    def can_manage_org(self) -> bool:
        return self.can("manage_org")


class Invitation(models.Model):
    """An invitation to join an organization. Only a hash of the token is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.DEVELOPER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class OutboundEmail(models.Model):
    """An email in the outbox: written in the transaction of what caused it, sent by a task after commit.

    A task claims it with a conditional UPDATE (`claimed_until`), sends, then stamps `sent_at`, so two
    workers never send one email twice; a claim that outlives a crashed worker expires and the sweep
    sends it again. The context holds names and ids only, never a secret: a link that carries one (an
    invitation, a password reset) is minted when the email is sent (accounts/outbox.py).
    """

    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=64, help_text="templates/emails/<template>.txt, .html and _subject.txt")
    context = models.JSONField(default=dict, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(
        null=True, blank=True, help_text="Not sent because what it was about is gone (reason in last error)."
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        # The table of keys.Notification, where the outbox lived before (moved without copying a row).
        db_table = "keys_notification"
        verbose_name = "outbound email"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.template} to {len(self.recipients)} recipient(s)"


# --- Second factors and sessions (accounts/mfa.py, accounts/passkeys.py, accounts/sessions.py) ---------------


class TOTPDevice(models.Model):
    """A person's authenticator app (RFC 6238). The seed is sealed with the keyring (lib.crypto)."""

    ENCRYPTION_PURPOSE = "totp-seed"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    seed_ciphertext = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="Empty until a first code proved the set-up.")
    # The time step of the last accepted code, so one code never works twice (RFC 6238 section 5.2).
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "TOTP authenticator"

    def __str__(self) -> str:
        return f"TOTP for {self.user}"


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator is lost. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "code_hash"), name="uniq_recovery_code")]

    def __str__(self) -> str:
        return f"Recovery code of {self.user}"


class Passkey(models.Model):
    """A WebAuthn credential: a second factor, and (being discoverable and user-verified) a passwordless login."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=60)
    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url, as the browser sends it")
    public_key = models.BinaryField(help_text="COSE public key (not a secret)")
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class UserSession(models.Model):
    """One signed-in browser: the user's session key, so they can see their sessions and end them all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Session of {self.user} from {self.ip}"
