"""Services of monitoring: the usage roll-up, anomaly detection and alerts, expiry notices."""

from __future__ import annotations

from monitoring.services.alerts import alert_acknowledge, alert_resolve
from monitoring.services.anomalies import anomaly_scan, usage_networks_prune
from monitoring.services.notices import expiry_notices_run
from monitoring.services.usage import usage_apply, usage_rollup

__all__ = [
    "alert_acknowledge",
    "alert_resolve",
    "anomaly_scan",
    "expiry_notices_run",
    "usage_apply",
    "usage_networks_prune",
    "usage_rollup",
]
