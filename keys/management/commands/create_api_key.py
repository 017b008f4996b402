"""Create an API key from the command line and print only the key (for scripts and bootstrapping).

It acts as the system, or with `--as EMAIL` as that member (their role, and the scopes the team's
policy lets that role grant). Either way the team's key policies apply (docs/policies.md).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization, User
from keys.services import key_create

_DURATION = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise CommandError(f"--expires-in takes a number and a unit h, d or w (e.g. 30d), got {text!r}.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Create an API key for an organization and print the key (and nothing else) to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", required=True, help="Comma-separated, e.g. orders:read,customers:write")
        parser.add_argument("--env", default="live", choices=["live", "test"])
        parser.add_argument("--expires-in", default=None, help="e.g. 12h, 30d, 8w")
        parser.add_argument("--allowed-networks", default="", help="Comma-separated CIDR blocks, e.g. 10.0.0.0/8")
        parser.add_argument("--as", dest="as_user", default=None, help="Act as this member (email), not the system")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with slug {options['org']!r}.")
        expires_at = timezone.now() + parse_duration(options["expires_in"]) if options["expires_in"] else None
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        actor = None
        if options["as_user"]:
            actor = User.objects.filter(email__iexact=options["as_user"].strip()).first()
            if actor is None:
                raise CommandError(f"No user with email {options['as_user']!r}.")
        try:
            _, plaintext = key_create(
                organization=org,
                actor=actor,
                name=options["name"],
                scopes=scopes,
                environment=options["env"],
                expires_at=expires_at,
                allowed_networks=options["allowed_networks"] or None,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        except Http404:
            raise CommandError(f"{options['as_user']} is not a member of {org.slug}.") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(plaintext)
