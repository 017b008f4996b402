"""The customer signer's documented import path (`from keys.client import RequestsSigner`).

It lives in keys/signing/client.py with the rest of the signing kind; this thin facade keeps the
path that docs/signing.md and customers' code use.
"""

from __future__ import annotations

from keys.signing.client import HTTPXSigner, RequestSigner, RequestsSigner, SignedParts

__all__ = ["HTTPXSigner", "RequestSigner", "RequestsSigner", "SignedParts"]
