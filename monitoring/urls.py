"""Portal URLs of usage alerts (their own namespace, so the sidebar can highlight them apart from API keys)."""

from __future__ import annotations

from accounts.portal import team_paths
from monitoring import views

app_name = "alerts"

urlpatterns = team_paths(views, "alert", "alerts", "alert_id", pages=("list", "acknowledge", "resolve"))
