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
    # With SESSION_COOKIE_SECURE the name gets the "__Host-" prefix (see ``configure``).
    # A sign-in session (a row of ``user_session``) ends at logout, after SESSION_IDLE_MINUTES
    # without a request (ASVS 3.3.2, NIST AAL2: 30 minutes), or PERMANENT_SESSION_LIFETIME after
    # the login however busy it is (re-authentication once a working day, ASVS 3.3). Its last
    # activity is written at most every SESSION_TOUCH_SECONDS, not on every request.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_IDLE_MINUTES = 30
    SESSION_TOUCH_SECONDS = 60
    # The cookie is signed again only when the session changes, not on every request.
    SESSION_REFRESH_EACH_REQUEST = False
    # Reverse proxies in front of the application whose X-Forwarded-For/-Proto are trusted
    # (Werkzeug's ProxyFix): 0 when clients connect directly, 1 behind one nginx.
    TRUSTED_PROXY_COUNT = 0
    # Request size limit: forms are small; 1 MiB is generous.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024

    # hide_parameters: a failed statement is logged without its values (names, e-mails).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

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
    # A temporary password that is not used to log in within this many days stops working
    # (ASVS 2.3.1); the administrator sees "expired" and resets it.
    TEMPORARY_PASSWORD_VALID_DAYS = 7
    # Passwords that zxcvbn estimates below this score (0-4) are refused as too easy to guess:
    # 2 means at least about a million guesses, more than an online attacker gets.
    PASSWORD_MIN_SCORE = 2

    # Throttling of the anonymous pages (Flask-Limiter). The storage is shared by the servers
    # of one installation: "memory://" counts per process (one server), "redis://host:6379"
    # or "memcached://host:11211" across servers. Login counts only failed attempts.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "sliding-window-counter"
    RATELIMIT_HEADERS_ENABLED = True
    # If the shared storage cannot be reached, count in memory meanwhile rather than fail.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_ADDRESS = "10 per minute; 60 per hour"
    # Above PASSWORD_MAX_FAILED_ATTEMPTS, so that the block comes first.
    LOGIN_LIMIT_PER_USERNAME = "10 per 15 minutes; 30 per day"
    REGISTRATION_LIMIT_PER_ADDRESS = "20 per minute; 200 per hour"

    # Who must sign in with a second factor (authenticator app or passkey): "none",
    # "administrators" (of an access-manager authority) or "all". Production: at least
    # "administrators" (see Deploying).
    SECOND_FACTOR_REQUIRED = "none"
    # The name authenticator apps and passkey dialogs show for this installation.
    SECOND_FACTOR_ISSUER = "IMI"
    # The sign-in after a correct password waits this long for the second factor.
    SECOND_FACTOR_WAIT_MINUTES = 5
    SECOND_FACTOR_LIMIT = "10 per 15 minutes"
    RECOVERY_CODES = 10

    # Security events (logins, logouts, timeouts, refusals) are kept this many days.
    SECURITY_EVENT_DAYS = 365
    # Deactivated authorities: deleted this many calendar months after deactivation
    # (same day of the month and time, or the month's last day if it is shorter); their access
    # managers are reminded this many days before.
    AUTHORITY_DELETION_MONTHS = 6
    AUTHORITY_DELETION_REMINDER_DAYS = 14
    # A rejected registration is deleted with its first user this many days later.
    REJECTED_REGISTRATION_DAYS = 30
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
    if app.config["SESSION_COOKIE_SECURE"]:
        app.config["SESSION_COOKIE_NAME"] = secure_cookie_name(
            app.config["SESSION_COOKIE_NAME"], app.config.get("SESSION_COOKIE_DOMAIN")
        )
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


def secure_cookie_name(name: str, domain: str | None) -> str:
    """The cookie name with the prefix browsers enforce for a Secure cookie: "__Host-" (this
    host only, path /, never set over http or by a sibling domain), or "__Secure-" when the
    operator shares the cookie with a domain."""
    if name.startswith(("__Host-", "__Secure-")):
        return name
    return ("__Secure-" if domain else "__Host-") + name


# Searches run the same statements with very different values ("rig" matches 2 % of the
# names, "valdemara" almost none). psycopg prepares a statement after five runs, and PostgreSQL
# may then settle on one generic plan for every value — for the capped count of "rig" a
# BitmapAnd of two indexes, many times slower than the plan made for "rig" itself. Plan each
# run with its values: planning is cheap next to one such plan.
POSTGRES_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def postgres_engine_options(options: dict) -> dict:
    connect_args = dict(options.get("connect_args", {}))
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), POSTGRES_OPTIONS]))
    return {**options, "connect_args": connect_args}
