"""The one exception operations raise when they refuse (messages per form field), and the one
place a view acts: ``acting`` runs the operation, commits once, or rolls back and puts the
refusal's messages beside the form's fields; the view then only chooses what to respond."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm.exc import StaleDataError

from .extensions import db


class Refused(Exception):
    """The operation was refused; ``errors`` maps form fields to messages (shown beside them)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    def message(self) -> str:
        return " ".join(str(m) for messages in self.errors.values() for m in messages)


def apply_to_form(form, refused: Refused, fallback: str):
    """Put the refusal's messages beside the form's fields (``fallback`` for unknown ones)."""
    for field, messages in refused.errors.items():
        target = getattr(form, field, None) or getattr(form, fallback)
        target.errors = list(target.errors) + [str(m) for m in messages]


@dataclass
class Outcome:
    """What became of an act: done (committed), or refused (rolled back) and why."""

    refused: Refused | None = None

    @property
    def done(self) -> bool:
        return self.refused is None

    def message(self) -> str:
        return self.refused.message() if self.refused is not None else ""


@contextmanager
def acting(form=None, fallback: str | None = None, meanwhile=None, commit: bool = True) -> Iterator[Outcome]:
    """Run the block (the operation) and commit once; on ``Refused``, roll back, put its
    messages beside ``form``'s fields (``fallback`` for the others) and tell the view through
    the ``Outcome`` it gets. With ``meanwhile`` (a message), a version that moved on under the
    request (``StaleDataError``) is refused with it too, beside ``fallback``; without it, it
    goes on to the application's 409 page. ``commit=False`` for a check that changes nothing
    (the question a confirmation page asks first).

        with acting(form, fallback="role") as outcome:
            grant_module_access(current_user, authority, module, **terms)
        if outcome.done: ...respond with the result...
        else: ...the form again, 422...
    """
    outcome = Outcome()
    try:
        yield outcome
        if commit:
            db.session.commit()
    except Refused as refused:
        db.session.rollback()
        outcome.refused = refused
    except StaleDataError:
        db.session.rollback()
        if meanwhile is None:
            raise
        outcome.refused = Refused({fallback or "__all__": [meanwhile]})
    if outcome.refused is not None and form is not None:
        apply_to_form(form, outcome.refused, fallback=fallback)
