"""The kinds registry: one small description per credential kind, read by the generic portal views.

Each kind package (`keys.signing.kind`, `keys.certificates.kind`) builds one `Kind` and registers it;
`keys.core.views` serves list/detail/edit/revoke for every registered kind from that description,
so a page behaves the same whichever kind it shows. URL names and templates stay the kind's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.models import Organization


def _live(credential: Any) -> bool:
    return bool(credential.environment == "live")


def _no_context(request: HttpRequest, credential: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Kind:
    """What the generic views need to know about one kind of credential.

    `lookup(org, pk)` returns the organization's credential or raises Http404; `update` and `revoke`
    take the credential positionally plus the service's keyword arguments and make the one service
    call. `detail_url` is the URL name the edit and revoke views redirect to, with `url_kwarg`.
    """

    name: str
    model: type[Model]
    label: str  # lower case, as in "Signing secret updated." and the edit page's title
    target_type: str  # audit events' target_type
    url_kwarg: str
    detail_url: str
    context_name: str  # the credential's name in the detail template
    lookup: Callable[[Organization, str], Any]
    revoke: Callable[..., Any]
    revoked_message: str  # after "Revoked {name}." / the full message when it has "{name}"
    detail_template: str
    list_template: str = ""
    list_query: Callable[..., QuerySet[Any]] | None = None
    update: Callable[..., Any] | None = None
    edit_help: dict[str, str] = field(default_factory=dict)
    scoped: bool = True
    is_live: Callable[[Any], bool] = _live
    list_context: Callable[[Organization], dict[str, Any]] = lambda org: {}
    detail_context: Callable[[HttpRequest, Any], dict[str, Any]] = _no_context

    @property
    def updated_message(self) -> str:
        return f"{self.label[0].upper()}{self.label[1:]} updated."


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add `kind` (once per name; registering the same name again replaces it, e.g. on reload)."""
    _KINDS[kind.name] = kind
    return kind


def kind_for(name: str) -> Kind:
    return _KINDS[name]


def kinds() -> list[Kind]:
    return list(_KINDS.values())
