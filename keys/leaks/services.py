"""Acting on a secret scanner's report: find which tokens are ours in one query, then apply each team's policy."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from keys.apikeys.leaks import clean_source_url, key_report_leaked, keys_matching


def _address(url: str) -> str:
    # A scanner's location is informative, not essential: an address we cannot store must not stop the revoke.
    try:
        return clean_source_url(url)
    except ValidationError:
        return ""


def scanner_report(*, matches: Iterable[tuple[str, str]], source: str, request: HttpRequest | None = None) -> set[str]:
    """Handle (token, url) matches a scanner found in public; return the tokens that are really our keys.

    Each key found is handled by its team's `leak_policy` (notify, revoke or roll), naming the url; a
    repeat of a report already handled changes nothing. Tokens that are not ours are only labelled.
    """
    pairs = list(dict.fromkeys(matches))
    ours = keys_matching(token for token, _ in pairs)
    for token, url in pairs:
        key = ours.get(token)
        if key is not None:
            key_report_leaked(
                key=key,
                actor=None,
                source=source,
                source_url=_address(url),
                policy=key.organization.leak_policy,
                request=request,
            )
    return set(ours)
