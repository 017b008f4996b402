"""deploy/: the compose file, the nginx template and the gunicorn config agree with each other.

deploy/smoke/smoke.py runs them for real (in .ci/run); these checks are the cheap half, in the suite.
"""

from __future__ import annotations

import logging.config
import re
import runpy
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]


def test_compose_runs_the_documented_processes_with_exactly_one_beat() -> None:
    assert COMPOSE["web"]["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
    assert COMPOSE["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert COMPOSE["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "deploy" not in COMPOSE["beat"] and "scale" not in COMPOSE["beat"]
    assert COMPOSE["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    for service in ("web", "worker", "beat"):
        assert COMPOSE[service]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_every_nginx_template_variable_is_set_by_compose() -> None:
    used = set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", (DEPLOY / "nginx.conf").read_text()))
    given = set(COMPOSE["nginx"]["environment"]) - {"NGINX_ENVSUBST_FILTER"}
    assert used == given


def test_the_gunicorn_log_config_redacts(capsys) -> None:  # type: ignore[no-untyped-def]
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    logging.config.dictConfig(conf["logconfig_dict"])
    try:
        key = "ak_live_3fQ9xK2m" + "s" * 32 + "c" * 6
        logging.getLogger("gunicorn.access").info('127.0.0.1 "GET /x?api_key=%s HTTP/1.1" 200', key)
        out = capsys.readouterr().out
        assert '"logger": "gunicorn.access"' in out and "api_key=[redacted]" in out and "s" * 32 not in out
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)


def test_the_grafana_dashboard_charts_only_series_we_export() -> None:
    import json

    from lib import metrics

    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    exported = {
        metric._name for metric in vars(metrics).values() if hasattr(metric, "_name") and hasattr(metric, "_type")
    } | {"keyhouse_webhook_backlog", "keyhouse_celery_queue_length"}
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"keyhouse_[a-z_]+", target["expr"])
    }
    bare = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in used}
    assert bare <= exported, bare - exported
    assert {"keyhouse_verifications", "keyhouse_cache_events", "keyhouse_oauth_tokens_issued"} <= bare
