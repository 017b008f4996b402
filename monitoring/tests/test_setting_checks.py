"""Mistakes in the anomaly and expiry-notice settings are system checks (monitoring.E001-E003, W001)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"ANOMALY_EWMA_LAMBDA": 1.5}, "monitoring.E001"),
        ({"ANOMALY_RATIO": 0.5}, "monitoring.E002"),
        ({"KEYS_EXPIRY_NOTICE_DAYS": [7, 0]}, "monitoring.E003"),
        ({"KEYS_EXPIRY_NOTICE_DAYS": []}, "monitoring.W001"),
    ],
)
def test_monitoring_setting_mistakes_are_system_checks(settings, overrides, check_id) -> None:  # type: ignore[no-untyped-def]
    from monitoring.checks import check_monitoring_settings

    for name, value in overrides.items():
        setattr(settings, name, value)
    assert check_id in [problem.id for problem in check_monitoring_settings()]


def test_the_default_monitoring_settings_pass_the_checks() -> None:
    from monitoring.checks import check_monitoring_settings

    assert check_monitoring_settings() == []


def test_the_checks_are_registered_with_django() -> None:
    from django.core.checks import run_checks

    assert not [m for m in run_checks() if m.id.startswith("monitoring.")]
