"""Recording changes in the history (R-3.5): actor, time, action, old → new."""

import enum
from datetime import date, datetime

from .extensions import db
from .models import Authority, HistoryEntry, User


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def changes_between(old: dict, new: dict) -> dict:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        field: [_plain(old.get(field)), _plain(new.get(field))]
        for field in new
        if _plain(old.get(field)) != _plain(new.get(field))
    }


def snapshot(obj, fields) -> dict:
    return {field: _plain(getattr(obj, field)) for field in fields}


def record(
    action: str,
    *,
    actor: User | None,
    authority: Authority | None,
    subject=None,
    subject_label: str = "",
    changes: dict | None = None,
) -> HistoryEntry:
    """Add a history entry to the current transaction; it commits (or not) with the change."""
    if any(o is not None and o.id is None for o in (actor, authority, subject)):
        db.session.flush()
    entry = HistoryEntry(
        action=action,
        actor_user_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else "",
        actor_authority_id=actor.authority_id if actor else None,
        authority_id=authority.id if authority else None,
        authority_name=authority.official_name if authority else "",
        subject_type=subject.__tablename__ if subject is not None else "",
        subject_id=subject.id if subject is not None else None,
        subject_label=subject_label,
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry
