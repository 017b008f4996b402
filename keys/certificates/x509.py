"""X.509 helpers for mTLS: parsing uploads and proxy headers, thumbprints, names and SANs. No database here."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

# A PEM certificate is a few KB; anything much larger is not one certificate.
MAX_PEM_BYTES = 16 * 1024
MAX_SANS = 50
_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class CertificateError(ValueError):
    """The input is not one usable X.509 certificate; the message says why, for people."""


@dataclass(frozen=True)
class CertificateInfo:
    """What we store and match on for one certificate."""

    certificate: x509.Certificate = field(repr=False, compare=False)
    der: bytes = field(repr=False)
    thumbprint: str  # x5t#S256: base64url (no padding) SHA-256 of the DER (RFC 8705 section 3.1)
    subject: str
    subject_hash: str
    issuer: str
    issuer_hash: str
    serial: str
    sans: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    is_ca: bool

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def is_valid_at(self, now: datetime) -> bool:
        return self.not_before <= now < self.not_after


def thumbprint(der: bytes) -> str:
    """The x5t#S256 confirmation value of a DER certificate (RFC 8705 section 3.1)."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def fingerprint_hex(x5t: str) -> str:
    """The same SHA-256 as `openssl x509 -fingerprint -sha256` prints it (AB:CD:…)."""
    raw = base64.urlsafe_b64decode(x5t + "=" * (-len(x5t) % 4))
    return ":".join(f"{b:02X}" for b in raw)


def _name_hash(name: x509.Name) -> str:
    return hashlib.sha256(name.public_bytes()).hexdigest()


def normalize_subject(text: str) -> str:
    """The canonical RFC 4514 form of a subject typed by a person (`CN=billing, O=Acme`)."""
    # People write "CN=billing, O=Acme"; the RFC 4514 grammar has no spaces around unescaped separators.
    compact = re.sub(r"\s*(?<!\\)([,+])\s*", r"\1", text.strip())
    try:
        return x509.Name.from_rfc4514_string(compact).rfc4514_string()
    except (ValueError, TypeError, IndexError):
        raise CertificateError("The subject is not an RFC 4514 distinguished name such as CN=billing,O=Acme.") from None


def normalize_san(text: str) -> str:
    """`dns:…`, `uri:…`, `email:…` or `ip:…`, in the form certificates are compared in."""
    kind, sep, value = text.strip().partition(":")
    kind = kind.lower()
    value = value.strip()
    if not sep or not value or kind not in ("dns", "uri", "email", "ip"):
        raise CertificateError("A SAN is written dns:name, uri:value, email:address or ip:address.")
    if kind in ("dns", "email"):
        value = value.lower().rstrip(".") if kind == "dns" else value.lower()
    elif kind == "ip":
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            raise CertificateError(f"{value[:60]!r} is not an IP address.") from None
    if len(value) > 450 or any(ch.isspace() for ch in value):
        raise CertificateError("That SAN value is too long or contains spaces.")
    return f"{kind}:{value}"


def _sans(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    out: list[str] = []
    for value in ext.get_values_for_type(x509.DNSName):
        out.append(f"dns:{value.lower().rstrip('.')}")
    for value in ext.get_values_for_type(x509.UniformResourceIdentifier):
        out.append(f"uri:{value}")
    for value in ext.get_values_for_type(x509.RFC822Name):
        out.append(f"email:{value.lower()}")
    for ip in ext.get_values_for_type(x509.IPAddress):
        out.append(f"ip:{ip}")
    return tuple(out[:MAX_SANS])


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def describe(cert: x509.Certificate) -> CertificateInfo:
    """Thumbprint, names, serial, SANs and validity of a parsed certificate."""
    try:
        der = cert.public_bytes(serialization.Encoding.DER)
        return CertificateInfo(
            certificate=cert,
            der=der,
            thumbprint=thumbprint(der),
            subject=cert.subject.rfc4514_string(),
            subject_hash=_name_hash(cert.subject),
            issuer=cert.issuer.rfc4514_string(),
            issuer_hash=_name_hash(cert.issuer),
            serial=format(cert.serial_number, "x"),
            sans=_sans(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            is_ca=_is_ca(cert),
        )
    except (ValueError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise CertificateError(f"The certificate could not be read: {str(exc)[:100]}") from None


def load_pem(data: str | bytes) -> CertificateInfo:
    """Exactly one PEM certificate (an upload). Private keys are refused, so nobody pastes one by mistake."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    if len(raw) > MAX_PEM_BYTES:
        raise CertificateError("That is too large to be one certificate.")
    if b"PRIVATE KEY" in raw:
        raise CertificateError("That contains a private key. Upload only the certificate; keep the key secret.")
    blocks = _PEM_RE.findall(raw)
    if not blocks:
        raise CertificateError("Paste one PEM certificate, starting with -----BEGIN CERTIFICATE-----.")
    if len(blocks) > 1:
        raise CertificateError("Paste exactly one certificate, not a chain.")
    try:
        cert = x509.load_pem_x509_certificate(blocks[0])
    except ValueError:
        raise CertificateError("The PEM block is not a valid X.509 certificate.") from None
    return describe(cert)


def _load_der_or_pem(raw: bytes) -> CertificateInfo:
    if b"-----BEGIN" in raw:
        return load_pem(raw)
    try:
        der = base64.b64decode(b"".join(raw.split()), validate=True)
        return describe(x509.load_der_x509_certificate(der))
    except (binascii.Error, ValueError):
        raise CertificateError("The certificate header is neither PEM nor base64 DER.") from None


def _xfcc_cert(value: str) -> str:
    """The URL-encoded `Cert` of Envoy's x-forwarded-client-cert, which must describe exactly one client."""
    elements = _split_outside_quotes(value, ",")
    if len(elements) != 1:
        raise CertificateError("x-forwarded-client-cert must describe exactly one client (use SANITIZE_SET).")
    for pair in _split_outside_quotes(elements[0], ";"):
        name, sep, item = pair.partition("=")
        if sep and name.strip().lower() == "cert":
            return item.strip().strip('"')
    raise CertificateError("x-forwarded-client-cert carries no Cert field.")


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def from_proxy_header(value: str, *, header: str) -> CertificateInfo:
    """The client certificate a TLS-terminating proxy forwarded.

    Understands nginx's `$ssl_client_escaped_cert` (URL-encoded PEM, also AWS ALB), Envoy's
    `x-forwarded-client-cert` (its `Cert` field) and bare base64 DER (Traefik). A client sends the same
    certificate on every request, so parses are remembered (the result depends on the bytes alone;
    validity dates are checked by the caller on each request).
    """
    if len(value) > 3 * MAX_PEM_BYTES:
        raise CertificateError("The certificate header is too large.")
    return _parse_header(value, header.lower())


@lru_cache(maxsize=1024)
def _parse_header(value: str, header: str) -> CertificateInfo:
    if len(value) > 3 * MAX_PEM_BYTES:
        raise CertificateError("The certificate header is too large.")
    if header == "x-forwarded-client-cert":
        value = _xfcc_cert(value)
    decoded = urllib.parse.unquote_to_bytes(value.strip())
    return _load_der_or_pem(decoded)


def issued_by(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    """Whether `ca` signed `leaf` directly (names chain and the signature verifies)."""
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
