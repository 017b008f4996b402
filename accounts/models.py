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
    # Policy: what a secret scanner's leak report does to a key (docs/leaks.md); a holder's own revoke always revokes.
    # A database default too: code from before this column (a node mid-deploy, a migration test) still inserts teams.
    leak_policy = models.CharField(
        max_length=8, choices=LeakPolicy.choices, default=LeakPolicy.REVOKE, db_default=LeakPolicy.REVOKE
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
