"""Invitations, the history (audit trail) and the mail outbox."""

from datetime import datetime
from email.utils import make_msgid
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import InvitationStatus, OutboxStatus, UTCDateTime, enum_column, utcnow
from .authorities import Authority, Country


class Invitation(db.Model):
    """An invitation to self-register (R-2.2). Only a hash of the link's token is stored."""

    __tablename__ = "invitation"
    __table_args__ = (sa.Index("ix_invitation_inviter_status", "inviting_authority_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("country.id"))
    inviting_authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id", ondelete="CASCADE"))
    invited_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    suggested_name: Mapped[str] = mapped_column(sa.String(300), default="")
    language: Mapped[str] = mapped_column(sa.String(2), default="lv")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus), default=InvitationStatus.SENT
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The authority that registered through this invitation.
    authority_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authority.id", ondelete="SET NULL"), unique=True
    )
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="")

    country: Mapped[Country] = relationship()
    inviting_authority: Mapped[Authority] = relationship(foreign_keys=[inviting_authority_id])
    authority: Mapped[Authority | None] = relationship(foreign_keys=[authority_id])


class HistoryEntry(db.Model):
    """One recorded change (R-3.5): who, when, what, old → new.

    ``changes`` maps a field name to ``[old, new]``. Secrets never go in: a password
    change is recorded by its action alone. Names are kept as snapshots, so the record
    stays readable after the actor or the subject is deleted (R-5.3).
    """

    __tablename__ = "history_entry"
    __table_args__ = (
        sa.Index("ix_history_entry_authority_created", "authority_id", "created_at"),
        # A user's own entries, e.g. to drop contact data when the user is deleted.
        sa.Index("ix_history_entry_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(sa.String(210), default="")
    actor_authority_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authority.id", ondelete="SET NULL")
    )
    # The authority the change concerns; kept (as NULL) when that authority is purged.
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authority.id", ondelete="SET NULL"))
    authority_name: Mapped[str] = mapped_column(sa.String(300), default="")
    action: Mapped[str] = mapped_column(sa.String(60))
    subject_type: Mapped[str] = mapped_column(sa.String(40), default="")
    subject_id: Mapped[int | None] = mapped_column()
    subject_label: Mapped[str] = mapped_column(sa.String(300), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)


def new_message_id() -> str:
    """A unique ``Message-ID`` in this installation's domain (taken from ``BASE_URL``)."""
    return make_msgid("imi", domain=urlsplit(current_app.config["BASE_URL"]).hostname or "imi.invalid")


class OutboxMessage(db.Model):
    """A mail waiting to be delivered (R-6.2), written in the transaction that causes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(2))
    template: Mapped[str] = mapped_column(sa.String(60))
    subject: Mapped[str] = mapped_column(sa.String(300))
    # Cleared once sent: bodies may hold a temporary password.
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Message-ID header, fixed when the mail is queued: a copy sent again after a deliverer
    # died between sending and recording it carries the same one, so it is recognisable.
    message_id: Mapped[str] = mapped_column(sa.String(250), default=lambda: new_message_id())


class JobLock(db.Model):
    """A named lease, so a scheduled job runs on one server at a time (R-5.3)."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(64), default="")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
