"""The operator's commands: bootstrap, add-module, run-jobs, and console mail."""

import pytest
import sqlalchemy as sa

from imi_web.models import (
    Authority,
    ClassificationList,
    HistoryEntry,
    Module,
    OutboxMessage,
    PasswordStatus,
    User,
)
from tests.conftest import BACKENDS, Client

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

BOOTSTRAP = [
    "imi", "bootstrap", "--country", "LV", "--authority-name", "Ekonomikas ministrija",
    "--first-name", "Jānis", "--surname", "Bērziņš", "--email", "janis.berzins@example.lv", "--language", "en",
]


def test_bootstrap_prints_exactly_username_and_password(app, db):
    result = app.test_cli_runner().invoke(args=BOOTSTRAP)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0] == "username: jberzins"
    assert lines[1].startswith("temporary password: ")
    password = lines[1].removeprefix("temporary password: ")
    authority = db.session.scalar(sa.select(Authority))
    assert authority.is_nimic and authority.is_access_manager and authority.country.code == "LV"
    user = db.session.scalar(sa.select(User))
    assert user.is_admin and user.authority == authority
    assert (user.phone, user.language) == ("", "en")  # no phone was given; found by mutation testing
    assert user.password_status() == PasswordStatus.TEMPORARY
    # Nothing secret elsewhere: no mail with the password, no password in the history.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    for entry in db.session.scalars(sa.select(HistoryEntry)):
        assert password not in str(entry.changes)
    # The printed credentials work, and the password must be changed first.
    client = Client(app.test_client())
    response = client.login("jberzins", password)
    assert response.headers["Location"] == "/account/password"


def test_bootstrap_refuses_a_second_nimic(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=BOOTSTRAP).exit_code == 0
    again = runner.invoke(args=BOOTSTRAP[:5] + ["Cita iestāde"] + BOOTSTRAP[6:])
    assert again.exit_code != 0
    assert "already has a national IMI coordinator" in again.output
    assert "temporary password" not in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Authority)) == 1


def test_bootstrap_rejects_a_bad_email(app, db):
    args = BOOTSTRAP[:-4] + ["not-an-address", "--language", "en"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and "--email" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Authority)) == 0


def test_add_module(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "imi", "add-module", "--code", "pq", "--name-lv", "Profesionālās kvalifikācijas",
            "--name-en", "Professional qualifications", "--information-request", "--linked-coordinator-required",
            "--classification", "ARCH=Arhitekti|Architects", "--classification", "DOC=Ārsti|Doctors",
            "--right", "SEND=Sūtīt pieprasījumus|Send requests", "--right", "REPLY=Atbildēt|Reply",
        ]
    )
    assert result.exit_code == 0, result.output
    module = db.session.scalar(sa.select(Module))
    assert module.code == "PQ" and module.is_information_request and module.linked_coordinator_required
    assert [r.code for r in module.rights] == ["SEND", "REPLY"]
    assert module.rights[0].name_lv == "Sūtīt pieprasījumus"
    classification = db.session.scalar(sa.select(ClassificationList))
    assert [e.name_en for e in classification.entries] == ["Architects", "Doctors"]
    again = app.test_cli_runner().invoke(args=["imi", "add-module", "--code", "PQ", "--name-lv", "x", "--name-en", "x", "--right", "A=a|a"])
    assert again.exit_code != 0 and "exists already" in again.output


def test_add_module_needs_rights_and_well_formed_entries(app, db):
    runner = app.test_cli_runner()
    no_rights = runner.invoke(args=["imi", "add-module", "--code", "X", "--name-lv", "x", "--name-en", "x"])
    assert no_rights.exit_code != 0 and "at least one user right" in no_rights.output
    malformed = runner.invoke(args=["imi", "add-module", "--code", "X", "--name-lv", "x", "--name-en", "x", "--right", "SEND"])
    assert malformed.exit_code != 0 and "CODE=Latvian name|English name" in malformed.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Module)) == 0


def test_run_jobs_and_console_mail(app, db, factory, capsys):
    from imi_web.users.operations import register_user

    # No MAIL_SERVER (the demo run): mail is printed for the operator to read.
    _user, password = register_user(factory.authority(), actor=None, first_name="Ilze", surname="Kalna",
                                    email="ilze@example.lv", language="en")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["imi", "run-jobs"])
    assert result.exit_code == 0, result.output
    assert "deliver-mail: 1 sent, 0 failed" in result.output
    printed = capsys.readouterr().out + result.output
    assert "ilze@example.lv" in printed and password in printed


def test_jobs_do_not_run_twice_at_once(app, db):
    from imi_web.jobs import lease

    with lease("deliver-mail") as first:
        with lease("deliver-mail") as second:
            assert first is True and second is False
    with lease("deliver-mail") as again:
        assert again is True
