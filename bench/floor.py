"""The floors of bench/run.py: the same SQL as the app's requests, raw driver, string-built HTML.

Two floors, chosen by ``BENCH_FLOOR``:

- ``page`` (the default, the yardstick of the targets): what any authenticated page of this
  application must do, done by hand — verify the signed session cookie (HMAC, as Flask's
  cookie is signed), look the sign-in session up by its token's hash in ``user_session`` and
  check its idle and absolute limits (touching ``last_seen_at`` at most once a minute, as
  the app does), load the acting user and its authority by primary key, then the page's
  data; the full page also renders the layout (header with the language switch, the user
  and the logout form with a CSRF token, and the menu the policy would show an
  administrator, with its count). A fragment renders no layout, as the app's do not.
- ``data`` (today's data-only floor, for reference): the page's statements and the user
  with its authority by the known id; no cookie, no session.

Every statement the app runs for a request runs here too, written by hand: the search's
capped count and page, the form's option lists and the menu's count on the full page, the
authority and its module accesses on the tab. No ORM, no templates, no Flask-Login, no
CSRF or translation machinery. Served as a Flask route (``bench.floor:flask_app``), with
gunicorn like the app.

Environment: ``BENCH_DB_URL`` (SQLAlchemy URL), ``BENCH_COUNTRY_ID``, ``BENCH_MANAGER_ID`` and
``BENCH_USER_ID`` (the logged-in admin's country, authority and user), ``BENCH_SECRET_KEY``
(the app's, to verify its cookie) and ``BENCH_FLOOR``.

    /authorities/?q=&mine=yes|no&module=ID   count + page of 25, like search_managed()
    /authorities/<id>/modules                the authority and its module accesses
    /directory/?q=&module=ID&role=R          count + page of 25 + their modules, like search_directory()
    /access-overview/?mine=no&module=ID      the modules, count + page of 25, their accesses and the
                                             totals row, like access_overview.search.overview_page()
    /bench/empty                             "ok": the session and the user only
"""

import base64
import hashlib
import hmac
import html
import json
import os
import re
import time
import zlib
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

PER_PAGE = 25
MIN_TRIGRAM = 3
_conn = None


def _connect():
    url = os.environ["BENCH_DB_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        from imi_web.extensions import SQLITE_PRAGMAS  # the app's connection settings, for a fair floor

        conn = sqlite3.connect(url.split(":///", 1)[1], check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        return "sqlite", conn
    import psycopg

    from imi_web.config import POSTGRES_OPTIONS

    parts = urlsplit(url)
    conn = psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname=parts.path.lstrip("/"), options=POSTGRES_OPTIONS,  # the app's connection settings
    )
    return "postgresql", conn


def connection():
    global _conn
    if _conn is None:  # one per worker, opened after the fork
        _conn = _connect()
        _user_columns(*_conn)
    return _conn


def fold(text):
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


from imi_web.authority_search import COUNT_CAP  # noqa: E402  (the same cap as the app)
from imi_web.directory.search import ACCESS_SORT_LIMIT  # noqa: E402


def _like(word):
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def name_words(dialect, args, where, params):
    """The words of ``q`` as the app takes them: the longest of 3+ letters for the indexes
    (returned), the others appended to ``where``/``params`` as LIKE conditions."""
    p = "?" if dialect == "sqlite" else "%s"
    words = fold(args.get("q", "")).split()[:5]
    indexed = max((w for w in words if len(w) >= MIN_TRIGRAM), key=len, default=None)
    for word in words:
        if word != indexed:
            where.append(f"authority.search_name LIKE {p} ESCAPE '\\'")
            params.append(_like(word))
    return indexed


def term_count(dialect, conn, indexed, clause, params):
    """The capped count of a name term's hits: FTS5 on SQLite, pg_trgm (LIKE) on PostgreSQL."""
    p = "?" if dialect == "sqlite" else "%s"
    if dialect == "sqlite":
        phrase = '"' + indexed.replace('"', '""') + '"'
        return conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM authority_fts JOIN authority ON authority.id = authority_fts.rowid "
            f"WHERE authority_fts MATCH {p} AND {clause} LIMIT {COUNT_CAP + 1}) AS hits",
            [phrase, *params],
        ).fetchone()[0]
    return conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} AND authority.search_name LIKE {p} ESCAPE '\\' "
        f"AND authority.id > 0 LIMIT {COUNT_CAP + 1}) AS hits",
        [*params, _like(indexed)],
    ).fetchone()[0]


def term_page(dialect, indexed, many):
    """(FROM, condition, parameters, ORDER BY) of a page with a name term: many hits walk the
    term's name postings in name order; few come from the trigram index (pg_trgm) and are sorted."""
    p = "?" if dialect == "sqlite" else "%s"
    if many:
        position = "instr" if dialect == "sqlite" else "strpos"
        return (
            "authority_name_trigram AS t JOIN authority ON authority.id = t.authority_id",
            f"t.trigram = {p} AND {position}(t.search_name, {p}) > 0",
            [indexed[:MIN_TRIGRAM], indexed],
            "t.search_name, t.authority_id",
        )
    if dialect == "sqlite":
        phrase = '"' + indexed.replace('"', '""') + '"'
        return "authority", f"authority.id IN (SELECT rowid FROM authority_fts WHERE authority_fts MATCH {p})", [phrase], \
            "authority.search_name, authority.id"
    return "authority", f"authority.search_name LIKE {p} ESCAPE '\\'", [_like(indexed)], "authority.search_name, authority.id"


def search(dialect, conn, args):
    """The statements of imi_web.authority_search.search_managed, written by hand."""
    p = "?" if dialect == "sqlite" else "%s"
    where, params = [f"authority.country_id = {p}", f"authority.status = {p}"], [int(os.environ["BENCH_COUNTRY_ID"]), "active"]
    mine = args.get("mine", "yes") != "no"
    if mine:
        where.append(
            "EXISTS (SELECT 1 FROM access_manager_link WHERE access_manager_link.manager_authority_id = "
            f"{p} AND access_manager_link.managed_authority_id = authority.id)"
        )
        params.append(int(os.environ["BENCH_MANAGER_ID"]))
    if args.get("module", "").isdigit():
        where.append(
            "EXISTS (SELECT 1 FROM module_access WHERE module_access.authority_id = authority.id "
            f"AND module_access.module_id = {p} AND module_access.status = {p})"
        )
        params += [int(args["module"]), "active"]
    indexed = name_words(dialect, args, where, params)
    clause = " AND ".join(where)
    source, order = "authority", "authority.search_name, authority.id"
    if indexed:
        total = term_count(dialect, conn, indexed, clause, params)
        source, condition, extra, order = term_page(dialect, indexed, total > COUNT_CAP)
        clause += " AND " + condition
        params = [*params, *extra]
    elif mine:  # "Only my authorities" without a term: counted from the manager's links
        links = "access_manager_link.manager_authority_id = " + p
        rest = " AND ".join(w for w in where if "access_manager_link" not in w)
        rest_params = [params[0], params[1], *params[3:]]
        total = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM access_manager_link JOIN authority ON authority.id = "
            f"access_manager_link.managed_authority_id WHERE {links} AND {rest} LIMIT {COUNT_CAP + 1}) AS hits",
            [params[2], *rest_params],
        ).fetchone()[0]
        if total <= COUNT_CAP:  # at most COUNT_CAP of the manager's authorities, sorted
            clause = (f"{rest} AND authority.id IN (SELECT access_manager_link.managed_authority_id "
                      f"FROM access_manager_link WHERE {links})")
            params = [*rest_params, params[2]]
    else:
        total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} LIMIT {COUNT_CAP + 1}) AS hits", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT authority.id, official_name, informal_name, city, status FROM {source} WHERE {clause} "
        f"ORDER BY {order} LIMIT {PER_PAGE + 1} OFFSET 0",
        params,
    ).fetchall()[:PER_PAGE]
    total = f"more than {COUNT_CAP}" if total > COUNT_CAP else total
    out = [f'<div id="results"><p>{total} authorities</p><table><tbody>']
    for aid, official, informal, city, status in rows:
        out.append(
            f'<tr><td><a href="/authorities/{aid}/authority">{html.escape(official)}</a>'
            f"<br><small>{html.escape(informal or '')}</small></td><td>{html.escape(city or '')}</td>"
            f"<td>{html.escape(status)}</td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def directory(dialect, conn, args):
    """The statements of imi_web.directory.search.search_directory, written by hand."""
    p = "?" if dialect == "sqlite" else "%s"
    where, params = ["authority.status = " + p], ["active"]
    access, access_params = [], []
    if args.get("module", "").isdigit():
        access.append(f"module_access.module_id = {p}")
        access_params.append(int(args["module"]))
    if args.get("role") in ("coordinator", "authority"):
        access.append(f"module_access.role = {p}")
        access_params.append(args["role"])
    if access:
        access = [f"module_access.status = {p}", *access]
        access_params = ["active", *access_params]
    partner = (
        f"EXISTS (SELECT 1 FROM module_access WHERE module_access.authority_id = authority.id AND {' AND '.join(access)})"
        if access else None
    )
    indexed = name_words(dialect, args, where, params)
    clause = " AND ".join(where)
    if indexed and (dialect == "sqlite" or not access):
        extra = f" AND {partner}" if partner else ""
        total = term_count(dialect, conn, indexed, clause + extra, [*params, *(access_params if partner else [])])
    elif access:
        term = f" AND authority.search_name LIKE {p} ESCAPE '\\'" if indexed else ""
        total = conn.execute(
            f"SELECT count(*) FROM (SELECT {'' if args.get('module', '').isdigit() else 'DISTINCT '}module_access.authority_id FROM module_access JOIN authority "
            f"ON authority.id = module_access.authority_id WHERE {' AND '.join(access)} AND {clause}{term} LIMIT {COUNT_CAP + 1}) AS hits",
            [*access_params, *params, *([_like(indexed)] if indexed else [])],
        ).fetchone()[0]
    else:
        total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} LIMIT {COUNT_CAP + 1}) AS hits", params).fetchone()[0]
    more = total > COUNT_CAP
    source, order = "authority", "authority.search_name, authority.id"
    if indexed:
        source, condition, extra, order = term_page(dialect, indexed, more)
        clause += " AND " + condition
        params = [*params, *extra]
    by_role = len(access) == 3  # module and role given: their accesses in name order (as the app)
    sortable = False
    module_alone = len(access) == 2 and args.get("module", "").isdigit()
    if module_alone and not indexed:  # few matching accesses: the page from them, sorted
        sortable = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM module_access WHERE {' AND '.join(access)} LIMIT {ACCESS_SORT_LIMIT + 1}) AS hits",
            access_params,
        ).fetchone()[0] <= ACCESS_SORT_LIMIT
    if by_role and not indexed:
        source = "module_access JOIN authority ON authority.id = module_access.authority_id"
        order = "module_access.authority_name, module_access.authority_id"
        clause += " AND " + " AND ".join(access)
        params += access_params
    elif access:
        if (more or indexed) and not sortable:
            clause += f" AND {partner}"
        else:
            clause += f" AND authority.id IN (SELECT module_access.authority_id FROM module_access WHERE {' AND '.join(access)})"
        params += access_params
    rows = conn.execute(
        "SELECT authority.id, official_name, informal_name, phone, email, website, city, country.code, country.name_en "
        f"FROM {source} JOIN country ON country.id = authority.country_id WHERE {clause} "
        f"ORDER BY {order} LIMIT {PER_PAGE + 1} OFFSET 0",
        params,
    ).fetchall()[:PER_PAGE]
    modules = {}
    if rows:
        ids = ", ".join(str(r[0]) for r in rows)
        for authority_id, code, name, role in conn.execute(
            "SELECT module_access.authority_id, module.code, module.name_en, module_access.role FROM module_access "
            f"JOIN module ON module.id = module_access.module_id WHERE module_access.authority_id IN ({ids}) "
            f"AND module_access.status = {p} ORDER BY module.code",
            ["active"],
        ):
            modules.setdefault(authority_id, []).append(f"{html.escape(code)} — {html.escape(name)} ({role})")
    total = f"more than {COUNT_CAP}" if more else total
    out = [f'<div id="results"><p>{total} authorities</p><table><tbody>']
    for aid, official, informal, phone, email, website, city, ccode, cname in rows:
        out.append(
            f'<tr><td><a href="/directory/{aid}">{html.escape(official)}</a><br><small>{html.escape(informal or "")}</small></td>'
            f"<td>{html.escape(cname)}, {html.escape(city or '')}</td><td>{html.escape(email or '')}<br>{html.escape(phone or '')}</td>"
            f"<td><ul>{''.join(f'<li>{m}</li>' for m in modules.get(aid, []))}</ul></td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def modules_tab(dialect, conn, authority_id):
    """The statements of the app's tab Modules (``imi_web/authorities/module_tab.py``): the
    authority; every module with its classification list, this authority's access to it and
    the access's linked coordinator (the accesses and the grant list); then the entries of the
    accesses whose module has a classification list, if any."""
    p = "?" if dialect == "sqlite" else "%s"
    authority = conn.execute(f"SELECT authority.official_name, authority.* FROM authority WHERE id = {p}", [authority_id]).fetchone()
    rows = conn.execute(
        "SELECT module_access.id, module_access.role, module_access.status, module_access.granted_at, module.code, "
        "module.name_lv, classification_list.id, module.is_information_request, module.linked_coordinator_required, "
        "module_access.approval_required, module_access.allocation_by_coordinator, module_access.may_refuse_requests, "
        "coordinator.official_name "
        "FROM module LEFT OUTER JOIN classification_list ON classification_list.module_id = module.id "
        f"LEFT OUTER JOIN module_access ON module_access.module_id = module.id AND module_access.authority_id = {p} "
        "LEFT OUTER JOIN authority AS coordinator ON coordinator.id = module_access.linked_coordinator_id "
        "ORDER BY module.code",
        [authority_id],
    ).fetchall()
    accesses, entries, grantable = {}, {}, {}
    for row in rows:
        if row[0] is None:
            grantable[row[4]] = row[5]
        else:
            accesses[row[0]] = row
    classified = [row[0] for row in accesses.values() if row[6] is not None]
    if classified:
        marks = ", ".join([p] * len(classified))
        for access_id, name in conn.execute(
            "SELECT mac.module_access_id, entry.name_lv FROM module_access_classification AS mac "
            f"JOIN classification_entry AS entry ON entry.id = mac.entry_id WHERE mac.module_access_id IN ({marks}) "
            "ORDER BY entry.position, entry.id",
            classified,
        ):
            entries.setdefault(access_id, []).append(html.escape(name))
    tabs = "".join(
        f'<a role="tab" href="/authorities/{authority_id}/{t}" hx-get="/authorities/{authority_id}/{t}">{t}</a>'
        for t in ("authority", "classification", "modules", "users", "management")
    )
    out = [f'<div id="authority-tabs"><div role="tablist">{tabs}</div><section id="tab-panel">'
           f'<h2>{html.escape(authority[0])}</h2><ul class="module-list">']
    for row in accesses.values():
        mid, role, status, granted, code, name = row[:6]
        settings = "".join(
            f"<dt>{label}</dt><dd>{'yes' if value else 'no'}</dd>"
            for label, value in zip(("Approval", "Allocation", "May refuse"), row[9:12])
        ) if row[7] else ""
        out.append(
            f'<li id="access-{mid}"><h3>{html.escape(code)} — {html.escape(name)}</h3><dl><dt>Role</dt><dd>{role}</dd>'
            f"<dt>Status</dt><dd>{status}</dd><dt>Granted</dt><dd>{str(granted)[:10]}</dd>"
            f"<dt>Classification</dt><dd>{', '.join(entries.get(mid, [])) or '—'}</dd>{settings}"
            f"<dt>Linked coordinator</dt><dd>{html.escape(row[12] or '—')}</dd></dl></li>"
        )
    grantable = "".join(f"<li>{html.escape(code)} — {html.escape(name)}</li>" for code, name in grantable.items())
    out.append(f'</ul><ul class="grant">{grantable}</ul></section></div>')
    return "".join(out)


def overview(dialect, conn, args):
    """The statements of imi_web.access_overview.search.overview_page (no name term, mine=no;
    with or without a module), written by hand."""
    from imi_web.access_overview.search import TOTALS_GROUP_LIMIT

    p = "?" if dialect == "sqlite" else "%s"
    modules = conn.execute("SELECT id, code, name_lv, name_en FROM module ORDER BY code").fetchall()
    where, params = [f"authority.country_id = {p}", f"authority.status = {p}"], [int(os.environ["BENCH_COUNTRY_ID"]), "active"]
    if args.get("module", "").isdigit():
        where.append(f"EXISTS (SELECT 1 FROM module_access WHERE module_access.authority_id = authority.id AND module_access.module_id = {p})")
        params.append(int(args["module"]))
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} LIMIT {COUNT_CAP + 1}) AS hits", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT authority.id, official_name, informal_name, city, status FROM authority WHERE {clause} "
        f"ORDER BY authority.search_name, authority.id LIMIT {PER_PAGE + 1} OFFSET 0",
        params,
    ).fetchall()[:PER_PAGE]
    cells = {}
    if rows:
        ids = ", ".join(str(r[0]) for r in rows)
        for authority_id, module_id, role, status, linked in conn.execute(
            "SELECT authority_id, module_id, role, status, linked_coordinator_id IS NOT NULL FROM module_access "
            f"WHERE authority_id IN ({ids})"
        ):
            cells[(authority_id, module_id)] = (role, status, linked)
    found = total
    if total > COUNT_CAP:
        found = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} LIMIT {TOTALS_GROUP_LIMIT + 1}) AS hits", params).fetchone()[0]
    totals = {}
    if found <= TOTALS_GROUP_LIMIT:
        for module_id, role, count in conn.execute(
            f"SELECT module_id, role, count(*) FROM module_access WHERE authority_id IN (SELECT authority.id FROM authority WHERE {clause}) "
            "GROUP BY module_id, role", params
        ):
            totals[(module_id, role)] = str(count)
    else:
        columns, values = [], []
        for module in modules:
            for role in ("coordinator", "authority"):
                columns.append(
                    f"(SELECT count(*) FROM (SELECT 1 FROM module_access AS counted WHERE counted.module_id = {p} AND counted.role = {p} "
                    f"AND EXISTS (SELECT 1 FROM authority WHERE authority.id = counted.authority_id AND {clause}) LIMIT {COUNT_CAP + 1}) AS hits)"
                )
                values += [module[0], role, *params]
        counts = conn.execute("SELECT " + ", ".join(columns), values).fetchone()
        i = 0
        for module in modules:
            for role in ("coordinator", "authority"):
                totals[(module[0], role)] = f"{COUNT_CAP}+" if counts[i] > COUNT_CAP else str(counts[i])
                i += 1
    head = "".join(f'<th scope="col"><abbr title="{html.escape(m[3])}">{html.escape(m[1])}</abbr></th>' for m in modules)
    out = [f'<div id="results"><p>{"more than 100" if total > COUNT_CAP else total} authorities</p>'
           f'<table><thead><tr><th>Authority</th>{head}</tr></thead><tbody>']
    for aid, official, informal, city, status in rows:
        tds = []
        for m in modules:
            cell = cells.get((aid, m[0]))
            tds.append(
                f'<td><a href="/authorities/{aid}/modules">{cell[0]}</a>{"<br>linked" if cell[2] else ""}'
                f'{"<br>suspended" if cell[1] == "suspended" else ""}</td>' if cell else "<td>—</td>"
            )
        out.append(f'<tr><th scope="row"><a href="/authorities/{aid}/authority">{html.escape(official)}</a>'
                   f"<br>{html.escape(informal or '')}</th>{''.join(tds)}</tr>")
    foot = "".join(f"<td>Coordinators: {totals.get((m[0], 'coordinator'), '0')}<br>Authorities: "
                   f"{totals.get((m[0], 'authority'), '0')}</td>" for m in modules)
    out.append(f"</tbody><tfoot><tr><th>Total</th>{foot}</tr></tfoot></table></div>")
    return "".join(out)


FLOOR = os.environ.get("BENCH_FLOOR", "page")
IDLE = timedelta(minutes=30)  # the app's SESSION_IDLE_MINUTES, PERMANENT_SESSION_LIFETIME, SESSION_TOUCH_SECONDS
LIFETIME = timedelta(hours=8)
TOUCH = timedelta(seconds=60)
_keys = {}


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _signing_key(salt: bytes) -> bytes:
    """itsdangerous' key derivation ("hmac"), as Flask's cookie and Flask-WTF's token use it."""
    if salt not in _keys:
        _keys[salt] = hmac.new(os.environ["BENCH_SECRET_KEY"].encode(), salt, hashlib.sha1).digest()
    return _keys[salt]


def verified_cookie(cookie: str | None) -> dict | None:
    """The session cookie's contents if its signature holds (Flask: HMAC-SHA1, salt "cookie-session")."""
    if not cookie or cookie.count(".") < 2:
        return None
    signed, signature = cookie.rsplit(".", 1)
    expected = hmac.new(_signing_key(b"cookie-session"), signed.encode(), hashlib.sha1).digest()
    if not hmac.compare_digest(expected, _b64decode(signature)):
        return None
    payload = signed.rsplit(".", 1)[0]
    data = zlib.decompress(_b64decode(payload[1:])) if payload.startswith(".") else _b64decode(payload)
    return json.loads(data)


def _moment(value):
    if isinstance(value, str):  # SQLite keeps the text, without the zone
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def signed_in_user(dialect, conn, cookie):
    """What every authenticated page does first: the cookie verified, its sign-in session looked
    up by the token's hash and checked against its limits (its last activity written at most
    once a minute), then the acting user and its authority, each by primary key. ``None`` when
    there is no live session. The row: (authority_id, first_name, surname, csrf token,
    authority's official name, ...)."""
    p = "?" if dialect == "sqlite" else "%s"
    state = verified_cookie(cookie)
    if not state or "_user_id" not in state:
        return None
    token_hash = hashlib.sha256(state["_user_id"].encode()).hexdigest()
    found = conn.execute(
        f"SELECT id, user_id, created_at, last_seen_at FROM user_session WHERE token_hash = {p}", [token_hash]
    ).fetchone()
    if found is None:
        return None
    session_id, user_id, created_at, last_seen_at = found
    now = datetime.now(timezone.utc)
    last_seen_at = _moment(last_seen_at)
    if _moment(created_at) <= now - LIFETIME or last_seen_at <= now - IDLE:
        return None
    user = conn.execute(f"SELECT * FROM user_account WHERE id = {p}", [user_id]).fetchone()
    authority = conn.execute(
        f"SELECT official_name, status, is_nimic, country_id, id FROM authority WHERE id = {p}", [user[USER_AUTHORITY]]
    ).fetchone()
    if authority[1] != "active":
        return None
    if now - last_seen_at >= TOUCH:
        stamp = now if dialect == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute(f"UPDATE user_session SET last_seen_at = {p} WHERE id = {p}", [stamp, session_id])
        conn.commit()
    return (user[USER_AUTHORITY], user[USER_FIRST], user[USER_SURNAME], state.get("csrf_token", ""), authority[0])


USER_AUTHORITY, USER_FIRST, USER_SURNAME = None, None, None  # column positions, read at the first request


def _user_columns(dialect, conn):
    global USER_AUTHORITY, USER_FIRST, USER_SURNAME
    cursor = conn.execute("SELECT * FROM user_account WHERE 1 = 0")
    names = [d[0] for d in cursor.description]
    cursor.fetchall()
    USER_AUTHORITY, USER_FIRST, USER_SURNAME = (names.index(n) for n in ("authority_id", "first_name", "surname"))


def csrf_token(raw: str) -> str:
    """Flask-WTF's signed CSRF token for the page (the raw token is in the session)."""
    payload = base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=")
    stamp = base64.urlsafe_b64encode(int(time.time()).to_bytes(4, "big")).rstrip(b"=")
    signed = payload + b"." + stamp
    signature = hmac.new(_signing_key(b"wtf-csrf-token"), signed, hashlib.sha1).digest()
    return (signed + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


MENU = (
    ("Administration", (("/authorities/new", "Register authority"), ("/authorities/", "Managed authorities"),
                        ("/access-overview/", "Access overview"), ("/invitations/", "Registration invitations"),
                        ("/security-events/", "Security events"))),
    ("My tasks", (("/validation/", "For validation"),)),
    ("Authorities", (("/directory/", "Search"),)),
    ("Send e-mail", (("/mailing/", "Send e-mail"),)),
)


CURRENT = ' aria-current="page"'


def layout(dialect, conn, user, results):
    """The full search page as the app's layout makes it: head, header (language switch, the
    user and its authority, logout), the menu of an administrator with the count of
    registrations awaiting validation, "My account"; then the search form with its option
    lists and the results."""
    form, waiting = search_form(dialect, conn, user[0])
    token = csrf_token(user[3])
    count = f' <span class="menu-count">{waiting}</span>' if waiting else ""
    sections = []
    for section, links in MENU:
        items = "".join(
            f'<li><a href="{href}"{CURRENT if href == "/authorities/" else ""}>{label}{count if href == "/validation/" else ""}</a></li>'
            for href, label in links
        )
        if len(links) == 1 and links[0][1] == section:
            sections.append(items)
        else:
            sections.append(f'<li><span class="menu-section">{section}</span><ul>{items}</ul></li>')
    account = (
        '<li><span class="menu-section">My account</span><ul><li><a href="/">My profile</a></li>'
        f'<li><a href="/authorities/{user[0]}/authority">My authority</a></li>'
        '<li><a href="/account/password">Change password</a></li><li><a href="/account/security/">Sign-in security</a></li>'
        '<li><a href="/account/sessions">Sessions</a></li></ul></li>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="csrf-token" content="{token}"><title>Managed authorities · IMI access management</title>'
        '<link rel="stylesheet" href="/static/app.css"><script src="/static/htmx-2.0.11.min.js" defer></script>'
        '<script src="/static/app.js" defer></script></head><body><header class="site-header"><div class="bar">'
        '<a class="brand" href="/">IMI access management</a><form class="language-switch" method="post" action="/language">'
        f'<input type="hidden" name="csrf_token" value="{token}"><input type="hidden" name="next" value="/authorities/">'
        '<button type="submit" name="language" value="lv" lang="lv" aria-pressed="false">Latviski</button>'
        '<button type="submit" name="language" value="en" lang="en" aria-pressed="true">English</button></form>'
        f'<div class="account"><span class="who">{html.escape(user[1])} {html.escape(user[2])} · {html.escape(user[4])}</span>'
        f'<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{token}">'
        '<button type="submit" class="link-button">Log out</button></form></div></div>'
        f'<nav class="main-menu" aria-label="Main menu"><ul>{"".join(sections)}{account}</ul></nav></header>'
        f'<main id="main" tabindex="-1"><h1>Managed authorities</h1>{form}{results}</main>'
        '<footer class="site-footer"><p>IMI access management</p></footer></body></html>'
    )


def current_user(dialect, conn):
    """The app loads the logged-in user and its authority on every request."""
    p = "?" if dialect == "sqlite" else "%s"
    return conn.execute(
        "SELECT user_account.authority_id, user_account.first_name, user_account.surname, user_account.*, authority.* "
        "FROM user_account JOIN authority ON authority.id = user_account.authority_id "
        f"WHERE user_account.id = {p}",
        [int(os.environ["BENCH_USER_ID"])],
    ).fetchone()


def search_form(dialect, conn, authority_id):
    """The search form with its option lists, and the menu's count (registrations awaiting
    validation by the user's authority): what the full search page reads besides the results."""
    p = "?" if dialect == "sqlite" else "%s"
    modules = conn.execute("SELECT id, code, name_lv, name_en FROM module ORDER BY code").fetchall()
    entries = conn.execute(
        "SELECT classification_entry.id, classification_entry.name_lv, classification_entry.* FROM classification_entry JOIN classification_list "
        "ON classification_list.id = classification_entry.list_id WHERE classification_list.module_id IS NULL "
        "ORDER BY classification_list.code, classification_entry.position"
    ).fetchall()
    waiting = conn.execute(
        f"SELECT count(id) FROM invitation WHERE inviting_authority_id = {p} AND status = {p}",
        [authority_id, "registered"],
    ).fetchone()[0]
    module_options = "".join(f'<option value="{m[0]}">{html.escape(m[1])} — {html.escape(m[2])}</option>' for m in modules)
    entry_options = "".join(f'<option value="{e[0]}">{html.escape(e[1])}</option>' for e in entries)
    form = (
        '<form id="search" method="get" action="/authorities/" role="search">'
        '<label for="q">Name</label><input id="q" name="q" type="search">'
        '<label for="city">City</label><input id="city" name="city">'
        f'<label for="module">Module</label><select id="module" name="module"><option value="">Any</option>{module_options}</select>'
        f'<label for="without_module">Without access to module</label><select id="without_module" name="without_module">'
        f'<option value="">—</option>{module_options}</select>'
        f'<label for="classification">Classification</label><select id="classification" name="classification">'
        f'<option value="">Any</option>{entry_options}</select>'
        '<label for="status">Status</label><select id="status" name="status"><option>active</option>'
        '<option>deactivated</option><option>awaiting_validation</option><option>all</option></select>'
        '<fieldset><legend>Only my authorities</legend><input type="radio" name="mine" value="yes" checked>'
        '<input type="radio" name="mine" value="no"></fieldset><button type="submit">Search</button></form>'
    )
    return form, waiting


def full_page(dialect, conn, user, results):
    """The data floor's full search page: a plain menu (with its count), the form and its option lists."""
    form, waiting = search_form(dialect, conn, user[0])
    menu = "".join(
        f'<li><a href="{href}">{label}</a></li>'
        for href, label in (
            ("/authorities/new", "Register authority"), ("/authorities/", "Managed authorities"),
            ("/invitations/", "Registration invitations"), ("/validation/", f"For validation ({waiting})"),
            ("/directory/", "Search"), ("/mailing/", "Send e-mail"), ("/account/password", "Change password"),
        )
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Managed authorities — IMI</title>'
        '<link rel="stylesheet" href="/static/app.css"><script src="/static/htmx-2.0.11.min.js" defer></script></head>'
        f'<body><header><nav aria-label="Main menu"><ul>{menu}</ul></nav>'
        f'<p>{html.escape(user[1])} {html.escape(user[2])}</p><form method="post" action="/logout"><button>Log out</button></form>'
        f"</header><main><h1>Managed authorities</h1>{form}{results}</main></body></html>"
    )


def handle(path, args, htmx, cookie=None):
    """(status, body) of a request, whichever way it is served."""
    dialect, conn = connection()
    try:
        if FLOOR == "page":
            user = signed_in_user(dialect, conn, cookie)
            if user is None:
                return 403, "no session"
        else:
            user = current_user(dialect, conn)
        if path == "/authorities/":
            body = search(dialect, conn, args)
            if not htmx:
                body = full_page(dialect, conn, user, body) if FLOOR == "data" else layout(dialect, conn, user, body)
        elif path == "/directory/":
            body = directory(dialect, conn, args)
        elif path == "/access-overview/":
            body = overview(dialect, conn, args)
        elif m := re.fullmatch(r"/authorities/(\d+)/modules", path):
            body = modules_tab(dialect, conn, int(m.group(1)))
        elif path == "/bench/empty":  # what every page pays first (bench/empty_app.py in the app)
            body = "ok"
        else:
            return 404, "not found"
        return 200, body
    finally:
        if dialect == "postgresql":
            conn.rollback()  # one transaction per request, as the app's session has


def _flask_app():
    from flask import Flask, request

    flask_app = Flask(__name__)

    @flask_app.get("/<path:path>")
    def page(path):
        status, body = handle("/" + path, request.args.to_dict(), request.headers.get("HX-Request") == "true",
                              request.cookies.get("imi_session"))
        return body, status

    return flask_app


flask_app = _flask_app()
