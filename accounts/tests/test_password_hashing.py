"""Passwords are hashed with Argon2 in every deployment (the suite swaps in a cheap hasher for speed)."""

from __future__ import annotations

import importlib


def test_production_settings_hash_passwords_with_argon2_first() -> None:
    module = importlib.import_module("config.settings")
    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.MD5PasswordHasher" not in module.PASSWORD_HASHERS
