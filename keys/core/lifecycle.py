"""One family of lifecycle services for every credential kind: update, revoke, disable and enable.

Each service authorizes through `keys.core.authorization.authorize`, locks only its own row
(`select_for_update(of=("self",))`, so the organization row stays free for the audit log's
concurrent writers), diffs the change, records exactly one audit event and publishes
`<event_name>.<action>` when the webhook catalogue has that event, all in one transaction.
The family is written once, against `Kind`: the one description of a credential kind, which each
kind package builds and registers (`keys.core.registry`). Each kind's public services
(`key_update`, `signing_secret_revoke`, …) are calls of its `Kind`; what is really per kind (a key's
roll, a signing secret's HMAC secret, a certificate's X.509 limits) stays with the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.services import audit_record
from keys.core import validation as v
from keys.core.authorization import Action, authorize, authorize_reach
from keys.core.errors import KeyConflict
from keys.core.models import KeyStatus
from webhooks import catalogue as webhook_events
from webhooks.services import publish

M = TypeVar("M", bound=Model)
UNSET: Any = object()
# What an update may change, in the order it is applied and recorded.
EDITABLE = ("name", "scopes", "allowed_networks", "expires_at", "rate_limit", "metadata")


def edited_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """The `EDITABLE` fields an update names, without those left UNSET; any other name is a TypeError."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TypeError(f"not editable: {', '.join(unknown)}")
    return {f: changes[f] for f in EDITABLE if f in changes and changes[f] is not UNSET}


def _live(credential: Any) -> bool:
    return bool(credential.environment == "live")


def _no_context(request: HttpRequest, credential: Any) -> dict[str, Any]:
    return {}


def _no_page(organization: Any, ident: str) -> Any:
    raise Http404


@dataclass(frozen=True)
class Kind(Generic[M]):
    """One credential kind as the core knows it: its lifecycle (the family below) and its pages.

    The kind packages build one each (`keys/<kind>/kind.py`) and register it (`keys.core.registry`);
    the generic portal views, the hygiene report and the departure policy read it from there. Names
    follow from `name` unless a kind says otherwise: the audit target type is `name`, events are
    `<event_name>.<action>` carrying `target.summary()` under `event_name`, and the pages of `page`
    are `keys:<page>_detail`, `keys/<page>_detail.html` and `keys/<page>_list.html`, with the
    credential as `context_name` in the template and `<context_name>_id` in the URL.
    """

    name: str  # e.g. "signing_secret"; the audit log's target type
    model: type[M]
    label: str = ""  # for people, e.g. "API key", "signing secret" (default: `name` in words)
    noun: str = ""  # in the lifecycle's messages, e.g. "A revoked certificate cannot be changed." (default: label)
    event_name: str = ""  # e.g. "key" for "key.revoked" (default: `name`)
    # --- the lifecycle's per-kind rules
    # Cleans an update's new expiry against the locked row (kinds bound expiries differently).
    clean_expiry: Callable[[Any, Any], Any] = field(default=lambda value, row: v.clean_expiry(value))
    # On revoke: extra fields to clear (and save) on the locked row, e.g. a signing secret's previous secret.
    on_revoke: Callable[[Any], list[str]] = field(default=lambda row: [])
    revoke_metadata: Callable[[Any], dict[str, Any]] = field(default=lambda row: {})
    has_status_changed_at: bool = True
    # --- the pages: `lookup(org, ident)` is the team's credential or Http404
    context_name: str = ""
    page: str = ""
    lookup: Callable[[Any, str], M] = _no_page
    list_query: Callable[..., QuerySet[M]] | None = None
    list_context: Callable[[Any], dict[str, Any]] = lambda org: {}
    detail_context: Callable[[HttpRequest, Any], dict[str, Any]] = _no_context
    detail_url: str = ""
    detail_template: str = ""
    list_template: str = ""
    url_kwarg: str = ""
    roll_url: str = ""  # the kind's own roll/rotate page, which shows the new secret once
    revoked_message: str = ""  # the full message after a revoke, with "{name}"
    edit_help: dict[str, str] = field(default_factory=dict)
    scoped: bool = True
    is_live: Callable[[Any], bool] = _live

    def __post_init__(self) -> None:
        label = self.label or self.name.replace("_", " ")
        derived = {
            "label": label,
            "noun": label,
            "event_name": self.name,
            "url_kwarg": f"{self.context_name}_id",
            "detail_url": f"keys:{self.page}_detail",
            "detail_template": f"keys/{self.page}_detail.html",
            "list_template": f"keys/{self.page}_list.html" if self.list_query else "",
        }
        for attr, value in derived.items():
            if not getattr(self, attr):
                object.__setattr__(self, attr, value)

    @property
    def target_type(self) -> str:
        return self.name

    @property
    def updated_message(self) -> str:
        return f"{self.label[0].upper()}{self.label[1:]} updated."

    # The lifecycle of one credential of this kind; each kind's public services call these.

    def update(self, target: M, *, actor: Any, request: HttpRequest | None = None, **changes: Any) -> M:
        """Change what `EDITABLE` names (`changes` holds only what the caller sent); see `credential_update`."""
        return credential_update(self, target=target, actor=actor, fields=edited_fields(changes), request=request)

    def revoke(self, target: M, *, actor: Any, reason: str = "", request: HttpRequest | None = None) -> M:
        return credential_revoke(self, target=target, actor=actor, reason=reason, request=request)

    def set_status(self, target: M, *, actor: Any, enable: bool, request: HttpRequest | None = None) -> M:
        return credential_set_status(self, target=target, actor=actor, enable=enable, request=request)

    def service(self, action: str, target: str, doc: str, **fixed: Any) -> Callable[..., M]:
        """`action` ("update", "revoke", "set_status") as the kind's public keyword-only service, which takes
        the credential by the keyword `target` (`key=`, `secret=`…), with `fixed` arguments (`enable=False`)."""
        method = getattr(self, action)

        def call(**arguments: Any) -> M:
            credential = arguments.pop(target)
            return cast(M, method(credential, **fixed, **arguments))

        call.__doc__ = doc
        call.__name__ = call.__qualname__ = f"{self.name}_{action}"
        return call


def lock(kind: Kind[M], target: M) -> M:
    """The target's row, locked for this transaction; only its own row (`of=("self",)`)."""
    return kind.model._default_manager.select_for_update(of=("self",)).select_related("organization").get(pk=target.pk)


def record(
    kind: Kind[Any],
    action: str,
    target: Any,
    actor: Any,
    request: HttpRequest | None,
    *,
    actor_label: str = "",
    **metadata: Any,
) -> None:
    """One audit event about `target`, and its webhook event when catalogued, inside the caller's transaction.

    `actor_label` names a job acting as the system (actor None), e.g. "rotation policy".
    """
    audit_record(
        action=action,
        organization=target.organization,
        actor=actor,
        actor_label=actor_label,
        target_type=kind.target_type,
        target_id=str(target.pk),
        request=request,
        metadata={kind.event_name: target.summary(), **metadata},
    )
    if webhook_events.get(action) is not None:
        # Same transaction as the change: the event is stored (and later delivered) only if the change commits.
        # Updates name the changed fields only: their values may hold the team's own metadata.
        details = {"changed": sorted(metadata["changes"])} if "changes" in metadata else metadata
        publish(
            organization=target.organization,
            event_type=action,
            data={"organization": target.organization.slug, kind.event_name: target.summary(), **details},
        )


def jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def apply_changes(instance: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed fields on a locked row, save them, and return {field: {before, after}}."""
    before = {name: jsonable(getattr(instance, name)) for name in changes}
    changed = {f: val for f, val in changes.items() if jsonable(val) != before[f]}
    for name, value in changed.items():
        setattr(instance, name, value)
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return {f: {"before": before[f], "after": jsonable(val)} for f, val in changed.items()}


def credential_update(
    kind: Kind[M], *, target: M, actor: Any, fields: dict[str, Any], request: HttpRequest | None = None
) -> M:
    """Change a credential's name, networks, expiry, limit or metadata, or narrow its scopes (never widen).

    `fields` holds only what the caller sent. Authorized twice: the action first (so an outsider learns
    nothing from validation), then the cleaned values against the caller's own reach.
    """
    with transaction.atomic():
        locked: Any = lock(kind, target)
        authorize(actor, Action.UPDATE, locked, request=request)
        if locked.status == KeyStatus.REVOKED:
            raise KeyConflict(f"A revoked {kind.noun} cannot be changed.")
        changes: dict[str, Any] = {}
        if "name" in fields:
            changes["name"] = v.clean_name(fields["name"])
        if "scopes" in fields:
            new_scopes = v.clean_scopes(fields["scopes"])
            v.require_subset(
                new_scopes,
                locked.effective_scopes,
                message=f"Scopes can only be narrowed; create a new {kind.noun} to add",
            )
            changes["scopes"] = new_scopes
        if "allowed_networks" in fields:
            changes["allowed_networks"] = v.clean_networks(fields["allowed_networks"])
        if "expires_at" in fields:
            changes["expires_at"] = kind.clean_expiry(fields["expires_at"], locked)
        if "rate_limit" in fields:
            changes["rate_limit"] = v.clean_rate_limit(fields["rate_limit"])
        if "metadata" in fields:
            changes["metadata"] = v.clean_metadata(fields["metadata"])
        authorize_reach(actor, locked, changes=changes)
        diff = apply_changes(locked, changes)
        if diff:
            record(kind, f"{kind.event_name}.updated", locked, actor, request, changes=diff)
    return locked


def clean_reason(reason: Any) -> str:
    reason = str(reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": "The reason is at most 200 characters."})
    return reason


def credential_revoke(
    kind: Kind[M], *, target: M, actor: Any, reason: str = "", request: HttpRequest | None = None
) -> M:
    """Revoke at once: the very next request with it fails on every node. Revoking twice is a no-op."""
    reason = clean_reason(reason)
    with transaction.atomic():
        locked: Any = lock(kind, target)
        authorize(actor, Action.REVOKE, locked, request=request)
        if locked.status == KeyStatus.REVOKED:
            return locked
        now = timezone.now()
        locked.status = KeyStatus.REVOKED
        locked.revoked_at = now
        locked.revoked_by = actor if _is_person(actor) else None
        locked.revoked_reason = reason
        fields = ["status", "revoked_at", "revoked_by", "revoked_reason", *kind.on_revoke(locked), "updated_at"]
        if kind.has_status_changed_at:
            locked.status_changed_at = now
            fields.append("status_changed_at")
        locked.save(update_fields=fields)
        record(
            kind, f"{kind.event_name}.revoked", locked, actor, request, reason=reason, **kind.revoke_metadata(locked)
        )
    return locked


def credential_set_status(
    kind: Kind[M], *, target: M, actor: Any, enable: bool, request: HttpRequest | None = None
) -> M:
    """Disable an active credential (it fails authentication until enabled) or enable a disabled one."""
    to, frm = (KeyStatus.ACTIVE, KeyStatus.DISABLED) if enable else (KeyStatus.DISABLED, KeyStatus.ACTIVE)
    verb = "enabled" if enable else "disabled"
    with transaction.atomic():
        locked: Any = lock(kind, target)
        authorize(actor, Action.ENABLE if enable else Action.DISABLE, locked, request=request)
        if locked.status == to:
            return locked
        if locked.status != frm:
            raise KeyConflict(f"This {kind.noun} is {locked.status}; it cannot be {verb}.")
        locked.status = to
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        record(kind, f"{kind.event_name}.{verb}", locked, actor, request)
    return locked


def _is_person(actor: Any) -> bool:
    from django.contrib.auth import get_user_model

    return isinstance(actor, get_user_model())
