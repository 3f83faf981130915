"""Every route of the URL map against generated bad input (issue 15): never a 5xx, and a refused
request changes nothing.

For each rule and method (GET, POST) Hypothesis draws who asks (anonymous, an ordinary user,
an authority's administrator, an administrator of the national coordinator), page or htmx,
and bad values — NUL, control characters, lone surrogates (sent as the bytes a client could
send), 10 000 characters, huge and negative integers, wrong types — for the path variables,
for query arguments and for form fields (every field name of the application's forms, and the
names views read from ``request.args``/``request.form``), POSTs with a valid CSRF token;
sometimes a JSON body of wrong types. Exceptions propagate in tests (TESTING), so any 5xx
fails with its traceback. Examples are few and derandomized: the run is the same every time.
"""

import inspect
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

import imi_web
from imi_web.forms import Form
from imi_web.invitations.operations import new_token
from imi_web.models import Invitation, InvitationStatus, ModuleAccess, ModuleRole, UserSession, utcnow
from tests.authorities.conftest import world  # noqa: F401
from tests.conftest import BACKENDS, Client, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

EXAMPLES_PER_ROUTE = 8
ROLES = (None, "nimic.user", "plain.admin", "nimic.admin")  # anonymous, user, admin, coordinator


@pytest.fixture
def app_config():
    # Throttling would answer 429 after a few attempts and hide what follows.
    return {"RATELIMIT_ENABLED": False}


# --- the names to fill -------------------------------------------------------------------------


def _form_classes(cls=Form):
    for sub in cls.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def field_names() -> list[str]:
    names = set()
    for form in _form_classes():
        names.update(name for name, value in inspect.getmembers(form) if isinstance(value, UnboundField))
    return sorted(names)


def read_names() -> list[str]:
    """Names the views read from the query string or the form themselves."""
    pattern = re.compile(r"""(?:args|form|source)\.get(?:list)?\(\s*["']([A-Za-z_]+)["']""")
    names = set()
    for path in Path(imi_web.__file__).parent.rglob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return sorted(names)


FIELDS = field_names()
ARGS = read_names()
NAMES = sorted(set(FIELDS) | set(ARGS))

# --- the bad values ----------------------------------------------------------------------------

FIXED = [
    "", "\x00", "a\x00b", "\x07\x08", "\x1b[31m", "\r\nBcc: x@evil.example", "\u0085", "\u2028", "\ud800", "a\udfffb",
    "\ufffd", "\ufeff", "-1", "0", "-99999999999999999999", "99999999999999999999999", str(2**31), str(2**31 - 1),
    str(2**63), "1e9", "NaN", "inf", "1.5", "²", "١٢", "0x10", "[]", "{}", "null", "true", "x" * 10_000, "9" * 10_000,
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "//evil.example", "javascript:alert(1)",
]
BAD = st.one_of(
    st.sampled_from(FIXED),
    st.text(st.characters(codec=None, categories=["Cc", "Cs", "Zs", "Nd", "No", "Lo", "Sm"]), max_size=12),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
WRONG_TYPES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["id", "type", "response"]), st.text(max_size=5), max_size=2), BAD,
)


def encode(value: str) -> str:
    """Percent-encoded as a client would send it; a lone surrogate as its (invalid) UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def query_string(pairs) -> str:
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def things(world, db, factory):  # noqa: F811
    """One of each object a URL can name, and valid ids for each path variable."""
    access = ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.AUTHORITY)
    db.session.add(access)
    victim = factory.user(world.plain, username="victim.user")
    token, token_hash = new_token()
    invitation = Invitation(
        country_id=world.nimic.country_id, inviting_authority_id=world.nimic.id, invited_by_user_id=world.nimic_admin.id,
        token_hash=token_hash, status=InvitationStatus.SENT, email="new@authority.lv.example", suggested_name="Jauna",
        language="en", expires_at=utcnow().replace(year=utcnow().year + 1),
    )
    db.session.add(invitation)
    factory.commit()
    return {
        "authority_id": [world.plain.id, world.nimic.id, world.estonia.id, world.coordinator.id],
        "access_id": [access.id],
        "user_id": [victim.id, world.plain_admin.id],
        "manager_id": [world.nimic.id, world.partial.id],
        "invitation_id": [invitation.id],
        "session_id": [1],
        "passkey_id": [1],
        "token": [token],
        "filename": ["app.css"],
    }


TABLES = (
    "authority", "user_account", "module_access", "invitation", "history_entry", "outbox_message",
    "authenticator_app", "passkey", "recovery_code", "password_history", "module_right",
)


def fingerprint(db):
    """Cheap: row counts and largest ids of the key tables, versions, invitations still open."""
    parts = [f"(SELECT count(*) FROM {t}), (SELECT coalesce(max(id), 0) FROM {t})" for t in TABLES]
    parts += [
        "(SELECT coalesce(sum(version), 0) FROM authority)",
        "(SELECT coalesce(sum(version), 0) FROM module_access)",
        "(SELECT count(*) FROM access_manager_link)",
        "(SELECT count(*) FROM invitation WHERE status = 'sent')",
        "(SELECT count(*) FROM user_account WHERE is_admin)",
    ]
    with db.engine.connect() as connection:
        return tuple(connection.execute(sa.text("SELECT " + ", ".join(parts))).one())


# --- the routes --------------------------------------------------------------------------------

VARIABLE = re.compile(r"<(?:([a-z]+)(?:\(([^)]*)\))?:)?([a-z_]+)>")


def routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule.rule, method


def path_value(draw, converter, args, name, valid):
    if converter == "any":
        choices = [c.strip() for c in args.split(",")]
        return draw(st.one_of(st.sampled_from(choices), BAD))
    options = [st.sampled_from([str(v) for v in valid[name]])] if name in valid else []
    return draw(st.one_of(*options, BAD) if options else BAD)


def test_no_route_answers_5xx_and_a_refusal_changes_nothing(app, db, things, backend):
    clients = {}

    def client_for(role):
        if role not in clients:
            client = Client(app.test_client())
            if role:
                client.login(role, Factory.PASSWORD)
            client.token = client.csrf_token()  # valid as long as the session
            clients[role] = client
        return clients[role]

    all_routes = list(routes(app))
    assert len(all_routes) > 60  # the whole map, not a part of it
    for rule, method in all_routes:

        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def probe(data):
            role = data.draw(st.sampled_from(ROLES), label="role")
            htmx = data.draw(st.booleans(), label="htmx")
            url = VARIABLE.sub(
                lambda m: encode(path_value(data.draw, m.group(1), m.group(2), m.group(3), things)), rule
            )
            query = data.draw(st.lists(st.tuples(st.sampled_from(NAMES), BAD), max_size=4), label="query")
            if query:
                url += "?" + query_string(query)
            client = client_for(role)
            headers = {"HX-Request": "true"} if htmx else {}
            before = fingerprint(db)
            if method == "GET":
                response = client.raw.get(url, headers=headers)
            else:
                token = client.token
                headers["X-CSRFToken"] = token
                if data.draw(st.integers(0, 5), label="json") == 0:
                    body = data.draw(st.dictionaries(st.sampled_from(NAMES + ["credential"]), WRONG_TYPES, max_size=4))
                    response = client.raw.post(
                        url, data=json.dumps(body), headers=headers, content_type="application/json"
                    )
                else:
                    fields = data.draw(st.lists(st.tuples(st.sampled_from(FIELDS + ARGS), BAD), max_size=8), label="form")
                    response = client.raw.post(
                        url,
                        data=query_string([("csrf_token", token), *fields]),
                        headers=headers,
                        content_type="application/x-www-form-urlencoded",
                    )
            status = response.status_code
            response.close()  # a static file's handle
            assert status < 500, (method, url, status)
            if status >= 400 and status != 429:
                assert fingerprint(db) == before, (method, url, status, "a refused request changed the database")
            if status in (302, 303) and "/login" in response.headers.get("Location", "") and role:
                clients.pop(role, None)  # logged out (or its session ended): log in again next time

        probe()
