"""Mail exactly once where we can (issue 15 point 4, issue 21 point 2).

A deliverer that dies holding a claim does not lose the mail: once the claim runs out the next
delivery sends it once. One that dies after sending but before recording it sends it again at
most once, with the same Message-ID. The commands deliver in their own thread (nothing is left
claimed when ``run-jobs`` exits), a SIGTERM lets the message in hand finish, and a web
server's delivery thread is waited for at exit.
"""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.extensions import db as _db
from imi_web import outbox
from imi_web.outbox import CLAIM_SECONDS, deliver_pending, queue_mail
from imi_web.models import OutboxMessage, OutboxStatus, utcnow
from tests.conftest import BACKENDS, TEST_CONFIG
from tests.fixtures.smtp import Recorder, SMTPServer

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def queue(recipient="someone@example.lv"):
    message = queue_mail(recipient, "temporary_password", "en", first_name="X", temporary_password="Secret-123",
                         reason="registered")
    _db.session.commit()
    return message.id


def statuses():
    _db.session.rollback()
    return dict(_db.session.execute(sa.select(OutboxMessage.recipient, OutboxMessage.status)).all())


def after_the_claim():
    return time_machine.travel(utcnow() + timedelta(seconds=CLAIM_SECONDS + 1), tick=True)


def test_a_deliverer_that_dies_holding_a_claim_loses_nothing(app, smtp_server):
    message_id = queue()
    assert outbox._claim(message_id) is not None  # ... and the deliverer dies: no send, no release
    assert deliver_pending() == {"sent": 0, "failed": 0}  # the claim still holds
    assert smtp_server.messages == []
    with after_the_claim():
        assert deliver_pending() == {"sent": 1, "failed": 0}
        assert deliver_pending() == {"sent": 0, "failed": 0}
    assert [m["to"] for m in smtp_server.messages] == [["someone@example.lv"]]
    assert statuses() == {"someone@example.lv": OutboxStatus.SENT}


def test_a_deliverer_that_dies_after_sending_sends_again_at_most_once_with_the_same_message_id(app, smtp_server):
    message_id = queue()
    assert outbox._claim(message_id) is not None
    outbox._send(_db.session.get(OutboxMessage, message_id))  # ... and dies before recording it
    stored_id = _db.session.get(OutboxMessage, message_id).message_id
    with after_the_claim():
        assert deliver_pending() == {"sent": 1, "failed": 0}
        assert deliver_pending() == {"sent": 0, "failed": 0}
    with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
        assert deliver_pending() == {"sent": 0, "failed": 0}
    assert len(smtp_server.messages) == 2
    assert {m["message"]["Message-ID"] for m in smtp_server.messages} == {stored_id}
    assert stored_id.startswith("<") and stored_id.endswith("@imi.example.test>")


def test_every_message_has_its_own_message_id(app, smtp_server):
    for n in range(3):
        queue(f"r{n}@example.lv")
    assert deliver_pending() == {"sent": 3, "failed": 0}
    ids = [m["message"]["Message-ID"] for m in smtp_server.messages]
    assert len(set(ids)) == 3
    assert set(ids) == set(_db.session.scalars(sa.select(OutboxMessage.message_id)))


class SlowRecorder(Recorder):
    """Takes a while to accept each message, so that a deliverer is caught mid-send."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.started = 0

    async def handle_DATA(self, server, session, envelope):
        self.started += 1
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp():
    server = SMTPServer()
    server.recorder = SlowRecorder(0.3)
    server.start()
    yield server
    server.stop()


def command_env(database_url, smtp):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMI_")}
    env.update({
        "PYTHONPATH": str(ROOT),  # this checkout's imi_web, whatever is installed
        "IMI_SQLALCHEMY_DATABASE_URI": database_url,
        "IMI_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "IMI_BASE_URL": TEST_CONFIG["BASE_URL"],
        "IMI_PASSWORD_HASH_PROFILE": "CHEAPEST",
        "IMI_MAIL_SERVER": "127.0.0.1",
        "IMI_MAIL_PORT": str(smtp.port),
        "IMI_MAIL_TIMEOUT": "5",
        # As in production: web processes deliver from a background thread.
        "IMI_MAIL_DELIVERY_THREAD": "true",
    })
    return env


def test_run_jobs_leaves_nothing_claimed_and_each_recipient_gets_one_copy(app, factory, slow_smtp, database_url):
    # Mail that a job queues (password reminders) and mail queued before.
    max_age = app.config["PASSWORD_MAX_AGE_DAYS"]
    for n in range(4):
        user = factory.user(email=f"reminded{n}@example.lv")
        user.password_set_at = utcnow() - timedelta(days=max_age - 10)
    _db.session.commit()
    for n in range(3):
        queue(f"queued{n}@example.lv")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "imi", "run-jobs"],
        cwd=ROOT, env=command_env(database_url, slow_smtp), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    recipients = sorted(r for m in slow_smtp.messages for r in m["to"])
    expected = sorted([f"reminded{n}@example.lv" for n in range(4)] + [f"queued{n}@example.lv" for n in range(3)])
    assert recipients == expected  # each exactly once
    assert set(statuses().values()) == {OutboxStatus.SENT}  # none left claimed ("sending")


def test_sigterm_lets_the_command_finish_the_message_in_hand(app, smtp_server, slow_smtp, database_url):
    for n in range(5):
        queue(f"r{n}@example.lv")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "imi", "deliver-mail"],
        cwd=ROOT, env=command_env(database_url, slow_smtp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 30
    while slow_smtp.recorder.started < 2 and time.time() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)  # while the server is taking the second message
    out, err = process.communicate(timeout=60)
    sent = [r for m in slow_smtp.messages for r in m["to"]]
    assert sent == ["r0@example.lv", "r1@example.lv"], err
    # It reports what it did and ends normally. Found by mutation testing (docs/mutation.md).
    assert process.returncode == 0 and out.strip() == "2 sent, 0 failed", err
    final = statuses()
    assert OutboxStatus.SENDING not in final.values(), err
    assert [r for r, s in sorted(final.items()) if s == OutboxStatus.SENT] == sent
    # The rest is delivered by the next run (here to the other server), once each.
    assert deliver_pending() == {"sent": 3, "failed": 0}
    assert sorted(r for m in smtp_server.messages for r in m["to"]) == [f"r{n}@example.lv" for n in range(2, 5)]


def test_a_web_servers_delivery_thread_finishes_its_message_at_exit(app, slow_smtp, database_url, tmp_path):
    # A worker that exits (graceful restart) right after a request queued mail.
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent("""
        import sys
        import time
        from imi_web import create_app
        from imi_web.extensions import db
        from imi_web.outbox import queue_mail

        app = create_app()
        with app.app_context():
            queue_mail("worker@example.lv", "temporary_password", "en", first_name="X",
                       temporary_password="Secret-123", reason="registered")
            db.session.commit()  # wakes the delivery thread
        time.sleep(0.15)  # it is sending now (the server takes 0.3 s)
        sys.exit(0)
    """))
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=command_env(database_url, slow_smtp),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert statuses() == {"worker@example.lv": OutboxStatus.SENT}
    assert [m["to"] for m in slow_smtp.messages] == [["worker@example.lv"]]
