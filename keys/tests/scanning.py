"""Helpers for the secret-scanning tests: a GitHub-style signing key pair made by the test, never fetched."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from keys.apikeys import tokens


@dataclass
class Signer:
    """One P-256 key pair and its GitHub key identifier."""

    identifier: str
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def make(cls, identifier: str) -> Signer:
        return cls(identifier, ec.generate_private_key(ec.SECP256R1()))

    def public_entry(self) -> dict[str, Any]:
        pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"key_identifier": self.identifier, "key": pem.decode(), "is_current": True}

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()

    def headers(self, body: bytes) -> dict[str, str]:
        return {
            "HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": self.identifier,
            "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": self.sign(body),
        }


def github_document(*signers: Signer) -> str:
    """The JSON GitHub publishes at api.github.com/meta/public_keys/secret_scanning."""
    return json.dumps({"public_keys": [s.public_entry() for s in signers]})


def report(*found: tuple[str, str]) -> bytes:
    """A GitHub report body: (token, url) pairs."""
    return json.dumps(
        [{"token": token, "type": "keyhouse_api_key", "url": url, "source": "content"} for token, url in found]
    ).encode()


def made_up_key(environment: str = "live") -> str:
    """Well-formed, with a valid checksum, but never issued."""
    return tokens.build("ak", environment, tokens.random_base62(tokens.ID_LENGTH))
