"""The platform's own settings: OAuth, encryption at rest, credentials, webhooks and the scheduled jobs.

Read after base.py (config/settings/__init__.py), whose names it builds on: SITE_URL, DEBUG, BASE_DIR
and the Celery beat schedule that the jobs below add to.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy

from config.env import env_bool, env_float, env_int, env_list, env_str
from config.settings.base import BASE_DIR, CELERY_BEAT_SCHEDULE, DEBUG, SITE_URL

# --- OAuth (django-oauth-toolkit); the swapped model exists from the first migration ----------
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "oauth2_provider.DeviceGrant"

# RS256 signing keys for ID tokens and JWT access tokens (PEM, or a path in *_FILE). The active key
# signs; inactive keys (PEM blocks one after another) stay in the JWKS while tokens they signed
# live. Rotation: docs/oauth.md. Missing in production is system check oauth.E001.
from oauth.hooks import device_pre_token  # noqa: E402
from oauth.signing_keys import dev_private_key, normalize_pem, split_pems  # noqa: E402

OIDC_RSA_PRIVATE_KEY = normalize_pem(env_str("OIDC_RSA_PRIVATE_KEY") or "")
OIDC_RSA_PRIVATE_KEYS_INACTIVE = split_pems(env_str("OIDC_RSA_PRIVATE_KEYS_INACTIVE") or "")
OIDC_DEV_KEY = False
if not OIDC_RSA_PRIVATE_KEY and DEBUG:
    # Development only: generated once under var/ so the web process and the worker share it.
    OIDC_RSA_PRIVATE_KEY = dev_private_key(BASE_DIR / "var" / "dev-oidc-key.pem")
    OIDC_DEV_KEY = True
OAUTH_ISSUER = (env_str("OAUTH_ISSUER") or f"{SITE_URL}/o").rstrip("/")
# The `aud` of our JWT access tokens, which AccessTokenAuthentication requires.
OAUTH_ACCESS_TOKEN_AUDIENCE = env_str("OAUTH_ACCESS_TOKEN_AUDIENCE") or f"{SITE_URL}/api"
# "jwt" (RFC 9068, checked offline) or "opaque" (DOT's random tokens, one query per request).
OAUTH_ACCESS_TOKEN_FORMAT = env_str("OAUTH_ACCESS_TOKEN_FORMAT", "jwt") or "jwt"
# Token endpoint requests allowed per client IP each minute; device user-code tries per user.
OAUTH_TOKEN_RATE_PER_MINUTE = env_int("OAUTH_TOKEN_RATE_PER_MINUTE", 1200)
OAUTH_DEVICE_CODE_TRIES_PER_MINUTE = env_int("OAUTH_DEVICE_CODE_TRIES_PER_MINUTE", 10)
# Failed client authentications per client_id each minute at /o/token/ before they are answered 429.
OAUTH_CLIENT_FAILURES_PER_MINUTE = env_int("OAUTH_CLIENT_FAILURES_PER_MINUTE", 20)


def _oauth_scopes() -> dict[str, str]:
    from oauth.scopes import all_oauth_scopes

    return all_oauth_scopes()


# django-oauth-toolkit, configured to the OAuth 2.0 Security BCP (RFC 9700); docs/oauth.md says why.
OAUTH2_PROVIDER: dict[str, object] = {
    "OAUTH2_VALIDATOR_CLASS": "oauth.validator.OAuth2Validator",
    # oauthlib's OpenID Connect server without PKCE "plain" (refused before the consent screen).
    "OAUTH2_SERVER_CLASS": "oauth.server.Server",
    # SCOPES comes from the scope registry (keys.scopes) plus the OIDC scopes, read when first used.
    "SCOPES_BACKEND_CLASS": "oauth.scopes.RegistryScopes",
    "SCOPES": lazy(_oauth_scopes, dict)(),
    # A request that names no scope gets none (client_credentials: the scopes its app was registered with).
    "DEFAULT_SCOPES": [],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_SECONDS", 15 * 60),
    "ACCESS_TOKEN_GENERATOR": "oauth.tokens.generate_access_token" if OAUTH_ACCESS_TOKEN_FORMAT == "jwt" else None,
    # Without this oauthlib would mint refresh tokens with the access-token (JWT) generator too.
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # Idle expiry: a refresh token dies this long after its last access token expired unused.
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_REFRESH_TOKEN_IDLE_SECONDS", 14 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ID_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ID_TOKEN_SECONDS", 3600),
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # https only; an app that registers a loopback redirect also gets http (oauth.models, RFC 8252).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "CLIENT_SECRET_HASHER": "oauth-hmac-sha256",
    "REQUEST_APPROVAL_PROMPT": "force",
    "OIDC_ENABLED": bool(OIDC_RSA_PRIVATE_KEY),
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": OIDC_RSA_PRIVATE_KEYS_INACTIVE,
    "OIDC_ISS_ENDPOINT": OAUTH_ISSUER,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ],
    "OAUTH_DEVICE_VERIFICATION_URI": f"{SITE_URL}/device",
    "OAUTH_DEVICE_VERIFICATION_URI_COMPLETE": f"{SITE_URL}/device?user_code={{user_code}}",
    "DEVICE_FLOW_INTERVAL": 5,
    "OAUTH_PRE_TOKEN_VALIDATION": [device_pre_token],
}
CELERY_BEAT_SCHEDULE["oauth-clear-expired-tokens"] = {"task": "oauth.tasks.clear_expired_tokens", "schedule": 3600.0}

# --- Encryption at rest (lib/crypto.py, docs/configuration.md#encryption-keys) -----------------
# The one keyring: `id:base64(32 bytes)` pairs, newest first; the newest encrypts, all decrypt.
# Empty or malformed is system check lib.E001. `manage.py reencrypt` moves every encrypted field
# to the newest key. The development key is a default only when DEBUG (lib.E002 refuses it otherwise).
ENCRYPTION_KEYS = env_str("ENCRYPTION_KEYS") or ""
# The two lists this replaced, read so existing rows keep decrypting: WEBHOOK_ENCRYPTION_KEYS has the
# same format (its newest key encrypts when ENCRYPTION_KEYS is unset); KEYS_ENCRYPTION_KEYS
# (`version:secret`) only decrypts. Both can go once `manage.py reencrypt` has run.
WEBHOOK_ENCRYPTION_KEYS = env_str("WEBHOOK_ENCRYPTION_KEYS") or ""
KEYS_ENCRYPTION_KEYS = env_str("KEYS_ENCRYPTION_KEYS") or ""
if DEBUG and not ENCRYPTION_KEYS and not WEBHOOK_ENCRYPTION_KEYS:
    ENCRYPTION_KEYS = "dev:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="

# --- API keys ---------------------------------------------------------------------------------
KEYS_PREFIX = env_str("KEYS_PREFIX", "ak") or "ak"
# Versioned peppers, newest first: "3:base64secret,2:oldersecret". Never derived from SECRET_KEY.
_peppers = env_str("KEYS_PEPPERS")
if not _peppers:
    if not DEBUG:
        raise ImproperlyConfigured("KEYS_PEPPERS is required when DJANGO_DEBUG is off (see docs/configuration.md).")
    _peppers = "1:dev-only-pepper-do-not-use-in-production"
KEYS_PEPPERS = _peppers
# Resources of the company's API; each gets `<name>:read` and `<name>:write` scopes.
API_RESOURCES = env_list("API_RESOURCES", ["orders", "customers", "invoices"])
# Brute force: failed key attempts allowed per client IP and per key id each minute.
KEYS_FAILURES_PER_IP_PER_MINUTE = env_int("KEYS_FAILURES_PER_IP_PER_MINUTE", 60)
KEYS_FAILURES_PER_KEY_PER_MINUTE = env_int("KEYS_FAILURES_PER_KEY_PER_MINUTE", 20)
# POST /api/v1/verify: failed keys (NOT_FOUND, MALFORMED) per calling IP each minute before it answers 429.
# Higher than for requests: the caller is a service verifying on behalf of many end clients.
VERIFY_FAILURES_PER_IP_PER_MINUTE = env_int("VERIFY_FAILURES_PER_IP_PER_MINUTE", 300)
# How often each process pushes its batched usage counters out (seconds).
KEYS_USAGE_FLUSH_SECONDS = float(env_int("KEYS_USAGE_FLUSH_MS", 1000)) / 1000
# The warm verification path (docs/api-keys.md "Revocation bound"): "on" serves verified keys from a
# per-process cache invalidated through Redis; "strict" reads the database on every request.
KEYS_CACHE = (env_str("KEYS_CACHE", "on") or "on").lower()
if KEYS_CACHE not in ("on", "strict"):
    raise ImproperlyConfigured("KEYS_CACHE must be 'on' or 'strict'.")
# The bound: a process that has not heard Redis answer for this long stops using its cache (seconds).
KEYS_CACHE_MAX_STALENESS = env_float("KEYS_CACHE_MAX_STALENESS", 1.0)
if not 0.05 <= KEYS_CACHE_MAX_STALENESS <= 60:
    raise ImproperlyConfigured("KEYS_CACHE_MAX_STALENESS must be between 0.05 and 60 seconds.")
# Entries per process, and how long one lives even while every invalidation is heard (a last resort
# for an invalidation that could not be published).
KEYS_CACHE_SIZE = env_int("KEYS_CACHE_SIZE", 10_000)
KEYS_CACHE_TTL = env_float("KEYS_CACHE_TTL", 60.0)
# Per-key rate limits: how often each process reconciles its local counts with Redis (ms), and the
# share of a key's remaining headroom one process may count locally before a round trip.
KEYS_RATE_LIMIT_SYNC_SECONDS = float(env_int("KEYS_RATE_LIMIT_SYNC_MS", 100)) / 1000
KEYS_RATE_LIMIT_LOCAL_SHARE = env_float("KEYS_RATE_LIMIT_LOCAL_SHARE", 0.1)
if not 0 <= KEYS_RATE_LIMIT_LOCAL_SHARE <= 1:
    raise ImproperlyConfigured("KEYS_RATE_LIMIT_LOCAL_SHARE must be between 0 and 1.")

# --- Leaked credentials (docs/leaks.md) -------------------------------------------------------
# Public revoke (POST /api/v1/credentials/revoke): requests per client IP each minute.
KEYS_PUBLIC_REVOKE_PER_IP_PER_MINUTE = env_int("KEYS_PUBLIC_REVOKE_PER_IP_PER_MINUTE", 10)
# A team whose leak policy is "roll": how long the leaked key keeps working beside its sealed successor.
KEYS_LEAK_ROLL_GRACE_MINUTES = env_int("KEYS_LEAK_ROLL_GRACE_MINUTES", 60)
# GitHub secret scanning: the public keys that sign GitHub's reports, as GitHub publishes them at
# https://api.github.com/meta/public_keys/secret_scanning (that JSON document, or its `public_keys` list).
# Set it, or KEYS_GITHUB_SCANNING_PUBLIC_KEYS_FILE, from a deploy step: the server never fetches it. Empty: refused.
KEYS_GITHUB_SCANNING_PUBLIC_KEYS = env_str("KEYS_GITHUB_SCANNING_PUBLIC_KEYS") or ""
# GitLab secret detection (its Token Revocation API): the token GitLab sends in `Authorization`. Empty: refused.
KEYS_GITLAB_REVOCATION_TOKEN = env_str("KEYS_GITLAB_REVOCATION_TOKEN") or ""
# The most tokens one scanner report may carry (GitHub batches reports).
KEYS_SCANNER_MAX_TOKENS = env_int("KEYS_SCANNER_MAX_TOKENS", 5000)

# --- Signed requests and client certificates (docs/signing.md, docs/mtls.md) ------------------
# RFC 9421: how old a signature's `created` may be, and the clock difference tolerated either way.
SIGNATURE_MAX_AGE_SECONDS = env_int("SIGNATURE_MAX_AGE_SECONDS", 300)
SIGNATURE_CLOCK_SKEW_SECONDS = env_int("SIGNATURE_CLOCK_SKEW_SECONDS", 30)
# mTLS: the header our TLS proxy puts the client certificate in (nginx `$ssl_client_escaped_cert`, or
# Envoy's x-forwarded-client-cert), and the proxy addresses (CIDRs) it is believed from. Empty: never.
MTLS_CLIENT_CERT_HEADER = env_str("MTLS_CLIENT_CERT_HEADER", "X-Client-Cert") or "X-Client-Cert"
MTLS_TRUSTED_PROXIES = env_list("MTLS_TRUSTED_PROXIES", [])

# --- Webhooks (docs/webhooks.md) --------------------------------------------------------------
# The SSRF guard refuses private, loopback, link-local, CGNAT and metadata addresses at connect
# time; these open loopback (development, tests) or listed networks (on-premises receivers).
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", DEBUG)
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", not DEBUG)
# Seconds between attempts (Standard Webhooks' 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h), with ±10 % jitter.
WEBHOOK_RETRY_SCHEDULE = [int(s) for s in env_list("WEBHOOK_RETRY_SCHEDULE", [])] or None
WEBHOOK_DISABLE_AFTER_DAYS = env_int("WEBHOOK_DISABLE_AFTER_DAYS", 5)
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)
WEBHOOK_MAX_ENDPOINTS_PER_ORG = env_int("WEBHOOK_MAX_ENDPOINTS_PER_ORG", 20)
WEBHOOK_CONNECT_TIMEOUT = 5.0
WEBHOOK_TOTAL_TIMEOUT = 15.0
WEBHOOK_MAX_RESPONSE_BYTES = 16 * 1024
WEBHOOK_MAX_PAYLOAD_BYTES = 64 * 1024
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {"task": "webhooks.tasks.sweep", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["webhooks-prune"] = {"task": "webhooks.tasks.prune", "schedule": 24 * 3600.0}

# --- Scheduled jobs: rotation, expiry notices, anomaly alerts, audit chain (docs/jobs.md) ------
# Days before expiry at which the creator and the team's owners and admins are told, each once.
try:
    KEYS_EXPIRY_NOTICE_DAYS = sorted(
        {int(d) for d in env_list("KEYS_EXPIRY_NOTICE_DAYS", ["30", "7", "1"])}, reverse=True
    )
except ValueError as exc:
    raise ImproperlyConfigured("KEYS_EXPIRY_NOTICE_DAYS must be whole days before expiry, e.g. 30,7,1.") from exc
# A credential that expired (or whose roll grace ended) longer ago than this gets no `key.expired` notice.
KEYS_EXPIRED_NOTICE_LOOKBACK_DAYS = env_int("KEYS_EXPIRED_NOTICE_LOOKBACK_DAYS", 7)
# Grace of rolls forced by a team's maximum key age (a key's own policy brings its own grace).
KEYS_ROTATION_DEFAULT_GRACE_HOURS = env_int("KEYS_ROTATION_DEFAULT_GRACE_HOURS", 7 * 24)
# Rotation policies in minutes, so a roll can be watched in `make run`; days only in production.
KEYS_ROTATION_ALLOW_MINUTES = env_bool("KEYS_ROTATION_ALLOW_MINUTES", DEBUG)
# Anomaly detection: per-key EWMA baseline of hourly requests (and failures) with a sigma limit, a
# ratio to the baseline and a minimum volume; new source networks after a learning window; any
# attempt from outside a key's allowed networks. An alert stays quiet for the cooldown once resolved.
ANOMALY_EWMA_LAMBDA = env_float("ANOMALY_EWMA_LAMBDA", 0.3)
ANOMALY_SIGMA = env_float("ANOMALY_SIGMA", 3.0)
ANOMALY_RATIO = env_float("ANOMALY_RATIO", 5.0)
ANOMALY_MIN_REQUESTS = env_int("ANOMALY_MIN_REQUESTS", 100)
ANOMALY_MIN_FAILURES = env_int("ANOMALY_MIN_FAILURES", 20)
ANOMALY_MIN_BLOCKED = env_int("ANOMALY_MIN_BLOCKED", 1)
ANOMALY_LEARNING_HOURS = env_int("ANOMALY_LEARNING_HOURS", 24)
ANOMALY_NETWORK_LEARNING_DAYS = env_int("ANOMALY_NETWORK_LEARNING_DAYS", 7)
ANOMALY_NETWORK_MEMORY_DAYS = env_int("ANOMALY_NETWORK_MEMORY_DAYS", 30)
ANOMALY_COOLDOWN_HOURS = env_int("ANOMALY_COOLDOWN_HOURS", 6)
CELERY_BEAT_SCHEDULE["keys-rotation"] = {"task": "keys.tasks.rotate_due_keys", "schedule": 60.0}
# Weekly idle-credential report (docs/policies.md): ticks hourly, and each team's email claims its ISO week,
# so the report goes out at the first tick of a week even if a worker was down at the turn of the week.
CELERY_BEAT_SCHEDULE["keys-idle-credentials-report"] = {
    "task": "keys.tasks.send_idle_credentials_report",
    "schedule": 3600.0,
}
# The monitoring app's jobs (monitoring/tasks.py; renamed from keys-* with the move out of keys/, issue 9).
CELERY_BEAT_SCHEDULE["monitoring-expiry-notices"] = {"task": "monitoring.tasks.send_expiry_notices", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["monitoring-anomaly-scan"] = {"task": "monitoring.tasks.scan_anomalies", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["monitoring-usage-networks-prune"] = {
    "task": "monitoring.tasks.prune_usage_networks",
    "schedule": 3600.0,
}
# Tried hourly, done once a day (the day is claimed), so a beat restarted often still checks daily.
# The email outbox (accounts/outbox.py): emails whose task was lost are sent again.
CELERY_BEAT_SCHEDULE["accounts-email-sweep"] = {"task": "accounts.tasks.sweep_emails", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["audit-chain-check"] = {"task": "audit.tasks.verify_audit_chain", "schedule": 3600.0}
