"""The one settings module. Everything that differs between machines comes from env vars (see docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy

from config.env import env_bool, env_float, env_int, env_list, env_str

# Django's generic classes (ModelAdmin[APIKey], QuerySet[...]) become subscriptable for type hints.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

_secret_key = env_str("DJANGO_SECRET_KEY")
if not _secret_key:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    _secret_key = "dev-only-insecure-secret-key-do-not-use-in-production"
SECRET_KEY: str = _secret_key

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL", "http://localhost:8000") or "").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Keyhouse") or "Keyhouse"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "axes",
    "audit",
    "accounts",
    "webhooks",
    "keys",
    "monitoring",
    "oauth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "keys.middleware.CredentialHeadersMiddleware",
    # Axes must come last so it sees the final authentication outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production and CI; without it we fall back to SQLite.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat share one SQLite file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "kh") or "kh",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = Path(env_str("CELERY_FILESYSTEM_DIR", str(BASE_DIR / "var" / "broker")) or "")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) messages; kombu would otherwise write ./control/ in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "usage-rollup": {"task": "monitoring.tasks.usage_rollup", "schedule": 60.0},
}

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # OAuth client secrets only (never the default): a fast salted HMAC for high-entropy secrets.
    "oauth.hashers.ClientSecretHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# django-axes: lock out per IP and, separately, per account after repeated failed logins.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The login form's field is "username" (holding the email); lower-cased so "Alice@" and "alice@" count together.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username"
# One notion of the client's address everywhere: REMOTE_ADDR unless TRUSTED_PROXY_COUNT says otherwise.
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"

# Sudo mode: a fresh password check stays valid this long before live credentials change.
SUDO_MODE_SECONDS = env_int("SUDO_MODE_SECONDS", 15 * 60)
# Password reset requests allowed per IP and per email address in one hour.
PASSWORD_RESET_RATE_PER_HOUR = env_int("PASSWORD_RESET_RATE_PER_HOUR", 5)

# --- Sessions, cookies and HTTPS --------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of us append to X-Forwarded-For (0 = use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic`; development and tests serve from the finders.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not env_bool("STATIC_MANIFEST", not DEBUG)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- REST framework and OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "keys.authentication.APIKeyAuthentication",
        "keys.authentication.SignedRequestAuthentication",
        "keys.authentication.ClientCertificateAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["keys.throttling.CredentialRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "verify": env_str("VERIFY_RATE", "6000/min"),
        "public_revoke": env_str("PUBLIC_REVOKE_RATE", "30/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# `GET /api/v1/whoami` answers every credential kind, including those of apps above keys/ (OAuth tokens),
# which the management API does not accept.
EXTRA_WHOAMI_AUTHENTICATION_CLASSES = ["oauth.authentication.AccessTokenAuthentication"]

SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Manage API keys and verify credentials. Errors share one shape: "
    '`{"error": {"code": "...", "message": "...", "detail": ...}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

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
# How often each process pushes its batched usage counters out (seconds).
KEYS_USAGE_FLUSH_SECONDS = float(env_int("KEYS_USAGE_FLUSH_MS", 1000)) / 1000

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # httpx logs every request URL at INFO; webhook URLs may carry the receiver's own tokens.
        "httpx": {"level": "WARNING"},
    },
}
