"""Settings for the connector portal: one module, read from the environment (django-environ).

With no environment at all the portal runs for development on SQLite against the local provider sandbox.
With DEBUG off every secret must come from the environment, or start-up stops naming the missing variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from connector_portal.logformat import chosen_log_format

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "PYTEST_VERSION" in os.environ  # pytest sets it before Django starts

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; silently absent

# Development defaults: never accepted with DEBUG off.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789"
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LWZpZWxkLWtleS1uZXZlci11c2UtaW4tcHJvZCE="


def _required_in_production(name: str, value: str, dev_default: str) -> str:
    """Return `value`, but refuse a missing or development-default secret when DEBUG is off."""
    if not DEBUG and (not value or value == dev_default or dev_default in value.split(",")):
        raise ImproperlyConfigured(
            f"{name} is missing or still the development default. Set {name} in the environment "
            f"(see .env.example) before running with DEBUG off."
        )
    return value


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = _required_in_production("SECRET_KEY", env.str("SECRET_KEY", default=DEV_SECRET_KEY), DEV_SECRET_KEY)
FIELD_ENCRYPTION_KEYS: list[str] = [
    key.strip()
    for key in _required_in_production(
        "FIELD_ENCRYPTION_KEYS",
        env.str("FIELD_ENCRYPTION_KEYS", default=DEV_FIELD_ENCRYPTION_KEY),
        DEV_FIELD_ENCRYPTION_KEY,
    ).split(",")
    if key.strip()
]
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DEV_PORTAL_BASE_URL = "http://127.0.0.1:8000"
# The portal's public address: OAuth redirect URIs, webhook destinations and emails are built from it.
PORTAL_BASE_URL: str = _required_in_production(
    "PORTAL_BASE_URL", env.str("PORTAL_BASE_URL", default=DEV_PORTAL_BASE_URL), DEV_PORTAL_BASE_URL
).rstrip("/")

# Outbound webhooks (Project Center hears of new feed entries at once): plain http:// endpoints only in development;
# endpoints on loopback or private addresses only where asked for (a Project Center on this machine, in development
# and tests: projects/services/outbound_address.py); seconds to wait for an endpoint's answer, and for DNS to resolve
# its host (a slow name server must not hold an API request); failed attempts in a row after which a webhook is
# turned off.
OUTBOUND_WEBHOOKS_ALLOW_HTTP: bool = env.bool("OUTBOUND_WEBHOOKS_ALLOW_HTTP", default=DEBUG)
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE: bool = env.bool("OUTBOUND_WEBHOOKS_ALLOW_PRIVATE", default=False)
OUTBOUND_WEBHOOK_TIMEOUT: tuple[float, float] = (3.0, env.float("OUTBOUND_WEBHOOK_TIMEOUT", default=10.0))
OUTBOUND_WEBHOOK_RESOLVE_TIMEOUT: float = env.float("OUTBOUND_WEBHOOK_RESOLVE_TIMEOUT", default=2.0)
OUTBOUND_WEBHOOK_DISABLE_AFTER: int = env.int("OUTBOUND_WEBHOOK_DISABLE_AFTER", default=8)

# The local provider sandbox (sandbox/, a development tool outside the product): on by default in development only.
# With it on, a provider that has no app row in admin uses the sandbox's emulation of it, at SANDBOX_URL + `path`
# with the OAuth client the sandbox registers. The product reads these settings and never imports the sandbox;
# sandbox/constants.py holds the sandbox's side of the agreement (a sandbox test keeps the two equal).
PROVIDER_SANDBOX: bool = env.bool("PROVIDER_SANDBOX", default=DEBUG)
SANDBOX_URL: str = env.str("SANDBOX_URL", default="http://127.0.0.1:8001").rstrip("/")
SANDBOX_PROVIDER_APPS: dict[str, dict[str, str]] = {
    "procore": {"path": "/procore", "client_id": "portal-procore", "client_secret": "sandbox-procore-secret"},
    "autodesk": {"path": "/autodesk", "client_id": "portal-autodesk", "client_secret": "sandbox-autodesk-secret"},
    "constructex": {
        "path": "/constructex",
        "client_id": "portal-constructex",
        "client_secret": "sandbox-constructex-secret",
    },
}

INSTALLED_APPS = [
    "connector_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_q",
    "connector_portal",
    "providers",
    "projects",
    "mappings",
    # Its management commands (run_sandbox, sandbox_seed, sandbox_control, run_dev) exist only where it is used.
    *(["sandbox.apps.SandboxConfig"] if PROVIDER_SANDBOX else []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "connector_portal.middleware.CurrentFirmMiddleware",
    "connector_portal.logcontext.RequestContextMiddleware",
]

# A strict Content-Security-Policy on every response (django-csp): scripts, styles, fonts and requests from the
# portal's own origin only, no inline script or style (templates use static files), no third-party origin, no
# framing. data: images are the TOTP QR code and the blank favicon. Forms submit to the portal only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "connector_portal.urls"
WSGI_APPLICATION = "connector_portal.wsgi.application"
AUTH_USER_MODEL = "connector_portal.User"

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
                "connector_portal.context_processors.firm",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, the worker and the tests share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="")
# A cache shared between processes: allauth's login rate limits must hold across every web process.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# allauth: email + password, no open sign-up (support staff create accounts).
ACCOUNT_ADAPTER = "connector_portal.adapters.PortalAccountAdapter"
# TOTP and recovery-code seeds are encrypted at rest with FIELD_ENCRYPTION_KEYS, like every other secret.
MFA_ADAPTER = "connector_portal.mfa.PortalMFAAdapter"
ACCOUNT_FORMS = {"login": "connector_portal.forms.PortalLoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "reset_password": "20/m/ip,5/m/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Connector portal] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Connector portal"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Connector portal <no-reply@connector-portal.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format on every page, "1 Dec 2026 16:30" (connector_portal/formats/en/formats.py wins over the locale's).
FORMAT_MODULE_PATH = ["connector_portal.formats"]
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Providers' files (attachments in, marked-up files out) live in the "attachments" storage: a private folder outside
# any URL by default; S3-compatible object storage when configured (see .env.example). Nothing is served from it
# directly: the API streams a file to the firm it belongs to.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private-media")
# S3-compatible object storage for attachments when ATTACHMENTS_S3_BUCKET is set. Objects stay private: the bucket's
# own ACL, no public URLs handed out (querystring_auth off and nothing ever asks the storage for a URL).
ATTACHMENTS_S3_BUCKET: str = env.str("ATTACHMENTS_S3_BUCKET", default="")
ATTACHMENTS_STORAGE: dict[str, object] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
}
if ATTACHMENTS_S3_BUCKET:
    ATTACHMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": env.str("ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENTS_S3_REGION", default="") or None,
            "access_key": env.str("ATTACHMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ATTACHMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("ATTACHMENTS_S3_PREFIX", default="attachments"),
            "default_acl": None,
            "querystring_auth": False,
            "file_overwrite": True,  # a blob's name is its SHA-256: the same name is the same bytes
        },
    }
# The largest attachment the portal downloads from a provider; a larger one is listed as "too large", not fetched.
ATTACHMENT_MAX_BYTES: int = env.int("ATTACHMENT_MAX_BYTES", default=2 * 1024**3)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": ATTACHMENTS_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The largest file Project Center may attach to a response (bytes); streamed to storage, never held in memory.
RESPONSE_UPLOAD_MAX_BYTES = env.int("RESPONSE_UPLOAD_MAX_BYTES", default=2 * 1024**3)
# Hours an upload may wait to be named by a response before the hourly clean-up deletes it and its stored bytes.
RESPONSE_UPLOAD_UNUSED_HOURS: int = env.int("RESPONSE_UPLOAD_UNUSED_HOURS", default=24)

# The API's views set their own authentication, permissions, throttling and error handler
# (connector_portal/api/base.py); only what is shared is set here. The throttle rate is per service-account token
# (or per signed-in user).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_THROTTLE_RATE", default="600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Connector portal API",
    "DESCRIPTION": (
        "The API that Newforma Project Center uses to receive submittals and RFIs and send responses back. "
        "Authenticate with the firm's service-account token: `Authorization: Bearer <token>`. Every error has the "
        "shape `{code, message, details}`. Lists are paginated with an opaque cursor: follow `next` until it is null."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ConnectorEnum": "connector_portal.models.Connector",
        "ItemKindEnum": "projects.models.ItemKindChoices",
        "KeywordListKindEnum": "mappings.models.KeywordList.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "connector_portal.api.schema.close_request_bodies",
    ],
}

# django-q2: the ORM broker works on SQLite and PostgreSQL with no extra server; Redis when REDIS_URL is set.
Q_CLUSTER: dict[str, object] = {
    "name": "connector-portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 300,
    "retry": 360,  # must exceed timeout, or a slow task is handed to a second worker while it still runs
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "sync": TESTING,
    "poll": 1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# Probes and the metrics scraper reach the web processes directly on the internal network, not through the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]

# Prometheus scrapes /metrics with `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics answers 404.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
X_FRAME_OPTIONS = "DENY"

# "json": one JSON object a line with the request, firm, link and run ids (production); "text": for people.
LOG_FORMAT: str = chosen_log_format({**os.environ, "DEBUG": str(DEBUG)})
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "connector_portal.logging.RedactSecretsFilter"},
        "context_ids": {"()": "connector_portal.logcontext.ContextFilter"},
    },
    "formatters": {"json": {"()": "connector_portal.logformat.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets", "context_ids"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Both log full token answers at DEBUG: never let them speak.
        "oauthlib": {"level": "WARNING", "propagate": True},
        "requests_oauthlib": {"level": "WARNING", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
