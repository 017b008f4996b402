"""Create (or reuse) the demo user and team for `make run`. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from accounts.services import user_signup

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-123"


class Command(BaseCommand):
    help = "Create the demo user and team if missing, and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_signup(email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo Developer")
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        org = user.memberships.select_related("organization").first()
        slug = org.organization.slug if org else "-"
        self.stdout.write(
            "\n"
            f"  Portal:   {options['url']}\n"
            f"  Login:    {DEMO_EMAIL} / {DEMO_PASSWORD}   (demo only; also a Django admin at {options['url']}admin/)\n"
            f"  Team:     {slug}\n"
            f"  API docs: {options['url']}api/docs/\n"
        )
