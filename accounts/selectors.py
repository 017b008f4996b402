"""Reads for accounts and teams."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.mfa import SecondFactorRequired, has_second_factor
from accounts.models import Membership, Organization, User


def membership_for(user: User, slug: str) -> Membership:
    """The user's membership in the organization `slug`. Outsiders get 404, never 403.

    Members of a team that requires a second factor get `SecondFactorRequired` (403; the portal's
    middleware sends them to enrol) until they have one.
    """
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("organization", "user").filter(organization__slug=slug, user=user).first()
    )
    if membership is None:
        raise Http404
    if membership.organization.require_mfa and not has_second_factor(user):
        raise SecondFactorRequired(membership.organization)
    return membership


def organizations_for(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("-is_personal", "name")


def default_organization(user: User, preferred_slug: str | None = None) -> Organization | None:
    orgs = organizations_for(user)
    if preferred_slug:
        chosen = orgs.filter(slug=preferred_slug).first()
        if chosen:
            return chosen
    return orgs.first()


def members_of(org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=org).select_related("user").order_by("user__email")
