"""Job settings that would misbehave in production are Django system checks."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"KEYS_ROTATION_ALLOW_MINUTES": True, "DEBUG": False}, "keys.W021"),
    ],
)
def test_job_setting_mistakes_are_system_checks(settings, overrides, check_id) -> None:  # type: ignore[no-untyped-def]
    from keys.checks import check_job_settings

    for name, value in overrides.items():
        setattr(settings, name, value)
    assert check_id in [problem.id for problem in check_job_settings()]


def test_the_default_job_settings_pass_the_checks(settings) -> None:  # type: ignore[no-untyped-def]
    from keys.checks import check_job_settings

    settings.KEYS_ROTATION_ALLOW_MINUTES = False
    assert check_job_settings() == []
