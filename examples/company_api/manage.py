#!/usr/bin/env python
"""The example company API's manage.py (a separate Django project: it knows the platform only through the kit)."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "company_api.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
