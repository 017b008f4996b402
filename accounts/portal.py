"""What every app's portal views share: access to a team's pages and form errors (no-store pages: lib.http).

Every portal object view starts with `member_or_404`, so outsiders get 404 (never 403) for another
team's objects, as in healthchecks' `_get_project_for_user`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from accounts.models import Membership
from accounts.selectors import membership_for

T = TypeVar("T")


def member_or_404(
    request: HttpRequest, slug: str, *, write: bool = False, viewer_message: str = "Viewers cannot change this."
) -> Membership:
    """The caller's membership of team `slug` (404 for outsiders), remembered as their current team.

    `write=True` also requires a role that may change credentials (403 with `viewer_message` otherwise).
    """
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    request.session["org"] = membership.organization.slug
    if write and not membership.can("write_credentials"):
        raise PermissionDenied(viewer_message)
    return membership


def apply_errors(form: Any, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: per field where the field exists, else to the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, ValidationError(errors))
    else:
        form.add_error(None, ValidationError(exc.messages))


def submit(form: Any, action: Callable[[], T]) -> T | None:
    """Run a form's service call; on its ValidationError attach the errors to the form and return None.

    The service calls passed here never return None themselves, so None always means "re-render the form".
    """
    try:
        return action()
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


def form_errors(form: Any) -> str:
    """Every error of a form in one line, for a message after a redirect."""
    return " ".join(str(e) for errs in form.errors.values() for e in errs)
