"""R-6.2: mail goes through the outbox and a real SMTP server; an outage delays, never loses."""

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.extensions import db as _db
from imi_web.outbox import backoff, deliver_pending, mail_user, queue_mail
from imi_web.models import OutboxMessage, OutboxStatus, User, utcnow
from imi_web.users.operations import register_user
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def register(factory, language):
    authority = factory.authority(name="Valsts ieņēmumu dienests")
    user, password = register_user(
        authority,
        actor=None,
        first_name="Līga",
        surname="Ozoliņa",
        email="liga.ozolina@example.lv",
        language=language,
    )
    _db.session.commit()
    return user, password


@pytest.mark.parametrize("language,subject,phrase", [
    ("lv", "IMI: jūsu pagaidu parole", "Jūsu pagaidu parole: "),
    ("en", "IMI: your temporary password", "Your temporary password: "),
])
def test_temporary_password_mail_reaches_smtp_in_users_language(factory, smtp_server, language, subject, phrase):
    user, password = register(factory, language)
    assert smtp_server.messages == []  # nothing is sent inside the transaction
    assert deliver_pending() == {"sent": 1, "failed": 0}
    [mail] = smtp_server.messages
    assert mail["to"] == ["liga.ozolina@example.lv"]
    assert mail["subject"] == subject
    assert phrase + password in mail["body"]
    # Never the username, in the body or any header.
    assert user.username not in mail["message"].as_string()
    # Once sent, the stored copy no longer holds the password.
    message = _db.session.scalar(sa.select(OutboxMessage))
    _db.session.refresh(message)
    assert message.status == OutboxStatus.SENT and password not in message.body_text


def test_outage_keeps_the_change_and_the_mail_then_delivers_exactly_once(factory, smtp_server):
    smtp_server.stop()
    user, password = register(factory, "en")
    # The change committed although no SMTP server answers.
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert deliver_pending() == {"sent": 0, "failed": 1}
    message = _db.session.scalar(sa.select(OutboxMessage))
    _db.session.refresh(message)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at > utcnow()  # backing off
    assert password not in message.last_error
    # Not yet due: a second run does not hammer the server.
    assert deliver_pending() == {"sent": 0, "failed": 0}
    smtp_server.start()
    with time_machine.travel(utcnow() + backoff(1), tick=True):
        assert deliver_pending() == {"sent": 1, "failed": 0}
        assert deliver_pending() == {"sent": 0, "failed": 0}
    assert len(smtp_server.messages) == 1
    assert password in smtp_server.messages[0]["body"]


def test_rolled_back_change_sends_nothing(app, smtp_server):
    queue_mail("someone@example.lv", "temporary_password", "en", first_name="X", temporary_password="Secret-123", reason="registered")
    _db.session.rollback()
    assert deliver_pending() == {"sent": 0, "failed": 0}
    assert smtp_server.messages == []


def test_a_claimed_message_is_not_sent_twice(app, smtp_server):
    from imi_web import outbox

    queue_mail("someone@example.lv", "temporary_password", "en", first_name="X", temporary_password="Secret-123", reason="registered")
    _db.session.commit()
    message_id = _db.session.scalar(sa.select(OutboxMessage.id))
    assert outbox._claim(message_id) is not None
    assert outbox._claim(message_id) is None  # a second deliverer finds it taken
    assert deliver_pending() == {"sent": 0, "failed": 0}


def test_a_mail_template_never_gets_a_username(app):
    with pytest.raises(ValueError):
        queue_mail("x@example.lv", "temporary_password", "en", username="jberzins")


def test_background_thread_delivers_after_commit(app, factory, smtp_server):
    import time

    app.config["MAIL_DELIVERY_THREAD"] = True
    register(factory, "lv")
    deadline = time.time() + 10
    while not smtp_server.messages and time.time() < deadline:
        time.sleep(0.05)
    assert len(smtp_server.messages) == 1
    # Stopped as at exit: else it wakes each minute and takes later tests' mail to this server.
    app.extensions["imi_outbox"].stop()
    assert not app.extensions["imi_outbox"].thread.is_alive()


def test_deliver_mail_command(app, factory, smtp_server):
    register(factory, "en")
    result = app.test_cli_runner().invoke(args=["imi", "deliver-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 sent, 0 failed"
    assert len(smtp_server.messages) == 1


def test_a_permanently_refused_address_is_marked_failed_not_retried(app, smtp_server):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 no such mailbox"

    smtp_server.stop()
    smtp_server.recorder.handle_RCPT = Refusing().handle_RCPT
    smtp_server.start()
    queue_mail("gone@example.lv", "temporary_password", "en", first_name="X", temporary_password="Secret-123", reason="registered")
    _db.session.commit()
    assert deliver_pending() == {"sent": 0, "failed": 1}
    message = _db.session.scalar(sa.select(OutboxMessage))
    _db.session.refresh(message)
    assert message.status == OutboxStatus.FAILED and "550" in message.last_error


def test_an_outage_backs_off_from_30_seconds_doubling_up_to_6_hours(app, smtp_server):
    """The retry schedule of a failing delivery (R-6.2): due again 30 s after the first failed
    attempt, then twice as long after each failure, never more than 6 hours apart (so mail
    flows soon after a long outage ends). Found by mutation testing (docs/mutation.md)."""
    smtp_server.stop()
    queue_mail("someone@example.lv", "temporary_password", "en", first_name="X", temporary_password="Secret-123",
               reason="registered")
    _db.session.commit()
    delays = []
    moment = utcnow()
    for _ in range(12):
        with time_machine.travel(moment, tick=False):
            assert deliver_pending() == {"sent": 0, "failed": 1}
            message = _db.session.scalar(sa.select(OutboxMessage))
            _db.session.refresh(message)
            delays.append(round((message.next_attempt_at - moment).total_seconds()))
            assert deliver_pending() == {"sent": 0, "failed": 0}  # not due before that
        moment = message.next_attempt_at
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]
    assert message.attempts == 12 and message.status == OutboxStatus.PENDING  # an outage never ends the retries


def test_an_interrupted_send_gives_the_message_back_at_once(app, smtp_server, monkeypatch):
    """Ctrl+C or a second SIGTERM while the server takes the mail: whether it took it is unknown,
    so the claim is given back at once (due now, no attempt counted), not left to run out, and
    the next delivery sends it. Found by mutation testing (docs/mutation.md)."""
    from imi_web import outbox

    queue_mail("someone@example.lv", "temporary_password", "en", first_name="X", temporary_password="Secret-123",
               reason="registered")
    _db.session.commit()

    def interrupted(message):
        raise KeyboardInterrupt

    monkeypatch.setattr(outbox.mail, "send", interrupted)
    with pytest.raises(KeyboardInterrupt):
        deliver_pending()
    monkeypatch.undo()
    _db.session.rollback()
    message = _db.session.scalar(sa.select(OutboxMessage))
    assert message.status == OutboxStatus.PENDING and message.attempts == 0
    assert message.claim_token is None and message.claimed_until is None
    assert message.next_attempt_at <= utcnow()
    assert deliver_pending() == {"sent": 1, "failed": 0}  # now, not after the claim's time
    assert [m["to"] for m in smtp_server.messages] == [["someone@example.lv"]]


def test_a_web_process_has_one_daemon_delivery_thread_that_wakes_each_minute(app, smtp_server):
    """However many commits queue mail, a process has one delivery thread; it is a daemon
    thread (a non-daemon one would keep the process from exiting: the stop at exit runs only
    after Python waited for every non-daemon thread), and besides being woken it looks at the
    outbox at least once a minute, which retries backed-off mail when nothing new is queued.
    Found by mutation testing (docs/mutation.md)."""
    import threading
    import time

    app.config["MAIL_DELIVERY_THREAD"] = True
    deliverer = app.extensions["imi_outbox"]
    waits = []

    class RecordingEvent(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            return super().wait(timeout)

    deliverer.event = RecordingEvent()
    try:
        threads = []
        for n in range(2):
            queue_mail(f"r{n}@example.lv", "temporary_password", "en", first_name="X",
                       temporary_password="Secret-123", reason="registered")
            _db.session.commit()  # wakes the deliverer
            deadline = time.time() + 10
            while len(smtp_server.messages) <= n and time.time() < deadline:
                time.sleep(0.05)
            threads.append(deliverer.thread)
        assert len(smtp_server.messages) == 2
        assert threads[0] is threads[1] and threads[0].is_alive()
        assert threads[0].daemon and threads[0].name == "imi-outbox"  # the name thread dumps and logs show
        assert waits and all(timeout is not None and timeout <= 60 for timeout in waits)
    finally:
        deliverer.stop()  # as at exit: else it takes later tests' mail
    assert not deliverer.thread.is_alive()


def test_without_an_smtp_server_the_mail_is_printed_on_the_console(
    app, smtp_server, capsys
):
    """Demo runs (no MAIL_SERVER): the operator reads each mail, temporary password included,
    on the console. Found by mutation testing (docs/mutation.md)."""
    app.config["MAIL_SERVER"] = None
    queue_mail(
        "someone@example.lv",
        "temporary_password",
        "en",
        first_name="X",
        temporary_password="Secret-123",
        reason="registered",
    )
    _db.session.commit()
    assert deliver_pending() == {"sent": 1, "failed": 0}
    console = capsys.readouterr().out
    assert "mail to someone@example.lv" in console
    assert "Subject: IMI: your temporary password" in console
    assert "Secret-123" in console
    assert smtp_server.messages == []


def test_every_failed_attempt_is_counted(app, smtp_server):
    """``deliver-mail`` reports how many attempts failed. Found by mutation testing
    (docs/mutation.md)."""
    smtp_server.stop()
    for n in range(2):
        queue_mail(
            f"r{n}@example.lv",
            "password_expiry",
            "en",
            first_name="X",
            days_left=3,
            expires_on="x",
        )
    _db.session.commit()
    assert deliver_pending() == {"sent": 0, "failed": 2}


def test_a_mail_in_a_language_the_site_does_not_offer_goes_in_latvian(app):
    """Found by mutation testing (docs/mutation.md)."""
    message = queue_mail(
        "x@example.lv",
        "password_expiry",
        "de",
        first_name="X",
        days_left=3,
        expires_on="x",
    )
    assert message.language == "lv" and "parole" in message.subject
    # The body ends with one line break.
    assert message.body_text == message.body_text.strip() + "\n"


def test_a_mail_to_a_user_greets_them_by_their_first_name(app, factory):
    """Found by mutation testing (docs/mutation.md)."""
    user = factory.user(first_name="Līga", language="en")
    message = mail_user(user, "password_expiry", days_left=3, expires_on="x")
    assert message.recipient == user.email and message.language == "en"
    assert message.body_text.startswith("Hello Līga,")
