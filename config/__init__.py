"""Project package. Named `config`, not `platform`: a package called `platform` shadows the standard library module."""

from __future__ import annotations

from config.celery_app import app as celery_app

__all__ = ("celery_app",)
