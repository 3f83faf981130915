"""R-3.8: reminder mails before a password expires (14 and 3 days ahead), each sent once."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.auth.operations import change_password
from imi_web.outbox import deliver_pending
from imi_web.models import AuthorityStatus, OutboxMessage, utcnow
from imi_web.users import reminders
from imi_web.users.operations import issue_temporary_password
from imi_web.users.reminders import password_reminders_job, send_password_reminders
from tests.conftest import BACKENDS, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

# 09:00 UTC is 11:00 or 12:00 in Riga: no local-date surprises around midnight.
T0 = datetime(2025, 1, 10, 9, 0, tzinfo=timezone.utc)
MAX_AGE = 182


def days_before_expiry(days, set_at=T0):
    return set_at + timedelta(days=MAX_AGE - days)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def outbox(db, recipient=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query))


def test_each_threshold_is_mailed_once_across_runs(app, db, factory, clock):
    user = factory.user()
    factory.commit()

    clock.move_to(days_before_expiry(15))
    assert password_reminders_job() == "0 reminders queued"

    clock.move_to(days_before_expiry(13))
    assert password_reminders_job() == "1 reminder queued"
    assert password_reminders_job() == "0 reminders queued"
    db.session.refresh(user)
    assert user.password_reminder_days == 14
    assert len(outbox(db)) == 1

    clock.move_to(days_before_expiry(4))
    assert send_password_reminders() == 0

    clock.move_to(days_before_expiry(2))
    assert password_reminders_job() == "1 reminder queued"
    assert password_reminders_job() == "0 reminders queued"
    db.session.refresh(user)
    assert user.password_reminder_days == 3

    clock.move_to(days_before_expiry(1))
    assert send_password_reminders() == 0
    clock.move_to(days_before_expiry(-1))  # expired: the login asks for a new password instead
    assert send_password_reminders() == 0

    mails = outbox(db)
    assert [m.recipient for m in mails] == [user.email, user.email]
    assert "in 13 days" in mails[0].body_text
    assert "in 2 days" in mails[1].body_text


def test_a_user_first_seen_two_days_before_gets_only_the_three_day_reminder(app, db, factory, clock):
    user = factory.user()
    factory.commit()
    clock.move_to(days_before_expiry(2))
    assert send_password_reminders() == 1
    assert send_password_reminders() == 0
    db.session.refresh(user)
    assert user.password_reminder_days == 3
    [mail] = outbox(db)
    assert "in 2 days" in mail.body_text


def test_any_descending_thresholds(app, db, factory, clock):
    app.config["PASSWORD_REMINDER_DAYS"] = (30, 7, 1)
    factory.user()
    factory.commit()
    sent = []
    for day in range(40, -2, -1):
        clock.move_to(days_before_expiry(day))
        sent.append((day, send_password_reminders()))
    assert [day for day, n in sent if n] == [30, 7, 1]
    assert sum(n for _, n in sent) == 3


def test_no_reminder_for_expired_temporary_blocked_or_deactivated(app, db, factory, clock):
    now = days_before_expiry(2)
    active = factory.authority()
    wanted = factory.user(active)
    factory.user(active, temporary=True)
    factory.user(active, password_blocked_at=T0)
    factory.user(factory.authority(status=AuthorityStatus.DEACTIVATED))
    factory.user(factory.authority(status=AuthorityStatus.AWAITING_VALIDATION))
    expired = factory.user(active)
    expired.password_set_at = T0 - timedelta(days=3)  # expired a day before `now`
    exactly = factory.user(active)
    exactly.password_set_at = now - timedelta(days=MAX_AGE)  # expires at `now`: expired
    factory.commit()

    clock.move_to(now)
    assert send_password_reminders() == 1
    assert [m.recipient for m in outbox(db)] == [wanted.email]


def test_a_temporary_password_issued_after_a_reminder_gets_none(app, db, factory, clock):
    user = factory.user()
    factory.commit()
    clock.move_to(days_before_expiry(13))
    assert send_password_reminders() == 1
    issue_temporary_password(user, actor=None, reason="reset", send_mail=False)
    db.session.commit()
    assert user.password_reminder_days is None
    clock.move_to(days_before_expiry(2, set_at=user.password_set_at))
    assert send_password_reminders() == 0


def test_no_reminder_for_a_deleted_user(app, db, factory, clock):
    user = factory.user()
    factory.commit()
    db.session.delete(user)
    db.session.commit()
    for day in (13, 2):
        clock.move_to(days_before_expiry(day))
        assert send_password_reminders() == 0
    assert outbox(db) == []


def test_reminders_start_again_after_a_password_change(app, db, factory, clock):
    user = factory.user()
    factory.commit()
    clock.move_to(days_before_expiry(13))
    assert send_password_reminders() == 1
    clock.move_to(days_before_expiry(2))
    assert send_password_reminders() == 1

    assert change_password(user, Factory.PASSWORD, "Brand-New-Password-7") == {}
    db.session.commit()
    changed_at = utcnow()
    assert user.password_reminder_days is None
    assert send_password_reminders() == 0  # the new password is far from expiry

    clock.move_to(days_before_expiry(13, set_at=changed_at))
    assert send_password_reminders() == 1
    clock.move_to(days_before_expiry(2, set_at=changed_at))
    assert send_password_reminders() == 1
    assert send_password_reminders() == 0
    assert len(outbox(db)) == 4


@pytest.mark.parametrize(
    "language,subject,days_phrase,date_phrase",
    [
        ("lv", "IMI: jūsu paroles derīguma termiņš drīz beigsies", "beigsies pēc 13 dienām",
         "Parole derīga līdz: 2025. gada 11. jūlijs"),
        ("en", "IMI: your password expires soon", "expires in 13 days", "Valid until: 11 July 2025"),
    ],
)
def test_mail_reaches_smtp_in_the_users_language(
    app, db, factory, smtp_server, clock, language, subject, days_phrase, date_phrase
):
    user = factory.user(language=language, first_name="Līga", email="liga.ozolina@example.lv")
    factory.commit()
    clock.move_to(days_before_expiry(13))
    assert send_password_reminders() == 1
    assert smtp_server.messages == []  # queued in the outbox, delivered afterwards
    assert deliver_pending() == {"sent": 1, "failed": 0}
    [mail] = smtp_server.messages
    assert mail["to"] == ["liga.ozolina@example.lv"]
    assert mail["subject"] == subject
    assert "Līga" in mail["body"]
    assert days_phrase in mail["body"]
    assert date_phrase in mail["body"]
    assert "https://imi.example.test/account/password" in mail["body"]
    # Never the username, in the body or any header.
    assert user.username not in mail["message"].as_string()


@pytest.mark.parametrize(
    "days,lv,en",
    [
        (13, "pēc 13 dienām", "in 13 days"),
        (11, "pēc 11 dienām", "in 11 days"),
        (1, "pēc 1 dienas", "in 1 day."),
        (0.1, "beidzas šodien", "expires today"),
    ],
)
def test_days_left_wording(app, db, factory, clock, days, lv, en):
    factory.user(language="lv", email="lv@example.lv")
    factory.user(language="en", email="en@example.lv")
    factory.commit()
    clock.move_to(days_before_expiry(days))
    assert send_password_reminders() == 2
    [lv_mail] = outbox(db, "lv@example.lv")
    [en_mail] = outbox(db, "en@example.lv")
    assert lv in lv_mail.body_text
    assert en in en_mail.body_text


def test_run_jobs_command_reports_and_delivers(app, db, factory, smtp_server, clock):
    factory.user(email="ilze@example.lv")
    factory.commit()
    clock.move_to(days_before_expiry(13))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["imi", "run-jobs"])
    assert first.exit_code == 0, first.output
    assert "password-reminders: 1 reminder queued" in first.output
    second = runner.invoke(args=["imi", "run-jobs"])
    assert second.exit_code == 0, second.output
    assert "password-reminders: 0 reminders queued" in second.output
    # The reminder queued by the first run went out with the next delivery, once.
    assert [m["to"] for m in smtp_server.messages] == [["ilze@example.lv"]]


def test_two_claims_of_the_same_reminder_send_one_mail(app, db, factory, clock):
    user = factory.user()
    factory.commit()
    now = days_before_expiry(13)
    clock.move_to(now)
    set_at = user.password_set_at
    assert reminders._claim(user.id, 14, set_at) is True
    assert reminders._claim(user.id, 14, set_at) is False
    db.session.rollback()
    # Two servers with the same clock: the second finds the reminder taken.
    assert send_password_reminders(now) == 1
    assert send_password_reminders(now) == 0
    assert len(outbox(db)) == 1


def test_concurrent_servers_send_each_reminder_once(app, db, factory, clock, monkeypatch):
    """Server A reads its candidates; server B sends the reminder meanwhile; A's claim fails."""
    user = factory.user()
    factory.commit()
    now = days_before_expiry(13)
    clock.move_to(now)
    read_candidates = reminders._candidates
    other_server = []

    def interleaved(*args):
        rows = read_candidates(*args)
        if rows and not other_server:
            other_server.append(None)  # B's own reading must not start a third server
            with app.app_context():  # another session and connection, like another server
                other_server[0] = send_password_reminders(now)
        return rows

    monkeypatch.setattr(reminders, "_candidates", interleaved)
    assert send_password_reminders(now) == 0
    assert other_server == [1]
    assert [m.recipient for m in outbox(db)] == [user.email]


def test_a_password_changed_while_the_job_runs_gets_no_stale_reminder(app, db, factory, clock, monkeypatch):
    user = factory.user()
    factory.commit()
    now = days_before_expiry(2)
    clock.move_to(now)
    read_candidates = reminders._candidates
    changed = []

    def interleaved(*args):
        rows = read_candidates(*args)
        if rows and not changed:
            with app.app_context():
                from imi_web.extensions import db as other_db
                from imi_web.models import User

                other = other_db.session.get(User, user.id)
                assert change_password(other, Factory.PASSWORD, "Brand-New-Password-7") == {}
                other_db.session.commit()
                changed.append(True)
        return rows

    monkeypatch.setattr(reminders, "_candidates", interleaved)
    assert send_password_reminders(now) == 0
    assert outbox(db) == []
    db.session.refresh(user)
    assert user.password_reminder_days is None


def test_batches_cover_every_user_once(app, db, factory, clock, monkeypatch):
    monkeypatch.setattr(reminders, "BATCH_SIZE", 2)
    authority = factory.authority()
    users = [factory.user(authority) for _ in range(3)]  # the same password_set_at: ties
    clock.move_to(T0 + timedelta(hours=1))
    users += [factory.user(authority) for _ in range(2)]
    factory.commit()
    clock.move_to(days_before_expiry(2, set_at=T0 + timedelta(hours=1)))
    assert send_password_reminders() == 5
    assert send_password_reminders() == 0
    assert sorted(m.recipient for m in outbox(db)) == sorted(u.email for u in users)


def test_the_candidate_query_uses_the_password_set_at_index(app, db, backend):
    now = utcnow()
    threshold, set_after, set_until = reminders._windows(now)[0]
    query = reminders._candidates_query(threshold, set_after, set_until, (now, 1))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if backend == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # an empty table is no test
        plan = "\n".join(db.session.scalars(sa.text("EXPLAIN " + sql)))
    else:
        plan = "\n".join(row[-1] for row in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    db.session.rollback()
    assert "ix_user_account_password_set_at" in plan, plan
