"""refusals.acting: the one place a view acts — commit once, or roll back a refusal and put its
messages beside the form's fields."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from imi_web.models import Country
from imi_web.refusals import Refused, acting
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def form(*names):
    return SimpleNamespace(**{name: SimpleNamespace(errors=[]) for name in names})


def countries(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(Country.code)).all()


def test_done_commits_once(app, db):
    with acting() as outcome:
        db.session.add(Country(code="XA", name_lv="XA", name_en="XA"))
    assert outcome.done and outcome.message() == ""
    db.session.rollback()  # what was committed stays
    assert "XA" in countries(db)


def test_refused_rolls_back_and_puts_messages_beside_fields(app, db):
    answered = form("role", "version")
    with acting(answered, fallback="role") as outcome:
        db.session.add(Country(code="XB", name_lv="XB", name_en="XB"))
        db.session.flush()
        raise Refused({"version": ["changed"], "unknown": ["elsewhere"]})
    assert not outcome.done
    assert outcome.message() == "changed elsewhere"
    assert answered.version.errors == ["changed"]
    assert answered.role.errors == ["elsewhere"]  # the fallback takes fields the form lacks
    assert "XB" not in countries(db)


def test_a_version_moved_on_is_refused_with_the_meanwhile_message(app, db):
    answered = form("version")
    with acting(answered, fallback="version", meanwhile="Someone else saved") as outcome:
        raise StaleDataError("moved on")
    assert not outcome.done and answered.version.errors == ["Someone else saved"]
    with acting(meanwhile="Someone else saved") as outcome:
        raise StaleDataError("moved on")
    assert outcome.message() == "Someone else saved"


def test_without_meanwhile_a_version_moved_on_goes_to_the_409_page(app, db):
    with pytest.raises(StaleDataError):
        with acting():
            raise StaleDataError("moved on")


def test_other_errors_are_not_refusals(app, db):
    with pytest.raises(ZeroDivisionError):
        with acting(form("role"), fallback="role"):
            1 / 0


def test_a_check_without_commit(app, db):
    with acting(commit=False) as outcome:
        db.session.add(Country(code="XC", name_lv="XC", name_en="XC"))
    assert outcome.done
    db.session.rollback()
    assert "XC" not in countries(db)
