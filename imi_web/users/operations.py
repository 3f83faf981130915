"""Operations on users: plain functions taking the actor and explicit objects.

They change the session and queue mail; the caller commits once.
"""

import re

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, with_parent
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import history, policy, security_events, sessions
from ..extensions import db
from ..locking import lock_authority
from ..outbox import mail_user
from ..models import Authority, HistoryEntry, Module, ModuleRight, User, fold, utcnow
from ..refusals import Refused
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


def _insert_with_username(authority: Authority, username: str | None, attempts: int = 20, **fields) -> User:
    """Insert a user of ``authority`` with ``username`` or, without one, a suggested one.

    Two namesakes registered at the same moment (by two workers or two servers) get the same
    suggestion; the unique index lets one insert win, and the other takes the next free
    username. The insert runs in a savepoint, so only it is undone. Eight officials registering
    "Lietotājs1" at once on two servers lost five times in a row, hence the many attempts.
    """
    db.session.flush()  # the caller's pending changes (a new authority) stay outside the savepoint
    for attempt in range(attempts):
        user = User(
            authority_id=authority.id,
            username=username or suggest_username(fields["first_name"], fields["surname"]),
            **fields,
        )
        try:
            with db.session.begin_nested():
                db.session.add(user)
            user.authority = authority
            return user
        except sa.exc.IntegrityError as error:
            if username or attempt == attempts - 1 or "username" not in str(error.orig):
                raise


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
    if user.id is not None:
        sessions.end_user_sessions(user, reason=security_events.ENDED_BY_PASSWORD_RESET, actor=actor)
    if send_mail:
        mail_user(
            user,
            "temporary_password",
            temporary_password=password,
            reason=reason,
            valid_days=current_app.config["TEMPORARY_PASSWORD_VALID_DAYS"],
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
    user = _insert_with_username(
        authority,
        username,
        first_name=first_name.strip(),
        surname=surname.strip(),
        email=email.strip(),
        phone=phone.strip(),
        language=language,
        is_admin=is_admin,
    )
    password = issue_temporary_password(user, actor=actor, reason="registered", send_mail=send_mail)
    db.session.flush()
    history.record_user_change(
        "user.registered",
        actor=actor,
        user=user,
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


def rights_by_module(user: User) -> dict[Module, list[ModuleRight]]:
    """The user's rights grouped by module, in code order: one query, the modules with them."""
    rights = db.session.scalars(
        sa.select(ModuleRight)
        .join(ModuleRight.module)
        .where(with_parent(user, User.module_rights))
        .options(contains_eager(ModuleRight.module))
        .order_by(Module.code, ModuleRight.id)
    ).all()
    grouped = {}
    for right in rights:
        grouped.setdefault(right.module, []).append(right)
    return grouped


def grant_all_module_rights(user: User, module: Module) -> list:
    """Give ``user`` every user right of ``module`` (R-2.1.5, R-3.3); return the rights added."""
    added = [right for right in module.rights if right not in user.module_rights]
    user.module_rights.extend(added)
    return added



# --- managing users (R-3.6, R-3.7, R-3.9) ------------------------------------------------

USERNAME_FORMAT = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
CONTACT_FIELDS = ("email", "phone")


def administrators(authority: Authority) -> list[User]:
    return [user for user in authority.users if user.is_admin]


def _is_last_administrator(user: User) -> bool:
    """Whether ``user`` is the authority's only administrator, counted under the authority's lock
    (see locking.py), so two requests demoting or deleting each other cannot both pass."""
    lock_authority(user.authority_id)
    return _other_administrators(user) == 0


def _other_administrators(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.authority_id == user.authority_id, User.is_admin.is_(True), User.id != user.id)
    )


def change_username(actor: User, user: User, new_username: str) -> None:
    new_username = (new_username or "").strip().lower()
    if not policy.registration_complete(user):
        raise Refused({"username": [_l("The username can be changed once the user has logged in and chosen a password.")]})
    if not USERNAME_FORMAT.match(new_username):
        raise Refused(
            {
                "username": [
                    _l(
                        "Use 3 to 32 characters: lower-case letters a–z, digits, '.', '-' or '_', "
                        "beginning with a letter."
                    )
                ]
            }
        )
    if new_username == user.username:
        return
    taken = db.session.scalar(sa.select(User.id).where(User.username == new_username, User.id != user.id))
    if taken is not None:
        raise Refused({"username": [_l("This username is already taken. Choose another one.")]})
    old = user.username
    user.username = new_username
    history.record_user_change(
        "user.username_changed",
        actor=actor,
        user=user,
        changes={"username": [old, new_username]},
    )


def set_rights(actor: User, user: User, *, is_admin: bool, rights: list[ModuleRight], editable_modules: list[Module]) -> None:
    """Set administrator rights and the user rights of ``editable_modules`` (R-3.6).

    Rights of other modules are kept as they are. The last administrator stays one.
    """
    if user.is_admin and not is_admin and _is_last_administrator(user):
        raise Refused({"is_admin": [_l("The last administrator of an authority cannot lose administrator rights.")]})
    editable = {module.id for module in editable_modules}
    before = {"is_admin": user.is_admin, "rights": sorted(f"{r.module.code}:{r.code}" for r in user.module_rights)}
    kept = [right for right in user.module_rights if right.module_id not in editable]
    chosen = [right for right in rights if right.module_id in editable]
    user.module_rights = kept + chosen
    user.is_admin = is_admin
    after = {"is_admin": user.is_admin, "rights": sorted(f"{r.module.code}:{r.code}" for r in user.module_rights)}
    changes = history.changes_between(before, after)
    if changes:
        history.record_user_change("user.rights_changed", actor=actor, user=user, changes=changes)


def reset_password(actor: User, user: User) -> None:
    """A new temporary password by mail (R-3.7); unblocks, and ends the user's sessions. Not for
    users who cannot log in: their authority awaits validation, was rejected or deactivated."""
    if not policy.may_log_in(user):
        raise Refused({"user": [_l("The users of an authority that is not active cannot log in: no password is sent.")]})
    old_status = user.password_status().value
    issue_temporary_password(user, actor=actor, reason="reset")
    history.record_user_change(
        "user.password_reset",
        actor=actor,
        user=user,
        changes={"password_status": [old_status, "temporary"]},
    )
    security_events.record(security_events.PASSWORD_RESET, user=user, actor=actor)


def refuse_deleting_last_administrator(user: User, *, lock: bool = True) -> None:
    """The rule delete_user keeps, asked before its confirmation too (so as not to confirm first
    and refuse after). The confirmation, which changes nothing, asks without the authority's
    lock (``lock=False``: no write lock for a GET); delete_user asks again under it."""
    if not user.is_admin:
        return
    if _is_last_administrator(user) if lock else _other_administrators(user) == 0:
        raise Refused({"user": [_l("The last administrator of an authority cannot be deleted.")]})


def delete_user(actor: User, user: User) -> None:
    """Delete a user (R-3.6): the history keeps the name, not the contact data."""
    refuse_deleting_last_administrator(user)
    for entry in db.session.scalars(
        sa.select(HistoryEntry).where(HistoryEntry.subject_type == User.__tablename__, HistoryEntry.subject_id == user.id)
    ):
        if any(field in entry.changes for field in CONTACT_FIELDS):
            entry.changes = {k: v for k, v in entry.changes.items() if k not in CONTACT_FIELDS}
    history.record_user_change("user.deleted", actor=actor, user=user, changes={"username": [user.username, None]})
    sessions.end_user_sessions(user, reason=security_events.ENDED_BY_USER_DELETION, actor=actor)
    db.session.delete(user)
