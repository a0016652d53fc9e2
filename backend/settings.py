"""Settings for the staffing match platform.

Everything that differs between the demo, the test suite and production comes from the environment
(see .env.example). Malformed values stop the process at start (backend.env.ImproperEnvironment).
"""

from __future__ import annotations

from pathlib import Path

from celery.schedules import crontab

from backend.env import ImproperEnvironment, database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperEnvironment(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY, or DEBUG=true for local use."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "backend.core",
    "backend.accounts",
    "backend.organisations",
    "backend.practitioners",
    "backend.web",
    "matching",
    "jobs",
    "jobs.analytics",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "backend.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'demo.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL, base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Redis and Celery -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("in", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "in"),
        "data_folder_out": str(_BROKER_DIR / "in"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message task lost with a killed worker is redelivered after this many seconds; message
    # tasks are short (their time limit is below it) and sweeps are acknowledged on receipt.
    # Keep every countdown well under it too (STYLE.md).
    # kombu scans for abandoned messages every unacked_restore_interval x unacked_restore_throttle
    # seconds (100 s by default); 5 x 1 makes a lost task come back within about 15 s.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 10),
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 8  # below the visibility timeout; sweeps set their own, longer limits
CELERY_TASK_SOFT_TIME_LIMIT = 6
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict = {
    "relay-outbox": {"task": "core.relay_outbox", "schedule": 10.0},
    # Rebuild the analytics rollups of the recent past and posted future (jobs/analytics/tasks.py).
    "analytics-rebuild-recent-rollups": {
        "task": "analytics.rebuild_recent_rollups",
        "schedule": crontab(hour=2, minute=30),
        "options": {"queue": "analytics"},
    },
    # Idempotency keys are promised for >= 24 h; records older than 48 h go.
    "purge-idempotency-records": {"task": "core.purge_idempotency_records", "schedule": 3600.0},
    "advance-cascades": {"task": "jobs.advance_cascades", "schedule": 30.0, "options": {"queue": "offers"}},
    "expire-offers": {"task": "jobs.expire_offers", "schedule": 30.0, "options": {"queue": "offers"}},
    "resend-unnotified-offers": {
        "task": "jobs.resend_unnotified_offers",
        "schedule": 120.0,
        "options": {"queue": "notifications"},
    },
    "escalate-unfilled": {
        "task": "jobs.escalate_unfilled",
        "schedule": 300.0,
        "options": {"queue": "offers"},
    },
    "complete-bookings": {
        "task": "jobs.complete_bookings",
        "schedule": 600.0,
        "options": {"queue": "offers"},
    },
    "remind-shifts": {"task": "jobs.remind_shifts", "schedule": 600.0, "options": {"queue": "notifications"}},
}
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "jobs.notify_*": {"queue": "notifications"},
    "notifications.*": {"queue": "notifications"},
    "analytics.*": {"queue": "analytics"},
    "jobs.*": {"queue": "offers"},
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Roles for you and the shortfall lists keep exact pages in the cache (backend/core/listing_cache.py);
# off, every request builds its page (the load benchmark measures both).
LISTING_CACHE = env_bool("LISTING_CACHE", default=True)

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "backend.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "backend.core.schema.AutoSchema",  # documents every error status
    "EXCEPTION_HANDLER": "backend.core.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env_str("LOGIN_THROTTLE_RATE", "10/min")},
    # Trusted reverse proxies in front of gunicorn: X-Forwarded-For is believed only as far as they
    # appended to it (throttles, login lockout, audit addresses). 0: REMOTE_ADDR, the header ignored.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Staffing match API",
    "DESCRIPTION": "Continuity-aware staffing for mental health wards.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets come from the drf-spectacular-sidecar package (PyPI), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ShortfallStatusEnum": "jobs.models.Shortfall.Status",
        "PractitionerStatusEnum": "backend.practitioners.models.Practitioner.Status",
        "PractitionerGenderEnum": "backend.practitioners.models.Practitioner.Gender",
        "WardGenderEnum": "backend.organisations.models.Ward.Gender",
        "ShortfallGenderEnum": "jobs.models.Shortfall.Gender",
    },
}

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Forms carry the token in a hidden input ({% csrf_token %}, htmx posts the form): no script reads
# the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
# Only once every subdomain is served over HTTPS (and, for preload, submitted to the list).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# backend/core/middleware.py: own-origin scripts and styles only; data: images for Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "shifts@staffing.example")

# --- Domain defaults ---------------------------------------------------------------------------
STAFFING = {
    "MIN_REST_HOURS": env_int("STAFFING_MIN_REST_HOURS", 11),
    "WEEK_HOURS_CAP": env_int("STAFFING_WEEK_HOURS_CAP", 48),
    "OPT_OUT_WEEK_HOURS_MAX": env_int("STAFFING_OPT_OUT_WEEK_HOURS_MAX", 60),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# SQLite (the demo) cannot express NULLS NOT DISTINCT uniques; PostgreSQL enforces them and the
# services check before writing.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# --- Notifications (issue 5: notifications/) ----------------------------------------------------
# Email goes through EMAIL_BACKEND above; with the SMTP backend these reach the server. Every
# outbound call has a timeout (seconds), kept below the delivery task's time limit.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 5)
# SMS through GOV.UK Notify: an API key ("name-<service uuid>-<secret uuid>") and a template whose
# whole text is ((body)). No key: SMS deliveries fail permanently with a clear last_error.
NOTIFY_API_BASE_URL = env_str("NOTIFY_API_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY", "")
NOTIFY_SMS_TEMPLATE_ID = env_str("NOTIFY_SMS_TEMPLATE_ID", "")
NOTIFY_HTTP_TIMEOUT = env_int("NOTIFY_HTTP_TIMEOUT", 5)
# Trust webhooks: request timeout, and consecutive final failures before an endpoint is disabled.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 5)
# Delivery retries: exponential backoff with jitter. A retry waits in the database (next_attempt_at)
# and the sweep below enqueues it when due: no Celery countdowns against the visibility timeout.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30)
NOTIFY_RETRY_MAX_SECONDS = env_int("NOTIFY_RETRY_MAX_SECONDS", 1800)
# A delivery in `sending` (or enqueued and untouched) longer than this is presumed lost; it must
# exceed the delivery task's time limit.
NOTIFY_STUCK_AFTER_SECONDS = env_int("NOTIFY_STUCK_AFTER_SECONDS", 120)
# Offer alerts (email/SMS) per practitioner per clock hour; the rest wait for the daily digest.
NOTIFY_OFFER_ALERTS_PER_HOUR = env_int("NOTIFY_OFFER_ALERTS_PER_HOUR", 6)
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-sweep-deliveries": {"task": "notifications.sweep_stuck_deliveries", "schedule": 15.0},
        "notifications-daily-digests": {
            "task": "notifications.send_daily_digests",
            "schedule": crontab(hour=7, minute=30),
        },
        "notifications-credentials-expiring": {
            "task": "notifications.remind_credentials_expiring",
            "schedule": crontab(hour=8, minute=0),
        },
    }
)

# --- Front-end packages (issue 7: backend/web) --------------------------------------------------
# htmx is installed from npm (package.json + package-lock.json, `make install` runs `npm ci`) into
# the git-ignored node_modules/ and served through staticfiles: never a committed or CDN copy.
STATICFILES_DIRS = [BASE_DIR / "node_modules" / "htmx.org" / "dist"]
