"""Configuration from environment variables, with safe development defaults.

Every variable is documented in README.md ("Configuração").
"""
import os
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused in production (see create_app)


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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    PWS_BASE_URL = os.environ.get("PWS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    PWS_STORAGE_DIR = os.environ.get("PWS_STORAGE_DIR", str(BASE_DIR / "instance" / "storage"))
    PWS_DEALER_NAME = os.environ.get("PWS_DEALER_NAME", "PWS - Portal Web de Serviços")
    # Lists never count past this many rows exactly ("mais de N registros").
    PWS_COUNT_CAP = int(os.environ.get("PWS_COUNT_CAP", "10000"))
    # Change-feed entries older than this are purged by `flask pws purge-feed` (cursors → 410).
    PWS_SYNC_FEED_RETENTION_DAYS = int(os.environ.get("PWS_SYNC_FEED_RETENTION_DAYS", "90"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "PWS <nao-responda@localhost>")

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
    FAB_API_MAX_PAGE_SIZE = 100
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

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("PWS_LOGIN_RATE_LIMIT", "10 per minute")


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    FAB_API_SWAGGER_UI = _bool("FAB_API_SWAGGER_UI", False)


def config_for(env_name: str | None = None) -> type[Config]:
    env_name = env_name or os.environ.get("PWS_ENV", "development")
    return ProductionConfig if env_name == "production" else Config
