#!/usr/bin/env bash
# Start the whole platform for development: web (portal + API), a Celery worker and beat, on
# SQLite with Celery's filesystem broker, so nothing but Python is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${PORT:-8000}
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
# Readable lines in a terminal; production writes one JSON object per line (docs/operations.md#logs).
export LOG_FORMAT=${LOG_FORMAT:-plain}
mkdir -p var/broker/out var/broker/processed var/broker/control var/celery

"$VENV/bin/python" manage.py migrate --no-input -v 0
"$VENV/bin/python" manage.py seed_demo --url "http://127.0.0.1:$PORT/"

# One worker with embedded beat; solo pool because the filesystem broker is single-host anyway.
"$VENV/bin/celery" -A config worker -B --pool=solo --loglevel=INFO \
  --schedule var/celery/beat-schedule --without-mingle --without-gossip &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

echo "Starting the portal and API on http://127.0.0.1:$PORT/ (Ctrl-C stops everything)"
"$VENV/bin/python" manage.py runserver "127.0.0.1:$PORT"
