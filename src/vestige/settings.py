"""Django settings for Vestige, read once from the environment.

Every setting that a deployer may change is an environment variable listed here and in the
README, with a safe local default:

``VESTIGE_HOME``           folder for the SQLite database, blobs and keys (default ``./var``)
``DATABASE_URL``           e.g. ``postgres://user@127.0.0.1:5432/vestige``; SQLite (WAL) when unset
``VESTIGE_SECRET_KEY``     Django secret key; refused in production when left at the dev value
``VESTIGE_PRODUCTION``     ``1`` turns on production checks (secret, secure cookies, no debug)
``VESTIGE_DEBUG``          ``1`` for Django debug pages (never in production)
``VESTIGE_ALLOWED_HOSTS``  comma-separated host names (default ``127.0.0.1,localhost``)
``VESTIGE_TILE_URL``       map tile URL template (``https://.../{z}/{x}/{y}.png``); off when unset
``VESTIGE_TILE_ATTRIBUTION``  attribution text shown with the tiles
``VESTIGE_REQUIRE_2FA``    ``1`` requires a TOTP second factor of administrators, DNA analysts, family
                           liaisons and investigators (default: on in production, off otherwise)
``VESTIGE_LEDGER_KEY``     the custody ledger's signing key file (outside VESTIGE_HOME; required in
                           production, or ``VESTIGE_LEDGER_KEY_PEM``)
``VESTIGE_HEAD_JOURNAL``   the append-only file of every kept custody head, outside the database
                           (default ``$VESTIGE_HOME/ledger/heads.journal``)
``VESTIGE_FIELD_KEYS``     field-encryption keys, newest first, comma-separated (or ``VESTIGE_FIELD_KEY_FILE``)
``VESTIGE_LOGIN_MAX_FAILURES``  failed logins per user name within the window before refusal (5)
``VESTIGE_LOGIN_WINDOW_S`` rate-limit window in seconds (900)
``VESTIGE_TRUSTED_PROXIES`` reverse proxies whose X-Forwarded-For names the client (none)
``VESTIGE_PAGE_SIZE``      rows per list page (50)
``VESTIGE_MAX_UPLOAD_MB``  largest import upload accepted (50)
``VESTIGE_TASK_WORKERS``   task workers started beside ``vestige serve`` (1; 0 when ``vestige worker``
                           runs on its own, as in a deployment)
``VESTIGE_STATIC_ROOT``    where ``vestige manage collectstatic`` puts static files (unset: served from the apps)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from vestige.errors import ConfigurationError

DEV_SECRET_KEY = "vestige-development-secret-not-for-production"


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={value!r} is not a boolean (use 1 or 0)", field=name)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not an integer", field=name) from None


BASE_DIR = Path(__file__).resolve().parent
VESTIGE_HOME = Path(os.environ.get("VESTIGE_HOME") or "var").resolve()
# Everything Vestige writes (the SQLite database and its WAL, blobs, keys, staged uploads,
# exported bags) is readable by its own user only: files 0600, folders 0700.
os.umask(0o077)
PRODUCTION = _env_bool("VESTIGE_PRODUCTION")
DEBUG = _env_bool("VESTIGE_DEBUG") and not PRODUCTION

SECRET_KEY = os.environ.get("VESTIGE_SECRET_KEY") or DEV_SECRET_KEY
def weak_secret(secret: str) -> bool:
    """Unset, the development key, shorter than 32 characters once blanks are removed, or made of
    fewer than 10 distinct characters (40 spaces, ``aaaa...``, ``abab...`` are not secrets)."""
    core = "".join(secret.split())
    return secret == DEV_SECRET_KEY or len(core) < 32 or len(set(core)) < 10 or core != secret


if PRODUCTION and weak_secret(SECRET_KEY):
    raise ConfigurationError(
        "VESTIGE_PRODUCTION is on but VESTIGE_SECRET_KEY is unset, the development key, too short, "
        "contains spaces or repeats a few characters; set a long random secret (e.g. python -c "
        "'import secrets; print(secrets.token_urlsafe(50))')",
        field="VESTIGE_SECRET_KEY",
    )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("VESTIGE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "vestige.accounts",
    "vestige.history",
    "vestige.registry",
    "vestige.claims",
    "vestige.missing",
    "vestige.identification",
    "vestige.evidence",
    "vestige.dvi",
    "vestige.reports",
    "vestige.web",
    "vestige.demo",
]

MIDDLEWARE = [
    "vestige.web.errors.ApiEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "vestige.web.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vestige.accounts.middleware.LoginRequiredMiddleware",
    "vestige.accounts.middleware.SecondFactorMiddleware",
    "vestige.web.middleware.VestigeErrorMiddleware",
]

ROOT_URLCONF = "vestige.urls"
WSGI_APPLICATION = "vestige.wsgi.application"
ASGI_APPLICATION = "vestige.asgi.application"

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
                "django.template.context_processors.i18n",
                "vestige.web.context.vestige",
            ],
            "builtins": ["vestige.registry.templatetags.vestige_tags"],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"].setdefault("TEST", {})
else:
    # The embedded default: create the home folder so the first `migrate` just works.
    VESTIGE_HOME.mkdir(parents=True, exist_ok=True, mode=0o700)
    for _private in (VESTIGE_HOME, VESTIGE_HOME / "vestige.sqlite3"):
        if _private.exists() and _private.stat().st_uid == os.getuid():
            _private.chmod(0o700 if _private.is_dir() else 0o600)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VESTIGE_HOME / "vestige.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while a writer writes; IMMEDIATE takes the write lock at
                # the start of a transaction so two writers queue instead of failing mid-way.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Times typed in forms are the user's local time (Kyiv by default), stored with their offset.
TIME_ZONE = os.environ.get("VESTIGE_TIME_ZONE", "Europe/Kyiv")
# Dates are ISO 8601 in every language (DOMAIN: one unambiguous date format for all users).
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
FORMAT_MODULE_PATH = ["vestige.formats"]

STATIC_URL = "/static/"
# Static files are served by WhiteNoise straight from the apps' folders (no collectstatic needed);
# a deployment may collect them into VESTIGE_STATIC_ROOT instead.
STATIC_ROOT = os.environ.get("VESTIGE_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
# The dashboard's figures are cached this long per case scope (0: computed on every request).
VESTIGE_DASHBOARD_CACHE_S = _env_int("VESTIGE_DASHBOARD_CACHE_S", 10)
# The cache of those figures and of lists' totals: per process ("memory", the default outside
# production), or "shared" (a folder under VESTIGE_HOME that every web worker of this machine
# reads, so a figure is computed once for all of them; the default in production and with
# `vestige serve --production`), or a folder. Keys carry the newest change, so any machine's cache
# is right whatever the others hold.
_cache = os.environ.get("VESTIGE_CACHE") or ("shared" if PRODUCTION else "memory")
if _cache == "memory":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VESTIGE_HOME / "cache" if _cache == "shared" else Path(_cache)),
                          "OPTIONS": {"MAX_ENTRIES": 20_000}}}
# A list's total (its COUNT) is remembered this long, keyed on the query and the newest change.
VESTIGE_COUNT_CACHE_S = _env_int("VESTIGE_COUNT_CACHE_S", 10)
# Evidence blobs: "" (the local folder $VESTIGE_HOME/blobs) or s3://bucket/prefix, a bucket created with
# Object Lock; each object is locked in compliance mode for VESTIGE_S3_RETENTION_DAYS (default 10 years).
VESTIGE_BLOB_STORE = os.environ.get("VESTIGE_BLOB_STORE", "")
# Matching runs score their samples on this Dask scheduler (tcp://host:8786; extra [dask]); unset: in process.
VESTIGE_DASK_SCHEDULER = os.environ.get("VESTIGE_DASK_SCHEDULER", "")
VESTIGE_S3_RETENTION_DAYS = _env_int("VESTIGE_S3_RETENTION_DAYS", 3650)
# The production web server (`vestige serve` with VESTIGE_PRODUCTION=1: gunicorn).
# Sync workers (one request at a time each, cores + 1 of them) behind a buffering reverse proxy
# (nginx) give the steadiest latency: on 2 cores, 16 connections, p99 ~200 ms where 5 threaded
# workers gave ~1 s (keep-alive connections pile up on one worker's GIL). Without such a proxy
# (slow clients would hold a sync worker), set VESTIGE_WEB_THREADS above 1 for threaded workers.
VESTIGE_WEB_WORKERS = _env_int("VESTIGE_WEB_WORKERS", (os.cpu_count() or 1) + 1)
VESTIGE_WEB_THREADS = _env_int("VESTIGE_WEB_THREADS", 1)
VESTIGE_WEB_TIMEOUT_S = _env_int("VESTIGE_WEB_TIMEOUT_S", 120)
VESTIGE_FORWARDED_ALLOW_IPS = os.environ.get("VESTIGE_FORWARDED_ALLOW_IPS", "127.0.0.1")
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "vestige.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True

MAX_UPLOAD_MB = _env_int("VESTIGE_MAX_UPLOAD_MB", 50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

VESTIGE_TILE_URL = os.environ.get("VESTIGE_TILE_URL", "")
VESTIGE_TILE_ATTRIBUTION = os.environ.get("VESTIGE_TILE_ATTRIBUTION", "")
# Second factor (TOTP) for administrators, DNA analysts, family liaisons and investigators.
VESTIGE_REQUIRE_2FA = _env_bool("VESTIGE_REQUIRE_2FA", PRODUCTION)
OTP_TOTP_ISSUER = os.environ.get("VESTIGE_OTP_ISSUER", "Vestige")
LOGIN_MAX_FAILURES = _env_int("VESTIGE_LOGIN_MAX_FAILURES", 5)
LOGIN_WINDOW_S = _env_int("VESTIGE_LOGIN_WINDOW_S", 900)
# Reverse proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated);
# from anyone else the header is ignored.
# Default: the proxy trusted for X-Forwarded-* (VESTIGE_FORWARDED_ALLOW_IPS, 127.0.0.1), the documented nginx.
VESTIGE_TRUSTED_PROXIES = [p for p in os.environ.get("VESTIGE_TRUSTED_PROXIES", VESTIGE_FORWARDED_ALLOW_IPS)
                           .replace(" ", ",").split(",") if p and p != "*"]
PAGE_SIZE = _env_int("VESTIGE_PAGE_SIZE", 50)

NINJA_PAGINATION_PER_PAGE = PAGE_SIZE

# Identification (matching runs).
VESTIGE_ALLELE_FREQUENCIES = os.environ.get("VESTIGE_ALLELE_FREQUENCIES") or str(
    BASE_DIR / "kinship" / "data" / "norwegian-35-markers.csv")
VESTIGE_MUTATION_MODEL = os.environ.get("VESTIGE_MUTATION_MODEL", "equal")
VESTIGE_MUTATION_RATE = float(os.environ.get("VESTIGE_MUTATION_RATE", "0.001"))
VESTIGE_MIN_ALLELE_FREQUENCY = float(os.environ.get("VESTIGE_MIN_ALLELE_FREQUENCY", "0.001"))
# The organisation named on register extracts (issue 31)
VESTIGE_ORGANISATION = os.environ.get("VESTIGE_ORGANISATION", "Vestige")
VESTIGE_MAX_DISTANCE_KM = float(os.environ.get("VESTIGE_MAX_DISTANCE_KM", "150"))
# A grave's position farther than this beyond its site's geometry is refused (a sign or a swap).
VESTIGE_GRAVE_MAX_KM = float(os.environ.get("VESTIGE_GRAVE_MAX_KM", "25"))
# A matching run's worker touches its heartbeat at least every few seconds; a run silent for
# longer than this is marked failed (its worker died) so that the next run can start.
VESTIGE_RUN_STALE_S = _env_int("VESTIGE_RUN_STALE_S", 300)
# Evidence intake. An upload this large is received by a task worker (its page shows progress).
VESTIGE_INTAKE_TASK_BYTES = _env_int("VESTIGE_INTAKE_TASK_MB", 64) * 1024 * 1024
VESTIGE_MAX_EVIDENCE_BYTES = _env_int("VESTIGE_MAX_EVIDENCE_MB", 20_000) * 1024 * 1024
VESTIGE_ZIP_MAX_MEMBERS = _env_int("VESTIGE_ZIP_MAX_MEMBERS", 10_000)
VESTIGE_ZIP_MAX_RATIO = _env_int("VESTIGE_ZIP_MAX_RATIO", 200)
VESTIGE_ZIP_MAX_BYTES = _env_int("VESTIGE_ZIP_MAX_GB", 50) * 1024**3
# WACZ signatures (Webrecorder's WACZ signing): the SHA-256 fingerprints (hex, comma-separated) of
# the root certificates trusted for domain signatures and for their timestamps. A signature that
# checks but ends at another root is recorded as "untrusted". Defaults: Let's Encrypt's ISRG Root
# X1, X2 and the cross-signed X1 (letsencrypt.org/certificates), and freetsa.org's root.
VESTIGE_WACZ_TRUSTED_ROOTS = {f.strip().lower().replace(":", "") for f in os.environ.get(
    "VESTIGE_WACZ_TRUSTED_ROOTS",
    "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6,"
    "69729b8e15a86efc177a57afb7171dfc64add28c2fca8cf1507e34453ccb1470,"
    "ee5f7abd6981bb0255632cd8f49283451b4b18844d12040b44ee00f07b8fe2c6,"
    # ISRG Root X1's key (SubjectPublicKeyInfo SHA-256, its published pin C5+lpZ7t...): the root
    # trusted whichever certificate carries it (self-signed, or cross-signed by DST Root CA X3)
    "0b9fa5a59eed715c26c1020c711b4f6ec42d58b0015e14337a39dad301c5afc3").split(",") if f.strip()}
VESTIGE_WACZ_TRUSTED_TSA_ROOTS = {f.strip().lower().replace(":", "") for f in os.environ.get(
    "VESTIGE_WACZ_TRUSTED_TSA_ROOTS",
    "a6379e7cecc05faa3cbf076013d745e327bbbaa38c0b9af22469d4701d18aabc").split(",") if f.strip()}
# Trusted time (RFC 3161): Time-Stamping Authorities (URLs, space- or comma-separated) that
# timestamp kept tree heads, and the PEM file of their root certificates (needed to verify a
# token: without it no token is asked for). A head is stamped when kept unless the newest stamp
# is younger than VESTIGE_TSA_INTERVAL_S (0: every head); `vestige evidence timestamp` stamps the
# newest head at any time, and every bag export stamps the head it carries.
VESTIGE_TSA_URLS = [u for u in os.environ.get("VESTIGE_TSA_URLS", "").replace(",", " ").split() if u]
VESTIGE_TSA_ROOTS = os.environ.get("VESTIGE_TSA_ROOTS", "")
VESTIGE_TSA_INTERVAL_S = _env_int("VESTIGE_TSA_INTERVAL_S", 0)
VESTIGE_TSA_TIMEOUT_S = _env_int("VESTIGE_TSA_TIMEOUT_S", 5)
# A TSA time earlier than the head's own time by more than this is a problem (a clock set ahead,
# or a head dated after the fact).
VESTIGE_TSA_MAX_SKEW_S = _env_int("VESTIGE_TSA_MAX_SKEW_S", 300)
# Witnesses (c2sp.org/tlog-witness) that cosign the ledger's checkpoints: entries "URL VKEY"
# separated by newlines or ";" (the witness's add-checkpoint URL and its verifier key, from
# `vestige witness key`). Heads are sent after each commit by a task (never blocking intake),
# retried while a witness is down. The quorum is how many must cosign a head for `evidence verify`
# to call it witnessed. The origin names this log in its checkpoints (default: from the ledger key).
VESTIGE_WITNESSES = os.environ.get("VESTIGE_WITNESSES", "")
VESTIGE_WITNESS_QUORUM = _env_int("VESTIGE_WITNESS_QUORUM", 1)
VESTIGE_WITNESS_TIMEOUT_S = _env_int("VESTIGE_WITNESS_TIMEOUT_S", 5)
VESTIGE_LOG_ORIGIN = os.environ.get("VESTIGE_LOG_ORIGIN", "")
# Web capture (`vestige evidence capture`, the Capture page): Debian's Chromium, the time a page
# may take, the largest media file taken. Every connection of a capture goes through a checking
# proxy that reaches public addresses only; VESTIGE_CAPTURE_ALLOW_PRIVATE names the non-public ones
# allowed on purpose (ADDRESS[/PREFIX][:PORT], comma-separated; "1": all of them, a lab without
# internet only). Chromium runs sandboxed as VESTIGE_CAPTURE_USER (default nobody when Vestige runs
# as root). The capture key (ECDSA P-384) signs the WACZ files the vault makes.
# The working area (south, west, north, east in degrees): a site geometry outside it that would lie
# inside with latitude and longitude exchanged is refused as swapped. Default: Ukraine; empty: no check.
_area = os.environ.get("VESTIGE_AREA_BOUNDS", "44.0,22.0,52.5,40.3")
VESTIGE_AREA_BOUNDS = tuple(float(v) for v in _area.split(",")) if _area.strip() else None
VESTIGE_CHROMIUM = os.environ.get("VESTIGE_CHROMIUM", "/usr/bin/chromium")
VESTIGE_CAPTURE_TIMEOUT_S = _env_int("VESTIGE_CAPTURE_TIMEOUT_S", 30)
VESTIGE_CAPTURE_MAX_MEDIA_MB = _env_int("VESTIGE_CAPTURE_MAX_MEDIA_MB", 2000)
VESTIGE_CAPTURE_ALLOW_PRIVATE = os.environ.get("VESTIGE_CAPTURE_ALLOW_PRIVATE", "")
VESTIGE_CAPTURE_USER = os.environ.get("VESTIGE_CAPTURE_USER", "")
VESTIGE_CAPTURE_KEY = os.environ.get("VESTIGE_CAPTURE_KEY", "")
# The custody ledger's Ed25519 signing key: a file outside VESTIGE_HOME (or VESTIGE_LEDGER_KEY_PEM,
# read from the environment when needed); required in production (see evidence/custody.py).
VESTIGE_LEDGER_KEY = os.environ.get("VESTIGE_LEDGER_KEY", "")
# The head journal: every kept tree head appended to a file outside the database (default
# $VESTIGE_HOME/ledger/heads.journal; put it on storage the database's owners cannot rewrite).
VESTIGE_HEAD_JOURNAL = os.environ.get("VESTIGE_HEAD_JOURNAL", "")
# Temporary intake files untouched for this long are a crash's leftovers, removed at start.
VESTIGE_TMP_STALE_S = _env_int("VESTIGE_TMP_STALE_S", 3600)
# Large uploads are streamed to temporary files on disk, never held in memory — under VESTIGE_HOME
# (not the system's temporary folder), where `vestige evidence cleanup` finds what a killed upload left.
FILE_UPLOAD_TEMP_DIR = str(VESTIGE_HOME / "tmp" / "uploads")
try:
    Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
except OSError:  # a read-only home: Django says so at the first large upload
    pass

# Long work (matching runs, bag exports and verifications, web captures, large uploads) is a task
# of django-tasks on its database backend (vestige/tasks.py): written to the database, run by
# `vestige worker` (one is started beside `vestige serve` and `vestige demo` unless
# VESTIGE_TASK_WORKERS=0). VESTIGE_TASKS_INLINE runs it in the caller instead (tests, tools).
VESTIGE_TASKS_INLINE = _env_bool("VESTIGE_TASKS_INLINE")
VESTIGE_TASK_WORKERS = _env_int("VESTIGE_TASK_WORKERS", 1)
# A worker touches its task's heartbeat this often, from a thread of its own.
VESTIGE_HEARTBEAT_S = _env_int("VESTIGE_HEARTBEAT_S", 10)
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
