"""The mail outbox (R-6.2).

``queue_mail`` renders a mail in the recipient's language and adds it to the current
transaction: if the change rolls back, so does the mail. After commit a deliverer sends it
through Flask-Mail: the per-process background thread of a web server (woken by the commit),
or, in the ``flask imi …`` commands, the command's own thread before it exits. A failed
delivery stays pending with exponential back-off.

Exactly once where we can: each message is claimed with a conditional UPDATE before sending,
so concurrent deliverers never send the same message twice. A deliverer that is stopped
finishes the message in hand (send, then record) and claims no other: the web server's thread
is waited for at exit, a command's first SIGTERM lets it finish, a second one (or Ctrl+C)
releases the claim. Only a deliverer killed outright between sending and recording leaves a
claim behind; when it runs out the mail goes again, with the same ``Message-ID`` (fixed at
queueing), so the copy is recognisable.
"""

import atexit
import logging
import secrets
import signal
import smtplib
import sys
import threading
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_mail import Message

from ..extensions import db, mail
from ..models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600


def mail_user(user, template: str, **values) -> OutboxMessage:
    """A mail to ``user`` in their language, greeting them by their first name."""
    return queue_mail(user.email, template, user.language, first_name=user.first_name, **values)


def queue_mail(recipient: str, template: str, language: str, **context) -> OutboxMessage:
    """Render ``templates/email/<language>/<template>.txt`` and put it in the outbox.

    The template sets ``subject`` with ``{% set subject %}…{% endset %}``; the rest is the body.
    Templates must never be given a username (R-2.1.2).
    """
    if "username" in context:
        raise ValueError("a mail must never contain a username")
    language = language if language in current_app.config["LANGUAGES"] else "lv"
    with force_locale(language):
        module = current_app.jinja_env.get_template(f"email/{language}/{template}.txt").make_module(
            {**_template_globals(), **context}
        )
        subject = str(getattr(module, "subject", "")).strip()
        body = str(module).strip() + "\n"
    message = OutboxMessage(
        recipient=recipient,
        language=language,
        template=template,
        subject=subject,
        body_text=body,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.info["outbox_queued"] = True
    return message


def _template_globals() -> dict:
    # render_template would push a request context's globals; mails need only these.
    return {"base_url": current_app.config["BASE_URL"].rstrip("/")}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def _due(now):
    """A message to deliver now: pending and due, or claimed by a deliverer that died mid-send
    (its claim ran out)."""
    return sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
    )


def _due_ids(limit: int) -> list[int]:
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def _claim(message_id: int) -> str | None:
    now = utcnow()
    token = secrets.token_hex(16)
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            _due(now),
        )
        .values(
            status=OutboxStatus.SENDING,
            claim_token=token,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def _send(message: OutboxMessage) -> None:
    if not current_app.config.get("MAIL_SERVER"):
        # No SMTP configured (demo runs): the operator reads the mail on the console.
        print(
            f"\n----- mail to {message.recipient} -----\n"
            f"Subject: {message.subject}\n\n{message.body_text}"
            f"----- end of mail -----\n",
            file=sys.stdout,
            flush=True,
        )
        return
    outgoing = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
    )
    outgoing.msgId = message.message_id
    mail.send(outgoing)


def _release(message_id: int, token: str) -> None:
    """Give a claimed message back, due now, without counting an attempt."""
    db.session.rollback()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
        .values(status=OutboxStatus.PENDING, next_attempt_at=utcnow(), claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# Whether this thread holds a claim (between claiming a message and recording the outcome);
# the command's SIGTERM handler reads it for the main thread.
_holding = threading.local()


@contextmanager
def _holding_claim():
    _holding.claim = True
    try:
        yield
    finally:
        _holding.claim = False


def deliver_pending(limit: int = 100, stop: threading.Event | None = None) -> dict:
    """Deliver the messages that are due; return counts of ``sent`` and ``failed`` attempts.

    Once ``stop`` (by default: this process's deliverer is stopping) is set, the message in
    hand is finished and no other is claimed.
    """
    if stop is None:
        stop = current_app.extensions["imi_outbox"].stopping
    counts = {"sent": 0, "failed": 0}
    for message_id in _due_ids(limit):
        if stop.is_set():
            break
        with _holding_claim():
            _deliver_one(message_id, counts)
    return counts


def _deliver_one(message_id: int, counts: dict) -> None:
    token = _claim(message_id)
    if token is None:
        return  # another deliverer has it
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    try:
        _send(message)
    except Exception as exc:  # SMTP errors, refused connections, timeouts …
        attempts = message.attempts + 1
        # Only a server's permanent refusal of the address ends the retries; an outage
        # never does. Back-off is capped, so mail flows soon after it ends.
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
            .values(
                status=OutboxStatus.FAILED if permanent else OutboxStatus.PENDING,
                attempts=attempts,
                next_attempt_at=utcnow() + backoff(attempts),
                claim_token=None,
                claimed_until=None,
                # The error's class and text only: never the message body.
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        counts["failed"] += 1
        log.warning("mail %s not delivered (attempt %s): %s", message_id, attempts, type(exc).__name__)
        return
    except BaseException:
        # Interrupted (a second SIGTERM, Ctrl+C): whether the server took the mail is unknown;
        # give it back at once rather than after the claim runs out (same Message-ID if resent).
        _release(message_id, token)
        raise
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
        .values(
            status=OutboxStatus.SENT,
            attempts=OutboxMessage.attempts + 1,
            sent_at=utcnow(),
            claim_token=None,
            claimed_until=None,
            last_error="",
            # Bodies may hold a temporary password: keep no copy once it is sent.
            body_text="",
            body_html=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    counts["sent"] += 1


class DeliveryThread:
    """The deliverer of one app process.

    In a web server: a background thread, woken after a commit that queued mail, and waited
    for at exit (a worker's graceful stop), so that it finishes the message in hand.
    In a ``flask imi`` command (``foreground()``): no thread; the command delivers what it
    queued in its own thread before it exits.
    """

    def __init__(self, app):
        self.app = app
        self.event = threading.Event()
        self.stopping = threading.Event()
        self.thread = None
        self.lock = threading.Lock()
        self.in_foreground = False
        self.queued = False
        self.previous_sigterm = None

    def wake(self):
        if self.in_foreground:
            self.queued = True
            return
        with self.lock:
            if self.stopping.is_set():
                return
            if self.thread is None or not self.thread.is_alive():
                if self.thread is None:
                    atexit.register(self.stop)
                self.thread = threading.Thread(target=self._run, name="imi-outbox", daemon=True)
                self.thread.start()
        self.event.set()

    def _run(self):
        while not self.stopping.is_set():
            self.event.wait(timeout=60)
            self.event.clear()
            if self.stopping.is_set():
                break
            try:
                with self.app.app_context():
                    deliver_pending(stop=self.stopping)
            except Exception:  # keep the thread alive; the next wake or minute retries
                log.exception("outbox delivery failed")

    def stop(self, timeout: float | None = None):
        """Let the thread finish the message in hand and end (called at exit)."""
        if timeout is None:
            timeout = float(self.app.config.get("MAIL_TIMEOUT") or 10) + 5
        with self.lock:
            self.stopping.set()
            self.event.set()
            thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def foreground(self):
        """For a command: deliver in the calling thread; SIGTERM lets the message in hand finish."""
        self.in_foreground = True
        if threading.current_thread() is threading.main_thread():
            self.previous_sigterm = signal.signal(signal.SIGTERM, self._terminate)

    def _terminate(self, signum, frame):
        if getattr(_holding, "claim", False) and not self.stopping.is_set():
            self.stopping.set()  # finish this message (send, record), claim no other
            return
        raise SystemExit(128 + signum)

    def finish_foreground(self):
        """At the end of a command: deliver what it queued, unless it was asked to stop."""
        try:
            if self.queued and not self.stopping.is_set():
                self.queued = False
                deliver_pending(limit=1000)
        finally:
            self.in_foreground = False
            if self.previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self.previous_sigterm)
                self.previous_sigterm = None


def init_app(app):
    app.extensions["imi_outbox"] = DeliveryThread(app)


@sa.event.listens_for(db.session, "after_commit")
def _wake_deliverer(session):
    if session.info.pop("outbox_queued", False) and current_app.config["MAIL_DELIVERY_THREAD"]:
        current_app.extensions["imi_outbox"].wake()


@sa.event.listens_for(db.session, "after_soft_rollback")
def _forget_queued(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop("outbox_queued", None)
