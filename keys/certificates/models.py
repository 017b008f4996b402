"""mTLS client certificates: pinned certificates and identities issued by a registered CA."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from keys.core.models import Credential, KeyStatus, team_list_index


class MatchType(models.TextChoices):
    THUMBPRINT = "thumbprint", "Certificate thumbprint"
    SUBJECT = "subject", "Subject issued by a registered CA"
    SAN = "san", "Subject alternative name issued by a registered CA"


class CertificateAuthority(models.Model):
    """A CA an organization registered: leaf certificates it issued directly authenticate as the
    `ClientCertificate` identities (subject or SAN matches) defined under it.

    Certificates are public, so the PEM is stored as is; what proves the caller is the TLS handshake.
    Revoking the CA refuses every identity under it on the next request.
    """

    kind = "certificate_authority"

    id = models.CharField(primary_key=True, max_length=12, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="certificate_authorities")
    name = models.CharField(max_length=100)
    certificate_pem = models.TextField()
    thumbprint = models.CharField(max_length=43, db_index=True, help_text="x5t#S256: base64url SHA-256 of the DER.")
    subject = models.TextField()
    subject_hash = models.CharField(
        max_length=64, db_index=True, help_text="SHA-256 of the subject's DER; a leaf's issuer must equal it."
    )
    issuer = models.TextField()
    serial = models.CharField(max_length=64)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True, help_text="The CA certificate's own expiry.")
    status = models.CharField(max_length=8, choices=KeyStatus.choices, default=KeyStatus.ACTIVE, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "certificate authority"
        verbose_name_plural = "certificate authorities"
        constraints = [
            # Once per team. Not globally: a CA's certificate is public, so a global rule let one team
            # squat another's CA (issue 10); a certificate matching two teams is settled when presented.
            models.UniqueConstraint(
                fields=("organization", "thumbprint"), condition=~Q(status="revoked"), name="uniq_active_ca_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.subject})"

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == KeyStatus.ACTIVE and self.not_before <= now < self.not_after

    @property
    def state(self) -> str:
        if self.status != KeyStatus.ACTIVE:
            return self.status
        return "expired" if self.not_after <= timezone.now() else "active"

    @property
    def sha256_fingerprint(self) -> str:
        from keys.certificates.x509 import fingerprint_hex

        return fingerprint_hex(self.thumbprint)

    def summary(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "subject": self.subject,
            "thumbprint": self.thumbprint,
            "not_after": self.not_after.isoformat(),
        }


class ClientCertificate(Credential):
    """An mTLS client identity: a pinned certificate (matched by its x5t#S256 thumbprint), or a subject
    or SAN that certificates issued by one of the organization's registered CAs must carry.
    """

    kind = "client_certificate"

    id = models.CharField(primary_key=True, max_length=12, editable=False)
    match_type = models.CharField(max_length=10, choices=MatchType.choices, default=MatchType.THUMBPRINT)
    match_value = models.CharField(
        max_length=500, help_text="The thumbprint, the RFC 4514 subject, or a SAN such as dns:billing.example.com."
    )
    authority = models.ForeignKey(
        CertificateAuthority, null=True, blank=True, on_delete=models.PROTECT, related_name="identities"
    )
    # The pinned certificate and what it says; empty for CA-issued identities.
    certificate_pem = models.TextField(blank=True)
    thumbprint = models.CharField(max_length=43, blank=True)
    subject = models.TextField(blank=True)
    issuer = models.TextField(blank=True)
    serial = models.CharField(max_length=64, blank=True)
    sans = models.JSONField(default=list, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)

    class Meta(Credential.Meta):
        verbose_name = "client certificate"
        indexes = [
            team_list_index("keys_client_org_idx"),
            models.Index(fields=("match_type", "match_value"), name="keys_client_match_idx"),
        ]
        constraints = [
            # Pinned once per team. Certificates are public: "first come, first served" across teams let
            # anyone squat another team's certificate (issue 10).
            models.UniqueConstraint(
                fields=("organization", "match_value"),
                condition=Q(match_type="thumbprint") & ~Q(status="revoked"),
                name="uniq_active_pinned_per_org",
            ),
            models.UniqueConstraint(
                fields=("authority", "match_type", "match_value"),
                condition=~Q(status="revoked"),
                name="uniq_active_ca_identity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def display_id(self) -> str:
        return f"cc_{self.environment}_{self.id}"

    @property
    def is_pinned(self) -> bool:
        return self.match_type == MatchType.THUMBPRINT

    @property
    def sha256_fingerprint(self) -> str:
        from keys.certificates.x509 import fingerprint_hex

        return fingerprint_hex(self.thumbprint) if self.thumbprint else ""

    def summary(self) -> dict[str, object]:
        out = super().summary()
        out.update({"match_type": self.match_type, "match_value": self.match_value})
        if self.authority_id:
            out["authority"] = self.authority_id
        return out
