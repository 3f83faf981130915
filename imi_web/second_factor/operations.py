"""Second factors: authenticator apps (TOTP, RFC 6238, with pyotp), passkeys and security keys
(WebAuthn, with py_webauthn) and single-use recovery codes. Plain functions that take the
user (and the actor); they record history and security events; the caller commits.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import urlsplit

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import history, policy, security_events, sessions
from ..extensions import db
from ..outbox import mail_user
from ..models import AuthenticatorApp, Passkey, RecoveryCode, User, utcnow
from ..refusals import Refused

TOTP_INTERVAL = 30  # seconds: RFC 6238's time step, what every authenticator app uses
TOTP_DIGITS = 6
# Recovery codes: 10 characters of base32 (50 bits), shown as XXXXX-XXXXX.
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_LENGTH = 10
PASSKEY_NAME_MAX = 60

AUTHENTICATOR_APP = security_events.AUTHENTICATOR_APP
PASSKEY = security_events.PASSKEY
RECOVERY_CODE = security_events.RECOVERY_CODE
# The WebAuthn challenge waiting for the browser's answer, in the session: its purpose and value.
PASSKEY_CHALLENGE = "passkey_challenge"


# --- the TOTP secret at rest ------------------------------------------------------------------


def _fernet() -> MultiFernet:
    """Encryption of the TOTP secrets with keys derived from SECRET_KEY (and its fallbacks, so
    that a key rotation keeps the apps working once the old key is listed as a fallback)."""
    keys = [current_app.secret_key, *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]
    fernets = []
    for key in keys:
        raw = key.encode() if isinstance(key, str) else key
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"imi authenticator app secrets").derive(raw)
        fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _unseal(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


# --- what the user has ------------------------------------------------------------------------


def authenticator_app(user: User) -> AuthenticatorApp | None:
    return db.session.scalar(sa.select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))


def passkeys(user: User) -> list[Passkey]:
    return list(db.session.scalars(sa.select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _refresh_flag(user: User) -> None:
    """Keep ``user.has_second_factor`` in step with the factors stored."""
    db.session.flush()
    app = authenticator_app(user)
    user.has_second_factor = bool((app is not None and app.confirmed_at is not None) or passkeys(user))
    if not user.has_second_factor:
        db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _factors(user: User) -> dict:
    """The user's second factors as the history records them."""
    app = authenticator_app(user)
    return {
        "authenticator_app": app is not None and app.confirmed_at is not None,
        "passkeys": [p.name for p in passkeys(user)],
    }


def _record_change(action: str, kind: str, user: User, actor: User, before: dict, **detail) -> None:
    changes = history.changes_between(before, _factors(user))
    history.record_user_change(action, actor=actor, user=user, changes=changes)
    security_events.record(kind, user=user, actor=actor, **detail)


def _guard_last_factor(user: User, before: dict) -> None:
    """A user who must have a second factor may not remove the last one."""
    count = int(before["authenticator_app"]) + len(before["passkeys"])
    if count <= 1 and policy.must_have_second_factor(user):
        raise Refused({"factor": [_l("You must keep at least one second factor: add another one before you remove this one.")]})


# --- authenticator app -----------------------------------------------------------------------


def start_authenticator(user: User) -> str:
    """A new secret for the user's authenticator app, not yet confirmed; returns the secret."""
    app = authenticator_app(user)
    if app is not None and app.confirmed_at is not None:
        raise Refused({"code": [_l("An authenticator app is set up already. Remove it first to set up another one.")]})
    secret = pyotp.random_base32()  # 160 bits
    if app is None:
        app = AuthenticatorApp(user_id=user.id, secret="")
        db.session.add(app)
    app.secret = _seal(secret)
    app.created_at = utcnow()
    app.last_used_step = None
    return secret


def pending_secret(user: User) -> str | None:
    app = authenticator_app(user)
    if app is None or app.confirmed_at is not None:
        return None
    return _unseal(app.secret)


def provisioning(user: User, secret: str) -> dict:
    """What the enrolment page shows: the key in groups of four, and the QR code as SVG."""
    uri = pyotp.TOTP(secret, interval=TOTP_INTERVAL, digits=TOTP_DIGITS).provisioning_uri(
        name=user.username, issuer_name=current_app.config["SECOND_FACTOR_ISSUER"]
    )
    qr = segno.make(uri, error="m")
    return {
        "key": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_svg": qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=False),
    }


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to: this one or one step either side (clock drift), and
    never one at or before the last step accepted (no code works twice)."""
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL, digits=TOTP_DIGITS)
    now = int(time.time()) // TOTP_INTERVAL
    for step in (now - 1, now, now + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _take_step(app: AuthenticatorApp, step: int) -> bool:
    """Record ``step`` as used unless a later or the same one was, even by a request at the same
    moment (one conditional UPDATE)."""
    taken = db.session.execute(
        sa.update(AuthenticatorApp)
        .where(
            AuthenticatorApp.id == app.id,
            sa.or_(AuthenticatorApp.last_used_step.is_(None), AuthenticatorApp.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def confirm_authenticator(user: User, code: str) -> list[str]:
    """Confirm the app with its first code; returns the recovery codes to show once (none if
    the user has some left from before)."""
    app = authenticator_app(user)
    secret = pending_secret(user)
    code = _digits(code)
    step = _matching_step(secret, code, None) if secret and code else None
    if step is None:
        raise Refused({"code": [_l("This code is not right. Enter the code your app shows now.")]})
    before = _factors(user)
    app.confirmed_at = utcnow()
    app.last_used_step = step
    _refresh_flag(user)
    _record_change("user.second_factor_added", security_events.SECOND_FACTOR_ADDED, user, user, before,
                   reason=AUTHENTICATOR_APP)
    return issue_recovery_codes(user) if unused_recovery_codes(user) == 0 else []


def remove_authenticator(user: User, *, actor: User) -> None:
    app = authenticator_app(user)
    if app is None:
        return
    before = _factors(user)
    if app.confirmed_at is not None:
        _guard_last_factor(user, before)
    db.session.delete(app)
    _refresh_flag(user)
    if app.confirmed_at is not None:
        _record_change("user.second_factor_removed", security_events.SECOND_FACTOR_REMOVED, user, actor, before,
                       reason=AUTHENTICATOR_APP)


def _digits(code: str | None) -> str:
    return "".join(c for c in (code or "") if not c.isspace())


# --- recovery codes ----------------------------------------------------------------------------


def _normal_recovery(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c not in " -\t")


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normal_recovery(code).encode()).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes (the old ones stop working); returns them to be shown once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(current_app.config["RECOVERY_CODES"]):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
    return codes


def renew_recovery_codes(user: User) -> list[str]:
    if not user.has_second_factor:
        raise Refused({"factor": [_l("Set up an authenticator app or a passkey first.")]})
    codes = issue_recovery_codes(user)
    history.record_user_change("user.recovery_codes_renewed", actor=user, user=user, changes={"recovery_codes": [None, len(codes)]})
    security_events.record(security_events.RECOVERY_CODES_RENEWED, user=user)
    return codes


# --- the second step of the sign-in ------------------------------------------------------------


def check_code(user: User, code: str) -> str | None:
    """A code typed at the second step: the app's 6 digits or a recovery code. Returns the
    method that accepted it (AUTHENTICATOR_APP, RECOVERY_CODE), or None."""
    digits = _digits(code)
    if len(digits) == TOTP_DIGITS and digits.isdigit():
        app = authenticator_app(user)
        if app is None or app.confirmed_at is None:
            return None
        secret = _unseal(app.secret)
        step = _matching_step(secret, digits, app.last_used_step) if secret else None
        return AUTHENTICATOR_APP if step is not None and _take_step(app, step) else None
    normal = _normal_recovery(code)
    if len(normal) != RECOVERY_LENGTH:
        return None
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(normal),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return None
    left = unused_recovery_codes(user)
    history.record_user_change("user.recovery_code_used", actor=user, user=user, changes={"recovery_codes": [left + 1, left]})
    security_events.record(security_events.RECOVERY_CODE_USED, user=user, count=left)
    return RECOVERY_CODE


# --- passkeys (WebAuthn) -----------------------------------------------------------------------


def relying_party() -> tuple[str, str]:
    """The relying party's id (the host of IMI_BASE_URL) and the origin browsers report."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return parts.hostname, f"{parts.scheme}://{parts.netloc}"


def _expected(challenge: str) -> dict:
    """What a browser's answer must have been made for: our challenge, relying party and origin."""
    rp_id, origin = relying_party()
    return {"expected_challenge": base64url_to_bytes(challenge), "expected_rp_id": rp_id, "expected_origin": origin}


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for passkey in passkeys(user):
        transports = []
        for name in filter(None, passkey.transports.split(",")):
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                pass
        descriptors.append(
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id), transports=transports or None)
        )
    return descriptors


def registration_options(user: User) -> tuple[str, str]:
    """Options for ``navigator.credentials.create`` (JSON) and the challenge to remember."""
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["SECOND_FACTOR_ISSUER"],
        user_id=user.id.to_bytes(8, "big"),
        user_name=user.username,
        user_display_name=user.full_name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def register_passkey(user: User, name: str, credential: str, challenge: str) -> Passkey:
    name = " ".join((name or "").split())[:PASSKEY_NAME_MAX]
    if not name:
        raise Refused({"name": [_l("Give the passkey a name, e.g. the device it is on.")]})
    try:
        verified = verify_registration_response(credential=credential, **_expected(challenge))
        transports = json.loads(credential).get("response", {}).get("transports") or []
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise Refused({"name": [_l("The passkey could not be registered. Please try again.")]}) from None
    before = _factors(user)
    passkey = Passkey(
        user_id=user.id,
        name=name,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(str(t) for t in transports if isinstance(t, str))[:200],
    )
    db.session.add(passkey)
    _refresh_flag(user)
    _record_change("user.second_factor_added", security_events.SECOND_FACTOR_ADDED, user, user, before, reason=PASSKEY)
    return passkey


def remove_passkey(user: User, passkey_id: int, *, actor: User) -> bool:
    passkey = db.session.scalar(sa.select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
    if passkey is None:
        return False
    before = _factors(user)
    _guard_last_factor(user, before)
    db.session.delete(passkey)
    _refresh_flag(user)
    _record_change("user.second_factor_removed", security_events.SECOND_FACTOR_REMOVED, user, actor, before, reason=PASSKEY)
    return True


def authentication_options(user: User) -> tuple[str, str]:
    """Options for ``navigator.credentials.get`` with the user's passkeys, and the challenge."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id, allow_credentials=_descriptors(user), user_verification=UserVerificationRequirement.PREFERRED
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def verify_passkey(user: User, credential: str, challenge: str) -> Passkey | None:
    """The user's passkey that signed ``challenge`` (its counter moved on), or None."""
    try:
        credential_id = json.loads(credential)["id"]
    except (ValueError, TypeError, KeyError):
        return None
    passkey = db.session.scalar(
        sa.select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == str(credential_id)[:700])
    )
    if passkey is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            **_expected(challenge),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    return passkey


# --- reset by an administrator -----------------------------------------------------------------


def reset_second_factor(actor: User, user: User) -> None:
    """Remove every second factor of ``user`` (an administrator, R-3.6's reset for the second
    factor): the user is told by mail and logged out everywhere."""
    if not user.has_second_factor:
        raise Refused({"user": [_l("This user has no second factor.")]})
    before = _factors(user)
    db.session.execute(sa.delete(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    db.session.execute(sa.delete(Passkey).where(Passkey.user_id == user.id))
    _refresh_flag(user)
    history.record_user_change(
        "user.second_factor_reset", actor=actor, user=user, changes=history.changes_between(before, _factors(user))
    )
    security_events.record(security_events.SECOND_FACTOR_RESET, user=user, actor=actor)
    sessions.end_user_sessions(user, reason=security_events.ENDED_BY_SECOND_FACTOR_RESET, actor=actor)
    mail_user(
        user,
        "second_factor_reset",
        actor_name=actor.full_name,
        required=policy.must_have_second_factor(user),
    )
