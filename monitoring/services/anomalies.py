"""Usage anomaly detection over the hourly buckets and source networks, and the alerts it raises.

Four detectors, each one set-based SQL query over every key at once (no Python loop over keys):

- **spike**: an hour's requests against the key's EWMA baseline of the hours before it
  (λ = ANOMALY_EWMA_LAMBDA): at least ANOMALY_RATIO x the baseline, beyond ANOMALY_SIGMA standard
  deviations, and at least ANOMALY_MIN_REQUESTS, so quiet keys never page. Keys younger than
  ANOMALY_LEARNING_HOURS have no baseline yet and are skipped.
- **failures**: the same test on the hour's authentication failures (counted per key id, even with a
  wrong secret), with ANOMALY_MIN_FAILURES.
- **new network**: requests from a /24 (IPv4) or /48 (IPv6) the key was not used from in the last
  ANOMALY_NETWORK_MEMORY_DAYS, once the key has ANOMALY_NETWORK_LEARNING_DAYS of history. Keys with
  an allowlist are left to the next detector.
- **blocked network**: attempts refused because they came from outside the key's allowed networks.

The EWMA is computed in closed form: with weights wᵢ = λ(1-λ)^(i-1) for the hour i hours before, the
baseline is Σwᵢxᵢ / W and its variance Σwᵢxᵢ² / W - baseline², where W = Σwᵢ over the window; hours
without a bucket count as zero. Both are plain SUMs, so one GROUP BY computes them for every key.
The scan looks at the previous (complete) hour and the current one, so a spike is caught while it happens.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.outbox import email_queue, recipients_for
from audit.services import audit_record
from keys.models import APIKey, KeyStatus
from monitoring.models import Alert, AlertKind, AlertStatus, UsageBucket, UsageNetwork
from webhooks.services import publish

# Hours of history behind each baseline; with λ = 0.3 the weight of the oldest is ~1e-26.
BASELINE_HOURS = 7 * 24


@dataclass
class Finding:
    """One anomaly the detectors found: raised as an alert unless deduplicated or cooling down."""

    key_id: str
    organization_id: int
    kind: str
    hour: datetime
    observed: float
    baseline: float | None = None
    threshold: float | None = None
    subject: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: dict[str, Any], kind: str, *, hour: datetime | None = None, **measures: Any) -> Finding:
        """A finding from a detector query's row (`key_id`, `organization_id`, `observed`, and `hour` unless
        given)."""
        return cls(
            key_id=row["key_id"],
            organization_id=row["organization_id"],
            kind=kind,
            hour=hour if hour is not None else _as_datetime(row["hour"]),
            observed=float(row["observed"]),
            **measures,
        )


def _param(value: datetime) -> Any:
    # The ORM's own spelling of a datetime, so comparisons with stored values hold on SQLite too.
    return connection.ops.adapt_datetimefield_value(value)


def _hours_between(later: str, column: str) -> str:
    """SQL for the whole hours from `column` to `later` (a parameter), as a double."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {column})) / 3600.0 AS DOUBLE PRECISION)"
    return f"ROUND((julianday({later}) - julianday({column})) * 24.0)"


def _fetch(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def volume_anomalies(
    *, hour: datetime, column: str, minimum: int, learning: timedelta | None, active_only: bool
) -> list[dict[str, Any]]:
    """Keys whose `column` (requests or failures) in `hour` breaks the EWMA limits. One query for all keys."""
    if column not in ("requests", "failures"):
        raise ValueError(column)
    lam = settings.ANOMALY_EWMA_LAMBDA
    decay = 1.0 - lam
    total_weight = 1.0 - decay**BASELINE_HOURS
    filters = ["1 = 1"]
    if active_only:
        filters.append("k.status = %(active)s")
    if learning is not None:
        filters.append("k.created_at <= %(learned)s")
    age = _hours_between("%(hour)s", "b.hour")
    weight = f"POWER(CAST(%(decay)s AS DOUBLE PRECISION), {age} - 1)"
    value = f"CAST(b.{column} AS DOUBLE PRECISION)"
    bucket, key = UsageBucket._meta.db_table, APIKey._meta.db_table
    sql = f"""
        SELECT key_id, organization_id, observed, mean, m2 FROM (
            SELECT c.key_id AS key_id, k.organization_id AS organization_id, c.observed AS observed,
                   COALESCE(SUM({value} * {weight}), 0) * %(lam)s / %(total)s AS mean,
                   COALESCE(SUM({value} * {value} * {weight}), 0) * %(lam)s / %(total)s AS m2
            FROM (
                SELECT key_id, {column} AS observed FROM {bucket}
                WHERE hour >= %(hour)s AND hour < %(hour_end)s AND {column} >= %(minimum)s
            ) c
            JOIN {key} k ON k.id = c.key_id
            LEFT JOIN {bucket} b ON b.key_id = c.key_id AND b.hour >= %(start)s AND b.hour < %(hour)s
            WHERE {" AND ".join(filters)}
            GROUP BY c.key_id, k.organization_id, c.observed
        ) s
        WHERE observed >= %(ratio)s * mean
          AND (observed - mean) * (observed - mean) > %(sigma2)s * (m2 - mean * mean)
    """  # noqa: S608 - identifiers come from the models and the whitelist above; values are parameters
    params = {
        "hour": _param(hour),
        "hour_end": _param(hour + timedelta(hours=1)),
        "start": _param(hour - timedelta(hours=BASELINE_HOURS)),
        "minimum": minimum,
        "decay": decay,
        "lam": lam,
        "total": total_weight,
        "ratio": settings.ANOMALY_RATIO,
        "sigma2": settings.ANOMALY_SIGMA**2,
        "active": KeyStatus.ACTIVE,
        "learned": _param(hour - learning) if learning is not None else None,
    }
    return _fetch(sql, params)


def new_networks(*, since: datetime, until: datetime, now: datetime) -> list[dict[str, Any]]:
    """(key, network) pairs used in [since, until) that the key was not used from before, after its learning window."""
    net, key = UsageNetwork._meta.db_table, APIKey._meta.db_table
    sql = f"""
        SELECT n.key_id AS key_id, n.network AS network, k.organization_id AS organization_id,
               SUM(n.requests) AS observed, MAX(n.hour) AS hour
        FROM {net} n JOIN {key} k ON k.id = n.key_id
        WHERE n.hour >= %(since)s AND n.hour < %(until)s AND n.requests > 0 AND k.status = %(active)s
          AND EXISTS (
              SELECT 1 FROM {net} o WHERE o.key_id = n.key_id AND o.requests > 0
                AND o.hour >= %(memory)s AND o.hour < %(learned)s
          )
          AND NOT EXISTS (
              SELECT 1 FROM {net} p WHERE p.key_id = n.key_id AND p.network = n.network AND p.requests > 0
                AND p.hour >= %(memory)s AND p.hour < %(since)s
          )
        GROUP BY n.key_id, n.network, k.organization_id
    """  # noqa: S608 - identifiers come from the models; values are parameters
    params = {
        "since": _param(since),
        "until": _param(until),
        "active": KeyStatus.ACTIVE,
        "memory": _param(now - timedelta(days=settings.ANOMALY_NETWORK_MEMORY_DAYS)),
        "learned": _param(now - timedelta(days=settings.ANOMALY_NETWORK_LEARNING_DAYS)),
    }
    return _fetch(sql, params)


def blocked_networks(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Keys with at least ANOMALY_MIN_BLOCKED refused attempts from outside their allowed networks in [since, until)."""
    net, key = UsageNetwork._meta.db_table, APIKey._meta.db_table
    sql = f"""
        SELECT n.key_id AS key_id, k.organization_id AS organization_id,
               SUM(n.blocked) AS observed, MAX(n.hour) AS hour
        FROM {net} n JOIN {key} k ON k.id = n.key_id
        WHERE n.hour >= %(since)s AND n.hour < %(until)s AND n.blocked > 0
        GROUP BY n.key_id, k.organization_id
        HAVING SUM(n.blocked) >= %(minimum)s
    """  # noqa: S608 - identifiers come from the models; values are parameters
    return _fetch(sql, {"since": _param(since), "until": _param(until), "minimum": settings.ANOMALY_MIN_BLOCKED})


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def anomaly_findings(*, now: datetime | None = None) -> list[Finding]:
    """Run the four detectors over the previous and the current hour."""
    now = now or timezone.now()
    current = now.replace(minute=0, second=0, microsecond=0)
    hours = [current - timedelta(hours=1), current]
    findings: list[Finding] = []
    learning = timedelta(hours=settings.ANOMALY_LEARNING_HOURS)
    for hour in hours:
        for kind, column, minimum, learn, active in (
            (AlertKind.SPIKE, "requests", settings.ANOMALY_MIN_REQUESTS, learning, True),
            (AlertKind.FAILURES, "failures", settings.ANOMALY_MIN_FAILURES, None, False),
        ):
            for row in volume_anomalies(hour=hour, column=column, minimum=minimum, learning=learn, active_only=active):
                mean = float(row["mean"])
                sigma = math.sqrt(max(float(row["m2"]) - mean * mean, 0.0))
                findings.append(
                    Finding.of(
                        row,
                        kind,
                        hour=hour,
                        baseline=round(mean, 2),
                        threshold=round(max(settings.ANOMALY_RATIO * mean, mean + settings.ANOMALY_SIGMA * sigma), 2),
                        details={"sigma": round(sigma, 2), "lambda": settings.ANOMALY_EWMA_LAMBDA},
                    )
                )
    since, until = hours[0], current + timedelta(hours=1)
    fresh = new_networks(since=since, until=until, now=now)
    allowlists = dict(APIKey.objects.filter(pk__in={r["key_id"] for r in fresh}).values_list("pk", "allowed_networks"))
    for row in fresh:
        if allowlists.get(row["key_id"]):
            continue  # the allowlist decides there; refusals are the blocked-network detector's
        findings.append(
            Finding.of(
                row,
                AlertKind.NEW_NETWORK,
                subject=row["network"],
                details={"network": row["network"]},
            )
        )
    blocked = blocked_networks(since=since, until=until)
    if blocked:
        top = _blocked_sources([row["key_id"] for row in blocked], since=since, until=until)
        for row in blocked:
            findings.append(
                Finding.of(
                    row,
                    AlertKind.BLOCKED_NETWORK,
                    threshold=float(settings.ANOMALY_MIN_BLOCKED),
                    details={"networks": top.get(row["key_id"], [])},
                )
            )
    return findings


def _blocked_sources(key_ids: list[str], *, since: datetime, until: datetime) -> dict[str, list[str]]:
    """The refused source networks of the flagged keys (a handful of rows), most attempts first."""
    out: dict[str, list[str]] = {}
    rows = (
        UsageNetwork.objects.filter(key_id__in=key_ids, hour__gte=since, hour__lt=until, blocked__gt=0)
        .order_by("-blocked")
        .values_list("key_id", "network")
    )
    for key_id, network in rows:
        if network not in out.setdefault(key_id, []) and len(out[key_id]) < 5:
            out[key_id].append(network)
    return out


@dataclass
class ScanResult:
    raised: list[Alert] = field(default_factory=list)
    updated: int = 0
    quiet: int = 0


def anomaly_scan(*, now: datetime | None = None) -> ScanResult:
    """Detect, then raise each finding as an alert: deduplicated while unresolved, quiet for the cooldown after."""
    now = now or timezone.now()
    result = ScanResult()
    for finding in anomaly_findings(now=now):
        outcome = _raise(finding, now)
        if isinstance(outcome, Alert):
            result.raised.append(outcome)
        elif outcome == "updated":
            result.updated += 1
        else:
            result.quiet += 1
    return result


def _raise(finding: Finding, now: datetime) -> Alert | str:
    same = {"key_id": finding.key_id, "kind": finding.kind, "subject": finding.subject}
    with transaction.atomic():
        current = Alert.objects.select_for_update().filter(**same).exclude(status=AlertStatus.RESOLVED).first()
        if current is not None:
            if finding.hour > current.hour:
                current.hour, current.occurrences = finding.hour, current.occurrences + 1
                current.observed = finding.observed
            else:
                current.observed = max(current.observed, finding.observed)
            current.baseline, current.threshold = finding.baseline, finding.threshold
            current.last_seen_at = now
            current.save(update_fields=["hour", "occurrences", "observed", "baseline", "threshold", "last_seen_at"])
            return "updated"
        previous = Alert.objects.filter(**same, status=AlertStatus.RESOLVED).order_by("-resolved_at").first()
        if previous is not None:
            quiet_until = max(previous.last_seen_at, previous.resolved_at or previous.last_seen_at) + timedelta(
                hours=settings.ANOMALY_COOLDOWN_HOURS
            )
            if previous.hour >= finding.hour or now < quiet_until:
                return "cooldown"
        try:
            with transaction.atomic():
                # A finding's fields are the alert's columns of the same names.
                alert = Alert.objects.create(**asdict(finding), first_seen_at=now, last_seen_at=now)
        except IntegrityError:
            return "updated"  # another scan raised it a moment ago
        _announce(Alert.objects.select_related("organization", "key__created_by").get(pk=alert.pk))
        return alert


def _announce(alert: Alert) -> None:
    org, key = alert.organization, alert.key
    data = {
        "organization": org.slug,
        "key": key.summary(),
        "kind": alert.kind,
        "observed": alert.observed,
        "baseline": alert.baseline,
        "alert": alert.summary(),
    }
    publish(organization=org, event_type="usage.anomaly", data=data)
    audit_record(
        action="usage.anomaly",
        organization=org,
        actor_label="anomaly detection",
        target_type="api_key",
        target_id=key.id,
        metadata={"alert": alert.summary()},
    )
    email_queue(
        organization=org,
        template="usage_anomaly",
        recipients=recipients_for(org, creator=key.created_by),
        context={
            "organization": org.name,
            "key_name": key.name,
            "key_prefix": key.display_prefix,
            "kind": alert.kind,
            "kind_label": alert.get_kind_display(),
            "subject": alert.subject,
            "hour": alert.hour.strftime("%Y-%m-%d %H:00 UTC"),
            "observed": alert.observed,
            "baseline": alert.baseline,
            "threshold": alert.threshold,
            "networks": alert.details.get("networks", []),
            "path": reverse("alerts:list", args=[org.slug]),
            "key_path": reverse("keys:detail", args=[org.slug, key.id]),
        },
    )


def usage_networks_prune(*, now: datetime | None = None) -> int:
    """Delete source-network rows older than the detector's memory; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ANOMALY_NETWORK_MEMORY_DAYS + 1)
    deleted, _ = UsageNetwork.objects.filter(hour__lt=cutoff).delete()
    return deleted
