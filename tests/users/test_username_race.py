"""Namesakes registered at the same moment on two servers (issue 20): both get the same
suggested username, the unique index lets one insert win, the other takes the next free one
instead of failing with an error page."""

import pytest

from imi_web.models import OutboxMessage, User
from imi_web.users import operations
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def test_a_suggestion_taken_meanwhile_gives_the_next_username(app, db, factory, monkeypatch):
    authority = factory.authority()
    factory.user(authority, username="pklavins")
    factory.commit()
    real = operations.suggest_username
    calls = []

    def stale_then_real(first_name, surname):
        # The first suggestion was made before the other registration committed.
        calls.append(1)
        return "pklavins" if len(calls) == 1 else real(first_name, surname)

    monkeypatch.setattr(operations, "suggest_username", stale_then_real)
    user, _password = operations.register_user(
        authority, actor=None, first_name="Pēteris", surname="Kļaviņš", email="p@example.lv"
    )
    db.session.commit()
    assert user.username == "pklavins2"
    assert len(calls) == 2
    assert db.session.query(User).filter_by(email="p@example.lv").one().username == "pklavins2"
    assert db.session.query(OutboxMessage).filter_by(recipient="p@example.lv").count() == 1


def test_a_given_username_that_is_taken_is_still_an_error(app, db, factory):
    import sqlalchemy as sa

    authority = factory.authority()
    factory.user(authority, username="taken.name")
    factory.commit()
    with pytest.raises(sa.exc.IntegrityError):
        operations.register_user(
            authority, actor=None, first_name="A", surname="B", email="a@example.lv", username="taken.name"
        )
    db.session.rollback()
