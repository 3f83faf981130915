"""The cluster's data: the LV NIMIC and its administrator, a module, a few hundred authorities
to search, one authority per load-test user (its own module access to edit and users to
register), and users whose passwords are due for an expiry reminder (for run-jobs)."""

import random
from datetime import timedelta

from imi_web import create_app
from imi_web.extensions import db
from imi_web.models import ModuleAccess, ModuleRole, utcnow
from tests.conftest import TEST_CONFIG, Factory

PLACES = ["Rīgas", "Jelgavas", "Cēsu", "Valmieras", "Liepājas", "Daugavpils", "Ogres", "Tukuma", "Siguldas", "Bauskas"]
KINDS = ["būvvalde", "pašvaldība", "sociālais dienests", "bāriņtiesa", "dzimtsarakstu nodaļa", "skola"]
SEARCH_TERMS = ["rig", "valde", "cēsu", "dienests", "skola", "tiesa", "jelg", "pašv"]
SLOTS = 16
REMINDER_USERS = 6


def seed(database_url: str) -> dict:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://")})
    rng = random.Random(20)
    with app.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        # An information-request module: its access has settings (may refuse requests …) to edit.
        svc = factory.module("SVC", is_information_request=True)
        svc.name_en = "Services"
        searched = []
        for number in range(300):
            name = f"{rng.choice(PLACES)} {rng.choice(KINDS)} Nr. {number}"
            searched.append(factory.authority(name=name, city=rng.choice(PLACES)[:-1]).id)
        slots = []
        for number in range(SLOTS):
            authority = factory.authority(name=f"Slodzes iestāde {number}")
            access = ModuleAccess(authority=authority, module=svc, role=ModuleRole.AUTHORITY)
            db.session.add(access)
            db.session.flush()
            slots.append({"authority_id": authority.id, "access_id": access.id, "role": ModuleRole.AUTHORITY.value})
        max_age = app.config["PASSWORD_MAX_AGE_DAYS"]
        reminded = []
        for number in range(REMINDER_USERS):
            # The password expires in 10 days: the 14-day reminder is due.
            user = factory.user(
                factory.authority(name=f"Atgādinājumu iestāde {number}"),
                email=f"reminder{number}@example.test",
            )
            user.password_set_at = utcnow() - timedelta(days=max_age - 10)
            reminded.append(user.email)
        module_id = svc.id
        factory.commit()
        db.session.remove()
        db.engine.dispose()
    return {
        "admin": "nimic.admin",
        "password": Factory.PASSWORD,
        "slots": slots,
        "searched": searched,
        "search_terms": SEARCH_TERMS,
        "module_id": module_id,
        "reminded": reminded,
    }
