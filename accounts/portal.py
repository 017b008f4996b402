"""What every app's portal views share: a team page's gate and membership, its routes, and form errors
(no-store pages: lib.http).

Every team page goes through `team_page`, so outsiders get 404 (never 403) for another team's objects,
as in healthchecks' `_get_project_for_user`, and a viewer's attempt to change something gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Membership, Organization
from accounts.selectors import membership_for

T = TypeVar("T")
View = Callable[..., HttpResponse]
Lookup = Callable[[Organization, Any], Any]  # a team's object by its URL kwarg, or Http404

VIEWER_MESSAGE = "Viewers cannot change this."
PAGE_SIZE = 25  # rows on a list page


def member_or_404(request: HttpRequest, slug: str, *, current: bool = True) -> Membership:
    """The caller's membership of team `slug` (404 for outsiders), remembered as their current team
    unless `current` is False."""
    membership = membership_for(request.user, slug)  # type: ignore[arg-type]
    if current:
        request.session["org"] = membership.organization.slug
    return membership


def team_page(
    *,
    write: bool = False,
    post: bool = False,
    no_cache: bool = False,
    lookup: tuple[str, Lookup] | None = None,
    viewer_message: str = VIEWER_MESSAGE,
    current: bool = True,
) -> Callable[[View], View]:
    """A portal page of one team (`orgs/<slug>/...`): signed in, then the membership (`member_or_404`),
    passed on as `view(request, membership, slug=slug, **url_kwargs)`.

    `write`: a page that changes things, for roles that may (403 with `viewer_message` for the others);
    the `password` field some of their forms confirm is kept out of error reports. `post`: POST only.
    `no_cache`: the answer may carry a secret, so no cache keeps it. `lookup`: (URL kwarg, finder) of the
    one team object the page is about: `finder(org, value)` (404 for another team's) is passed to the
    view after the membership, in place of that kwarg.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def page(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            membership = member_or_404(request, slug, current=current)
            if write and not membership.can("write_credentials"):
                raise PermissionDenied(viewer_message)
            if lookup is None:
                return view(request, membership, slug=slug, **kwargs)
            kwarg, find = lookup
            return view(request, membership, find(membership.organization, kwargs.pop(kwarg)), slug=slug, **kwargs)

        gated: View = page
        if write:
            gated = sensitive_post_parameters("password")(gated)
        if post:
            gated = require_POST(gated)
        gated = login_required(gated)
        return never_cache(gated) if no_cache else gated

    return decorate


def page_of(request: HttpRequest, rows: Any) -> Page[Any]:
    """The `?page=` page of a list page's rows."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def render_team(request: HttpRequest, template: str, membership: Membership, **context: Any) -> HttpResponse:
    """A team page's template with the `membership` and `org` every portal page (its sidebar) shows."""
    return render(request, template, {"membership": membership, "org": membership.organization, **context})


def team_url(membership: Membership, name: str, **kwargs: Any) -> str:
    """The URL of the team page `name` (its slug filled in), e.g. where a reveal page sends a second view."""
    return reverse(name, kwargs={"slug": membership.organization.slug, **kwargs})


def team_paths(
    views: ModuleType, stem: str, collection: str, item: str, *, names: str = "", pages: Iterable[str]
) -> list[URLPattern]:
    """One kind of team object's routes under `orgs/<slug>/<collection>/`, from its views' names.

    Each of `pages` is `list` (`<collection>/`), `create` (`<collection>/new`), `detail`
    (`<collection>/<item>/`) or an action on one object (`<collection>/<item>/<page>`). Its view is
    `views.<stem>_<page>` and its URL name `<names><page>`, with `-` read as `_` in both.
    """
    base = f"orgs/<slug:slug>/{collection}/"
    routes = {"list": base, "create": f"{base}new", "detail": f"{base}<str:{item}>/"}
    patterns = []
    for page in pages:
        name = page.replace("-", "_")
        route = routes.get(page, f"{base}<str:{item}>/{page}")
        patterns.append(path(route, getattr(views, f"{stem}_{name}"), name=f"{names}{name}"))
    return patterns


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


def save_form(
    request: HttpRequest, form: Any, service: Callable[..., T], fields: Callable[[Any], dict[str, Any]], **target: Any
) -> T | None:
    """A create or edit page's one service call: on a valid POST of `form`,
    `service(**target, actor=<the signed-in person>, **fields(form), request=request)`. None when the form
    was not posted, is invalid, or the service refused it (its ValidationError is then on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    return submit(form, lambda: service(**target, actor=request.user, **fields(form), request=request))


def form_errors(form: Any) -> str:
    """Every error of a form in one line, for a message after a redirect."""
    return " ".join(str(e) for errs in form.errors.values() for e in errs)
