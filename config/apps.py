"""The project's own app: only there so its ready() wires the metric signals in every process."""

from __future__ import annotations

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "config"
    label = "observability"
    verbose_name = "Logs and metrics"

    def ready(self) -> None:
        from config import observability

        observability.connect()
