"""R-6.2: mail goes through the outbox and a real SMTP server; an outage delays, never loses."""

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.extensions import db as _db
from imi_web.outbox import backoff, deliver_pending, queue_mail
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
