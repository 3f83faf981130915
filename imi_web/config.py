"""Configuration: defaults here, overridden by ``IMI_<NAME>`` environment variables.

Every Flask and extension setting can be given as ``IMI_<NAME>``; values are parsed as
JSON where possible (``IMI_MAIL_PORT=2525``, ``IMI_SESSION_COOKIE_SECURE=false``).
``DATABASE_URL`` is honoured too, for hosts that set it.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class Defaults:
    # Sessions and cookies (OWASP ASVS V3): secure, HTTP-only, same-site.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "imi_session"
    # A session lasts 8 hours from login, however busy (re-authentication once a working day,
    # ASVS 3.3); not re-signing the cookie on every request also saves each request ~0.2 ms.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_REFRESH_EACH_REQUEST = False
    # Request size limit: forms are small; 1 MiB is generous.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_SSL_STRICT = True

    BABEL_DEFAULT_LOCALE = "lv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Riga"
    LANGUAGES = ("lv", "en")

    # Mail: with no MAIL_SERVER the outbox prints mail to the console (demo runs).
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_DEFAULT_SENDER = "IMI <no-reply@imi.invalid>"
    MAIL_SUPPRESS_SEND = False
    # Deliver the outbox from a background thread of each app process right after
    # commit; `flask imi deliver-mail` (cron) delivers whatever is still pending.
    MAIL_DELIVERY_THREAD = True

    # The public address of this installation, for links in mails.
    BASE_URL = "http://127.0.0.1:5000"

    # Invitations to self-register: days a link stays valid.
    INVITATION_VALID_DAYS = 30

    # Password policy.
    PASSWORD_MAX_AGE_DAYS = 182  # six months
    PASSWORD_REMINDER_DAYS = (14, 3)  # reminder mails this many days before expiry
    PASSWORD_HISTORY_SIZE = 5
    PASSWORD_MAX_FAILED_ATTEMPTS = 5
    # Deactivated authorities: deleted this many calendar months after deactivation
    # (same day of the month and time, or the month's last day if it is shorter); their access
    # managers are reminded this many days before.
    AUTHORITY_DELETION_MONTHS = 6
    AUTHORITY_DELETION_REMINDER_DAYS = 14
    # Argon2id cost; "RFC_9106_LOW_MEMORY" is argon2-cffi's default profile.
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"


def _instance_secret(instance_path: str) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it on first run."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create exclusively with owner-only permissions; a concurrent first start wins once.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def configure(app, config=None):
    app.config.from_object(Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "imi.sqlite3"
    )
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url[len("postgres://") :]
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    app.config.from_prefixed_env("IMI")
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has no pool to ping; a busy timeout lets writers queue instead of failing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **{k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"},
            "connect_args": {"timeout": 15},
        }
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = postgres_engine_options(app.config["SQLALCHEMY_ENGINE_OPTIONS"])


# Searches run the same statements with very different values ("rig" matches 2 % of the
# names, "valdemara" almost none). psycopg prepares a statement after five runs, and PostgreSQL
# may then settle on one generic plan for every value — for the capped count of "rig" a
# BitmapAnd of two indexes, 13 ms instead of 1 ms at 100k authorities. Plan each run with its
# values (planning costs ~0.3 ms).
POSTGRES_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def postgres_engine_options(options: dict) -> dict:
    connect_args = dict(options.get("connect_args", {}))
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), POSTGRES_OPTIONS]))
    return {**options, "connect_args": connect_args}
