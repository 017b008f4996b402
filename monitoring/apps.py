from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Usage buckets and networks, the roll-up, anomaly alerts and expiry notices (above keys/)."""

    name = "monitoring"
    verbose_name = "Monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import register

        from keys import usage
        from keys.apikeys.leaks import key_leaked
        from monitoring import panels
        from monitoring.checks import check_monitoring_settings
        from monitoring.receivers import alert_on_leak
        from monitoring.services.usage import usage_apply

        register(check_monitoring_settings, "monitoring", deploy=False)
        panels.register()
        # Without Redis (the embedded set-up) the recorder in keys/ flushes straight into our buckets.
        usage.set_direct_sink(usage_apply)
        key_leaked.connect(alert_on_leak, dispatch_uid="monitoring.alert_on_leak")
