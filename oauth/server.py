"""The oauthlib server DOT drives, narrowed to what RFC 9700 allows."""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server as OpenIDServer

S256_ONLY = {"S256": code_challenge_method_s256}


class Server(OpenIDServer):
    """oauthlib's OpenID Connect server with PKCE `plain` removed, so it is refused at the authorize step.

    DOT's COMPLIANT_BCP_RFC9700_PKCE_METHOD gate refuses `plain` only when the code is saved, after
    the user has consented; removing it here fails the request before the consent screen.
    """

    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = S256_ONLY
