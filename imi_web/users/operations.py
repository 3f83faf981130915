"""Operations on users: plain functions taking the actor and explicit objects.

They change the session and queue mail; the caller commits once.
"""

import re
import secrets

import sqlalchemy as sa

from .. import history
from ..extensions import db
from ..mail.outbox import queue_mail
from ..models import Authority, Module, User, fold, utcnow
from ..passwords import generate_temporary_password, hash_password

USERNAME_MAX = 32


def suggest_username(first_name: str, surname: str) -> str:
    """A readable username unique in the system: ``jberzins``, then ``jberzins2``, …"""
    base = re.sub(r"[^a-z0-9]", "", fold(first_name)[:1] + fold(surname))[: USERNAME_MAX - 4] or "user"
    taken = set(
        db.session.scalars(sa.select(User.username).where(User.username.like(f"{base}%")))
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def issue_temporary_password(user: User, *, actor: User | None, reason: str, send_mail: bool = True) -> str:
    """Give ``user`` a new temporary password and mail it (never the username, R-2.1.2, R-3.7).

    A blocked password is unblocked, and the user's other sessions end. Returns the password
    for the one caller that shows it instead of mailing it: the operator's bootstrap console.
    """
    password = generate_temporary_password()
    user.password_hash = hash_password(password)
    user.password_is_temporary = True
    user.password_set_at = utcnow()
    user.password_blocked_at = None
    user.failed_login_count = 0
    user.password_reminder_days = None
    user.session_nonce = secrets.token_hex(8)
    if send_mail:
        queue_mail(
            user.email,
            "temporary_password",
            user.language,
            first_name=user.first_name,
            temporary_password=password,
            reason=reason,
        )
    return password


def register_user(
    authority: Authority,
    *,
    actor: User | None,
    first_name: str,
    surname: str,
    email: str,
    phone: str = "",
    language: str = "lv",
    is_admin: bool = False,
    username: str | None = None,
    send_mail: bool = True,
) -> tuple[User, str]:
    """Register a user with a temporary password sent by mail; the caller shows the username.

    Returns the user and the temporary password; views never show the password (R-2.1.2).
    """
    user = User(
        authority=authority,
        first_name=first_name.strip(),
        surname=surname.strip(),
        email=email.strip(),
        phone=phone.strip(),
        language=language,
        is_admin=is_admin,
        username=username or suggest_username(first_name, surname),
        session_nonce=secrets.token_hex(8),
    )
    db.session.add(user)
    password = issue_temporary_password(user, actor=actor, reason="registered", send_mail=send_mail)
    db.session.flush()
    history.record(
        "user.registered",
        actor=actor,
        authority=authority,
        subject=user,
        subject_label=user.full_name,
        changes={
            "first_name": [None, user.first_name],
            "surname": [None, user.surname],
            "email": [None, user.email],
            "phone": [None, user.phone],
            "language": [None, user.language],
            "username": [None, user.username],
            "is_admin": [None, user.is_admin],
        },
    )
    return user, password


def grant_all_module_rights(user: User, module: Module) -> list:
    """Give ``user`` every user right of ``module`` (R-2.1.5, R-3.3); return the rights added."""
    added = [right for right in module.rights if right not in user.module_rights]
    user.module_rights.extend(added)
    return added

