"""mTLS: register and revoke certificate authorities and client certificates, and judge a presented certificate."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Unpack

from cryptography import x509
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization
from keys.certificates import mtls
from keys.certificates import x509 as certs
from keys.certificates.kind import CERTIFICATE_AUTHORITY, CLIENT_CERTIFICATE
from keys.core import lifecycle as core
from keys.core import validation as v
from keys.core.authorization import Action, authorize, authorize_reach
from keys.core.registry import Kind
from keys.core.services import CredentialSettings, common_fields, creator, insert_with_fresh_id
from keys.models import CertificateAuthority, ClientCertificate, Environment, KeyStatus, MatchType
from keys.usage import recorder

logger = logging.getLogger("keys.auth")

ID_LENGTH = 12
CA_TAKEN = "Your team has already registered this CA."
# When one certificate is registered by several teams, the client names its own in this header.
ORGANIZATION_HEADER = "X-Organization"


def _parse_upload(pem: Any, *, field: str) -> certs.CertificateInfo:
    if not isinstance(pem, (str, bytes)) or not pem.strip():
        raise ValidationError({field: "Paste or upload a PEM certificate."})
    try:
        return certs.load_pem(pem)
    except certs.CertificateError as exc:
        raise ValidationError({field: str(exc)}) from None


def _register(
    kind: Kind[Any], fields: dict[str, Any], actor: Any, request: HttpRequest | None, *, taken: ValidationError
) -> Any:
    """Insert the row under a fresh id and record `<kind>.registered`, in one transaction. `taken` is raised
    when a uniqueness rule refuses it: a concurrent registration of the same certificate won the race."""
    try:
        with transaction.atomic():
            row = insert_with_fresh_id(
                kind.model, ID_LENGTH, lambda ident: kind.model._default_manager.create(id=ident, **fields)
            )
            core.record(kind, f"{kind.event_name}.registered", row, actor, request)
    except IntegrityError:
        raise taken from None
    return row


# --- certificate authorities -----------------------------------------------------------------


def certificate_authority_register(
    *,
    organization: Organization,
    actor: Any,
    name: str,
    certificate_pem: Any,
    request: HttpRequest | None = None,
) -> CertificateAuthority:
    """Trust a CA for the organization's client identities. It must be a CA, unexpired, and not already
    registered by this team. Another team may trust the same CA: a CA's certificate is public, and
    the answer never says whether another team holds it (issue 10)."""
    # A CA vouches for live identities: the rule treats registering one as a live change.
    authorize(actor, Action.CREATE, organization=organization, environment=Environment.LIVE, request=request)
    info = _parse_upload(certificate_pem, field="certificate")
    if not info.is_ca:
        raise ValidationError({"certificate": "This is not a CA certificate (it lacks basicConstraints CA:TRUE)."})
    now = timezone.now()
    if info.not_after <= now:
        raise ValidationError({"certificate": f"This CA certificate expired on {info.not_after:%Y-%m-%d}."})
    fields = {
        "organization": organization,
        "name": v.clean_name(name),
        "certificate_pem": info.pem,
        "thumbprint": info.thumbprint,
        "subject": info.subject,
        "subject_hash": info.subject_hash,
        "issuer": info.issuer,
        "serial": info.serial,
        "not_before": info.not_before,
        "not_after": info.not_after,
        "expires_at": info.not_after,
        **creator(actor),
    }
    if (
        CertificateAuthority.objects.filter(organization=organization, thumbprint=info.thumbprint)
        .exclude(status=KeyStatus.REVOKED)
        .exists()
    ):
        raise ValidationError({"certificate": CA_TAKEN})
    authority: CertificateAuthority = _register(
        CERTIFICATE_AUTHORITY, fields, actor, request, taken=ValidationError({"certificate": CA_TAKEN})
    )
    return authority


certificate_authority_revoke = CERTIFICATE_AUTHORITY.service(
    "revoke", "authority", "Stop trusting the CA: every identity under it is refused on the next request. Idempotent."
)


# --- client certificates ---------------------------------------------------------------------


def client_certificate_register(
    *,
    organization: Organization,
    actor: Any,
    certificate_pem: Any = None,
    authority: CertificateAuthority | None = None,
    match_subject: Any = None,
    match_san: Any = None,
    expires_at: Any = None,
    request: HttpRequest | None = None,
    **settings: Unpack[CredentialSettings],
) -> ClientCertificate:
    """Register a client identity with scopes: a pinned certificate (`certificate_pem`), or a subject or SAN
    that certificates issued by one of the team's CAs (`authority`) must carry. Expiry is at most the
    certificate's (or the CA's) own."""
    fields = common_fields(organization=organization, actor=actor, request=request, **settings)
    now = timezone.now()
    if authority is None:
        if match_subject or match_san:
            raise ValidationError({"authority": "Choose the CA that issues certificates with this subject or SAN."})
        info = _parse_upload(certificate_pem, field="certificate")
        if info.is_ca:
            raise ValidationError(
                {"certificate": "This is a CA certificate. Register it as a certificate authority instead."}
            )
        if info.not_after <= now:
            raise ValidationError({"certificate": f"This certificate expired on {info.not_after:%Y-%m-%d}."})
        fields.update(
            match_type=MatchType.THUMBPRINT,
            match_value=info.thumbprint,
            certificate_pem=info.pem,
            thumbprint=info.thumbprint,
            subject=info.subject,
            issuer=info.issuer,
            serial=info.serial,
            sans=list(info.sans),
            not_before=info.not_before,
            not_after=info.not_after,
            expires_at=v.clean_expiry_within(expires_at, limit=info.not_after),
        )
        taken = ClientCertificate.objects.filter(
            organization=organization, match_type=MatchType.THUMBPRINT, match_value=info.thumbprint
        )
        conflict = "Your team has already registered this certificate."
    else:
        if certificate_pem:
            raise ValidationError({"certificate": "Give either a certificate to pin or a CA identity, not both."})
        # Judge the CA as it is now, not as the caller loaded it (it may have been revoked since).
        authority = CertificateAuthority.objects.get(pk=authority.pk)
        if authority.organization_id != organization.pk:
            raise ValidationError({"authority": "Choose one of your team's certificate authorities."})
        if not authority.is_active(now):
            raise ValidationError({"authority": f"That certificate authority is {authority.state}."})
        if bool(match_subject) == bool(match_san):
            raise ValidationError({"match": "Give either the subject or a SAN that the certificates carry."})
        try:
            if match_subject:
                match_type, match_value = MatchType.SUBJECT, certs.normalize_subject(str(match_subject))
            else:
                match_type, match_value = MatchType.SAN, certs.normalize_san(str(match_san))
        except certs.CertificateError as exc:
            raise ValidationError({"match": str(exc)}) from None
        fields.update(
            match_type=match_type,
            match_value=match_value,
            authority=authority,
            expires_at=v.clean_expiry_within(expires_at, limit=authority.not_after),
        )
        taken = ClientCertificate.objects.filter(authority=authority, match_type=match_type, match_value=match_value)
        conflict = "An identity with this subject or SAN already exists under this CA."
    authorize_reach(
        actor,
        organization=organization,
        environment=fields["environment"],
        changes={"expires_at": fields["expires_at"]},
    )
    if taken.exclude(status=KeyStatus.REVOKED).exists():
        raise ValidationError({"certificate" if authority is None else "match": conflict})
    cert: ClientCertificate = _register(
        CLIENT_CERTIFICATE,
        fields,
        actor,
        request,
        taken=ValidationError({"certificate" if authority is None else "match": conflict}),
    )
    return cert


client_certificate_revoke = CLIENT_CERTIFICATE.service(
    "revoke", "certificate", "Revoke at once: the next request with this certificate (or identity) fails. Idempotent."
)


client_certificate_update = CLIENT_CERTIFICATE.service(
    "update", "certificate", "Change the name, networks, expiry (within the certificate's own), limit or metadata."
)


# --- judging a presented certificate -----------------------------------------------------------


class CertCode(StrEnum):
    VALID = "valid"
    MALFORMED = "malformed_certificate"
    CERTIFICATE_EXPIRED = "certificate_expired"
    UNKNOWN = "unknown_certificate"
    INACTIVE = "inactive_certificate"
    FORBIDDEN_IP = "forbidden_ip"
    AMBIGUOUS = "ambiguous_certificate"


CERT_MESSAGES: dict[CertCode, str] = {
    CertCode.MALFORMED: "The client certificate could not be read.",
    CertCode.CERTIFICATE_EXPIRED: "The client certificate is outside its validity period.",
    CertCode.UNKNOWN: "The client certificate is not registered with any team.",
    CertCode.INACTIVE: "The client certificate is revoked or expired, or its CA is no longer trusted.",
    CertCode.FORBIDDEN_IP: "The client certificate may not be used from this address.",
    CertCode.AMBIGUOUS: f"The client certificate is registered more than once: name your team in {ORGANIZATION_HEADER}.",
}


@dataclass
class CertificateCheck:
    code: CertCode
    credential: ClientCertificate | None = None
    info: certs.CertificateInfo | None = None

    @property
    def valid(self) -> bool:
        return self.code is CertCode.VALID


@lru_cache(maxsize=256)
def _ca_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


_PRIORITY: dict[str, int] = {MatchType.THUMBPRINT: 0, MatchType.SUBJECT: 1, MatchType.SAN: 2}


def _judge(row: ClientCertificate, info: certs.CertificateInfo, ip: str | None, now: datetime) -> CertCode | None:
    """What this candidate row says about the certificate; None when it does not actually match."""
    if row.match_type != MatchType.THUMBPRINT:
        authority = row.authority
        if authority is None or not certs.issued_by(info.certificate, _ca_certificate(authority.certificate_pem)):
            return None  # same names, but not issued by this CA: a look-alike
        if not authority.is_active(now):
            return CertCode.INACTIVE
    if not row.is_active(now):
        return CertCode.INACTIVE
    if not row.allows_ip(ip):
        return CertCode.FORBIDDEN_IP
    return CertCode.VALID


def client_certificate_check(request: Any, *, ip: str | None) -> CertificateCheck | None:
    """Judge the request's forwarded client certificate; None when there is none (or not from a trusted proxy).

    The certificate must be within its validity dates, then match an active identity: its thumbprint
    pinned, or its subject or a SAN registered under an active CA of the team that issued it directly
    (the signature is verified). One indexed query, joined with the organization and the CA.
    Identities are unique per team, so one certificate may match several teams: the client then names
    its own in the X-Organization header, and without it the certificate is refused as ambiguous.
    """
    presented = mtls.presented_certificate(request)
    if presented is None:
        return None
    info = presented.info
    if info is None:
        logger.info("client certificate refused: unreadable (%s) ip=%s", presented.error, ip)
        return CertificateCheck(CertCode.MALFORMED)
    now = timezone.now()
    if not info.is_valid_at(now):
        return _fail(CertCode.CERTIFICATE_EXPIRED, info, ip)
    match = Q(match_type=MatchType.THUMBPRINT, match_value=info.thumbprint) | Q(
        authority__subject_hash=info.issuer_hash, match_type=MatchType.SUBJECT, match_value=info.subject
    )
    if info.sans:
        match |= Q(authority__subject_hash=info.issuer_hash, match_type=MatchType.SAN, match_value__in=info.sans)
    # No ORDER BY in SQL (the few candidates are ranked below); this is the request path.
    rows = list(ClientCertificate.objects.select_related("organization", "authority").filter(match).order_by()[:20])
    rows.sort(key=lambda r: (r.status == KeyStatus.REVOKED, _PRIORITY.get(r.match_type, 9), r.created_at))
    named = request.META.get("HTTP_" + ORGANIZATION_HEADER.upper().replace("-", "_"))
    if named:
        # The calling team, as the client names it: only its own identities are considered.
        rows = [row for row in rows if row.organization.slug == named]
    failure: tuple[CertCode, ClientCertificate] | None = None
    accepted: ClientCertificate | None = None
    for row in rows:
        verdict = _judge(row, info, ip, now)
        if verdict is CertCode.VALID:
            if accepted is None:
                accepted = row
            elif row.organization_id != accepted.organization_id:
                # Two teams registered this certificate (it is public, so either may be squatting):
                # never guess which one the holder of the private key belongs to, and never say who.
                return _fail(CertCode.AMBIGUOUS, info, ip)
        elif verdict is not None and failure is None:
            failure = (verdict, row)
    if accepted is not None:
        recorder.record(f"cc:{accepted.pk}", ip, ok=True)
        return CertificateCheck(CertCode.VALID, accepted, info)
    if failure is None:
        return _fail(CertCode.UNKNOWN, info, ip)
    recorder.record(f"cc:{failure[1].pk}", ip, ok=False)
    return _fail(failure[0], info, ip, credential=failure[1])


def _fail(
    code: CertCode, info: certs.CertificateInfo, ip: str | None, *, credential: ClientCertificate | None = None
) -> CertificateCheck:
    logger.info(
        "client certificate refused: code=%s thumbprint=%s credential=%s ip=%s",
        code.value,
        info.thumbprint,
        credential.pk if credential else None,
        ip,
    )
    return CertificateCheck(code, credential, info)
