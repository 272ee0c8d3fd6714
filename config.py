"""Configuration from environment variables, with safe development defaults.

Every variable is documented in README.md ("Configuração").
"""
import os
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-change-me"  # nosec B105  # development default, refused in production (create_app)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "sim"}


class Config:
    ENV_NAME = os.environ.get("PWS_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'pws.db'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # query_cache_size: SQLAlchemy keeps this many compiled statements (up to 1.5 times as many
    # before pruning). Its default, 500, held 357,000 objects that every full garbage collection
    # walked: 0.1-0.25 s pauses in served workers; with 50, 47,000 and 33 ms. A miss recompiles
    # in about 0.2 ms (docs/decisions.md, "The start-up heap").
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "query_cache_size": 50}
    # MariaDB: seconds to wait for a server that stopped answering (frozen, host unreachable)
    # before the request fails with 503; 0 = no limit. Set it on web servers, not for long
    # commands such as `flask db upgrade` (docs/reliability.md).
    PWS_DB_TIMEOUT = int(os.environ.get("PWS_DB_TIMEOUT", "0"))
    # MariaDB Galera: the session's wsrep_sync_wait (1 = every read first waits until this node
    # has applied what the cluster committed before it: read-your-writes across nodes); unset
    # leaves the server's own setting (docs/deployment.md, "Galera").
    PWS_DB_SYNC_WAIT = os.environ.get("PWS_DB_SYNC_WAIT") or None
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # How many reverse proxies stand in front of the app and add X-Forwarded-For/-Proto
    # (docs/deployment.md). 0: the headers are ignored and the TCP peer is the client.
    PWS_PROXY_COUNT = int(os.environ.get("PWS_PROXY_COUNT", "0"))
    PWS_BASE_URL = os.environ.get("PWS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    PWS_STORAGE_DIR = os.environ.get("PWS_STORAGE_DIR", str(BASE_DIR / "instance" / "storage"))
    PWS_DEALER_NAME = os.environ.get("PWS_DEALER_NAME", "PWS - Portal Web de Serviços")
    # Lists never count past this many rows exactly ("mais de N registros").
    PWS_COUNT_CAP = int(os.environ.get("PWS_COUNT_CAP", "10000"))
    PWS_REFERENCE_CACHE_SECONDS = int(os.environ.get("PWS_REFERENCE_CACHE_SECONDS", "60"))
    # Supply requests (docs/supplies.md): warn when fewer pages than this share of a supply's
    # yield were printed since its last delivery; flag counters above the equipment's history.
    PWS_SUPPLY_YIELD_SHARE = float(os.environ.get("PWS_SUPPLY_YIELD_SHARE", "0.8"))
    PWS_SUPPLY_COUNTER_FACTOR = float(os.environ.get("PWS_SUPPLY_COUNTER_FACTOR", "3"))
    PWS_SUPPLY_MAX_PAGES_PER_DAY = int(os.environ.get("PWS_SUPPLY_MAX_PAGES_PER_DAY", "5000"))
    # Billing PDFs: the largest accepted file; delivery photos and signatures are re-encoded.
    PWS_BILLING_MAX_MB = float(os.environ.get("PWS_BILLING_MAX_MB", "20"))
    PWS_PROOF_MAX_MB = float(os.environ.get("PWS_PROOF_MAX_MB", "10"))
    # Every uploaded image (attachments, photos, signatures): refused from its header above this
    # many pixels (a 24 MP phone photo fits), before anything is decoded (docs/security.md).
    PWS_IMAGE_MAX_PIXELS = int(os.environ.get("PWS_IMAGE_MAX_PIXELS", "24000000"))
    # Chamados: attachments, pre-service links, SLA highlight, monitoring.
    PWS_CALL_ATTACHMENT_MAX_MB = int(os.environ.get("PWS_CALL_ATTACHMENT_MAX_MB", "10"))
    PWS_CALL_ATTACHMENT_MAX_FILES = int(os.environ.get("PWS_CALL_ATTACHMENT_MAX_FILES", "5"))
    PWS_PRE_SERVICE_LINK_DAYS = int(os.environ.get("PWS_PRE_SERVICE_LINK_DAYS", "7"))
    # A call contact's address unknown for the client gets one confirmation e-mail per this many
    # hours, and an opener at most this many confirmation e-mails in that time (docs/email.md).
    PWS_CONTACT_CONFIRMATION_HOURS = int(os.environ.get("PWS_CONTACT_CONFIRMATION_HOURS", "24"))
    PWS_CONTACT_CONFIRMATION_LIMIT = int(os.environ.get("PWS_CONTACT_CONFIRMATION_LIMIT", "5"))
    PWS_SLA_NEAR_MINUTES = int(os.environ.get("PWS_SLA_NEAR_MINUTES", "120"))
    PWS_SYNC_STALE_MINUTES = int(os.environ.get("PWS_SYNC_STALE_MINUTES", "5"))

    # Atendimentos em campo: GPS retention (LGPD), map tiles (fetched by the user's browser),
    # link lifetimes, the ETA's assumed average speed and the photo size limit.
    PWS_GPS_RETENTION_DAYS = int(os.environ.get("PWS_GPS_RETENTION_DAYS", "90"))
    PWS_MAP_TILE_URL = os.environ.get("PWS_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    PWS_MAP_TILE_ATTRIBUTION = os.environ.get("PWS_MAP_TILE_ATTRIBUTION", "© OpenStreetMap")
    PWS_SHARE_LINK_DAYS = int(os.environ.get("PWS_SHARE_LINK_DAYS", "7"))
    PWS_ETA_LINK_HOURS = int(os.environ.get("PWS_ETA_LINK_HOURS", "8"))
    PWS_ETA_SPEED_KMH = float(os.environ.get("PWS_ETA_SPEED_KMH", "30"))
    PWS_SURVEY_DAYS = int(os.environ.get("PWS_SURVEY_DAYS", "30"))
    PWS_PHOTO_MAX_MB = int(os.environ.get("PWS_PHOTO_MAX_MB", "10"))
    # Change-feed entries older than this are purged by `flask pws purge-feed` (cursors → 410).
    PWS_SYNC_FEED_RETENTION_DAYS = int(os.environ.get("PWS_SYNC_FEED_RETENTION_DAYS", "90"))
    PWS_OUTBOX_RETENTION_DAYS = int(os.environ.get("PWS_OUTBOX_RETENTION_DAYS", "180"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "PWS <nao-responda@localhost>")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    # Outbox delivery (docs/email.md). Without MAIL_SERVER messages go to PWS_MAIL_FOLDER as .eml
    # files (default: <PWS_STORAGE_DIR>/mail), which the admin reads in "E-mails enviados".
    PWS_MAIL_FOLDER = os.environ.get("PWS_MAIL_FOLDER") or None
    PWS_MAIL_QUEUE = os.environ.get("PWS_MAIL_QUEUE", "pws-mail")
    PWS_MAIL_TIMEOUT = int(os.environ.get("PWS_MAIL_TIMEOUT", "30"))
    # Seconds between attempts after a temporary failure; the last one repeats until it is sent.
    PWS_MAIL_RETRY_DELAYS = tuple(
        int(v) for v in os.environ.get("PWS_MAIL_RETRY_DELAYS", "60,300,900,3600,10800").split(",")
    )
    # A row "sending" for longer than this belongs to a worker that died: the sweeper reclaims it.
    PWS_MAIL_SENDING_TIMEOUT = int(os.environ.get("PWS_MAIL_SENDING_TIMEOUT", "300"))
    PWS_MAIL_SWEEP_SECONDS = int(os.environ.get("PWS_MAIL_SWEEP_SECONDS", "60"))
    # Password reset links live at most one hour.
    PWS_RESET_TOKEN_MINUTES = min(int(os.environ.get("PWS_RESET_TOKEN_MINUTES", "60")), 60)
    PWS_INVITATION_HOURS = int(os.environ.get("PWS_INVITATION_HOURS", "72"))

    # Flask-AppBuilder
    APP_NAME = "PWS - Portal Web de Serviços"
    APP_THEME = ""
    AUTH_TYPE = AUTH_DB
    AUTH_USERNAME_CI = True
    AUTH_ROLE_ADMIN = "Admin Revenda"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_SECURITY_MANAGER_CLASS = "app.accounts.security.PortalSecurityManager"
    # Permissions are written by `flask pws init`, never by a starting web worker.
    FAB_UPDATE_PERMS = False
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = _bool("FAB_API_SWAGGER_UI", True)
    # The longest page any list or REST API gives, whatever psize_<View> or page_size asks for.
    PWS_MAX_PAGE_SIZE = int(os.environ.get("PWS_MAX_PAGE_SIZE", "100"))
    FAB_API_MAX_PAGE_SIZE = PWS_MAX_PAGE_SIZE
    FAB_BASE_TEMPLATE = "pws/baselayout.html"
    FAB_INDEX_VIEW = "app.dashboard.views.PortalIndexView"
    FAB_PASSWORD_COMPLEXITY_ENABLED = False
    PAGE_SIZE = 20

    # pt-BR is the one and only locale.
    BABEL_DEFAULT_LOCALE = "pt_BR"
    BABEL_DEFAULT_TIMEZONE = "America/Sao_Paulo"
    BABEL_DEFAULT_FOLDER = "babel/translations"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "babel" / "translations")
    LANGUAGES = {"pt_BR": {"flag": "br", "name": "Português"}}
    PWS_TIMEZONE = "America/Sao_Paulo"

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    MAX_CONTENT_LENGTH = int(os.environ.get("PWS_MAX_UPLOAD_MB", "50")) * 1024 * 1024

    JWT_ACCESS_TOKEN_EXPIRES = 3600
    # The technicians' app refresh token (seconds, 7 days); ended sooner by a password change,
    # a deactivation or "Sair de todos os dispositivos" (docs/security.md).
    JWT_REFRESH_TOKEN_EXPIRES = int(os.environ.get("JWT_REFRESH_TOKEN_EXPIRES", str(7 * 24 * 3600)))

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    # Redis down: count in this process's memory meanwhile (limits still hold per process),
    # and never fail the request over a counter; Redis is used again once it answers.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("PWS_LOGIN_RATE_LIMIT", "10 per minute")
    PWS_API_LOGIN_RATE_LIMIT = os.environ.get("PWS_API_LOGIN_RATE_LIMIT", "10 per minute")
    PWS_RESET_RATE_LIMIT = os.environ.get("PWS_RESET_RATE_LIMIT", "5 per minute;20 per hour")
    # Per account, whatever the address (docs/security.md): failed logins meet growing refusal
    # windows (never from a browser that logged in to the account before); reset e-mails per hour.
    PWS_ACCOUNT_LOGIN_LIMIT = os.environ.get("PWS_ACCOUNT_LOGIN_LIMIT", "5 per 5 minutes;10 per hour;30 per day")
    PWS_RESET_ACCOUNT_LIMIT = os.environ.get("PWS_RESET_ACCOUNT_LIMIT", "3 per hour")
    PWS_CONTACT_LINK_RATE_LIMIT = os.environ.get("PWS_CONTACT_LINK_RATE_LIMIT", "10 per minute;60 per hour")


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    FAB_API_SWAGGER_UI = _bool("FAB_API_SWAGGER_UI", False)


def config_for(env_name: str | None = None) -> type[Config]:
    env_name = env_name or os.environ.get("PWS_ENV", "development")
    return ProductionConfig if env_name == "production" else Config
