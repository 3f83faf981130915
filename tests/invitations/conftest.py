"""Fixtures of the invitations area: the authorities' world, invitations made straight in the
database (with a known token), and the self-registration form's data."""

from datetime import timedelta

import pytest

from imi_web.invitations.operations import new_token
from imi_web.models import Invitation, InvitationStatus, utcnow
from tests.authorities.conftest import login, world  # noqa: F401


@pytest.fixture
def invite(db, world):
    """``invite(**kw)`` → (invitation, token) from the NIMIC of LV, committed."""

    def _invite(authority=None, admin=None, *, expires_in=timedelta(days=30), **kw):
        authority = authority or world.nimic
        admin = admin or world.nimic_admin
        token, token_hash = new_token()
        kw.setdefault("email", "kontakti@jaunaiestade.lv.example")
        kw.setdefault("suggested_name", "Jaunā iestāde")
        kw.setdefault("language", "en")
        invitation = Invitation(
            country_id=authority.country_id,
            inviting_authority_id=authority.id,
            invited_by_user_id=admin.id,
            token_hash=token_hash,
            status=kw.pop("status", InvitationStatus.SENT),
            expires_at=utcnow() + expires_in,
            **kw,
        )
        db.session.add(invitation)
        db.session.commit()
        return invitation, token

    return _invite


def registration_form(world, **overrides):
    data = {
        "official_name": "Cēsu novada būvvalde",
        "informal_name": "Būvvalde Cēsīs",
        "phone": "+371 64100000",
        "email": "buvvalde@cesis.lv.example",
        "website": "https://buvvalde.cesis.lv.example",
        "street_address": "Raunas iela 4",
        "postal_code": "LV-4101",
        "city": "Cēsis",
        "classification": [world.general.entries[1].id],
        "first_name": "Ilze",
        "surname": "Liepiņa",
        "user_email": "ilze.liepina@cesis.lv.example",
        "user_phone": "+371 20000001",
        "user_language": "en",
    }
    data.update(overrides)
    return data
