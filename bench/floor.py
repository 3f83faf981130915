"""The floor of bench/run.py: the same SQL as the app's requests, raw driver, string-built HTML.

Every statement the app runs for a request runs here too, written by hand: the logged-in
user with its authority (the app loads them on every request), the search's capped count and
page, the form's option lists and the menu's count on the full page, the authority and its
module accesses on the tab. No ORM, no templates, no login or session machinery, no CSRF, no
translations. Served two ways, with gunicorn like the app:

- ``bench.floor:flask_app`` — a Flask route (the floor of the project's performance notes,
  whose raw-SQL floor is served by Flask: the targets' yardstick);
- ``bench.floor:app`` — a bare WSGI function, no framework at all (stricter; reported too).

Environment: ``BENCH_DB_URL`` (SQLAlchemy URL), ``BENCH_COUNTRY_ID``, ``BENCH_MANAGER_ID`` and
``BENCH_USER_ID`` (the logged-in admin's country, authority and user).

    /authorities/?q=&mine=yes|no&module=ID   count + page of 25, like search_managed()
    /authorities/<id>/modules                the authority and its module accesses
    /directory/?q=&module=ID&role=R          count + page of 25 + their modules, like search_directory()
    /access-overview/?mine=no&module=ID      the modules, count + page of 25, their accesses and the
                                             totals row, like access_overview.search.overview_page()
"""

import html
import os
import re
from urllib.parse import parse_qs, urlsplit

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


def current_user(dialect, conn):
    """The app loads the logged-in user and its authority on every request."""
    p = "?" if dialect == "sqlite" else "%s"
    return conn.execute(
        "SELECT user_account.authority_id, user_account.first_name, user_account.surname, user_account.*, authority.* "
        "FROM user_account JOIN authority ON authority.id = user_account.authority_id "
        f"WHERE user_account.id = {p}",
        [int(os.environ["BENCH_USER_ID"])],
    ).fetchone()


def full_page(dialect, conn, user, results):
    """The app's full search page: the menu (with its count), the form and its option lists."""
    p = "?" if dialect == "sqlite" else "%s"
    modules = conn.execute("SELECT id, code, name_lv, name_en FROM module ORDER BY code").fetchall()
    entries = conn.execute(
        "SELECT classification_entry.id, classification_entry.name_lv, classification_entry.* FROM classification_entry JOIN classification_list "
        "ON classification_list.id = classification_entry.list_id WHERE classification_list.module_id IS NULL "
        "ORDER BY classification_list.code, classification_entry.position"
    ).fetchall()
    waiting = conn.execute(
        f"SELECT count(id) FROM invitation WHERE inviting_authority_id = {p} AND status = {p}",
        [user[0], "registered"],
    ).fetchone()[0]
    module_options = "".join(f'<option value="{m[0]}">{html.escape(m[1])} — {html.escape(m[2])}</option>' for m in modules)
    entry_options = "".join(f'<option value="{e[0]}">{html.escape(e[1])}</option>' for e in entries)
    menu = "".join(
        f'<li><a href="{href}">{label}</a></li>'
        for href, label in (
            ("/authorities/new", "Register authority"), ("/authorities/", "Managed authorities"),
            ("/invitations/", "Registration invitations"), ("/validation/", f"For validation ({waiting})"),
            ("/directory/", "Search"), ("/mailing/", "Send e-mail"), ("/account/password", "Change password"),
        )
    )
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
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Managed authorities — IMI</title>'
        '<link rel="stylesheet" href="/static/app.css"><script src="/static/htmx-2.0.11.min.js" defer></script></head>'
        f'<body><header><nav aria-label="Main menu"><ul>{menu}</ul></nav>'
        f'<p>{html.escape(user[1])} {html.escape(user[2])}</p><form method="post" action="/logout"><button>Log out</button></form>'
        f"</header><main><h1>Managed authorities</h1>{form}{results}</main></body></html>"
    )


def handle(path, args, htmx):
    """(status, body) of a request, whichever way it is served."""
    dialect, conn = connection()
    try:
        user = current_user(dialect, conn)
        if path == "/authorities/":
            body = search(dialect, conn, args)
            if not htmx:
                body = full_page(dialect, conn, user, body)
        elif path == "/directory/":
            body = directory(dialect, conn, args)
        elif path == "/access-overview/":
            body = overview(dialect, conn, args)
        elif m := re.fullmatch(r"/authorities/(\d+)/modules", path):
            body = modules_tab(dialect, conn, int(m.group(1)))
        else:
            return 404, "not found"
        return 200, body
    finally:
        if dialect == "postgresql":
            conn.rollback()  # one transaction per request, as the app's session has


def app(environ, start_response):
    """The floor as a bare WSGI function."""
    args = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    status, body = handle(environ.get("PATH_INFO", ""), args, environ.get("HTTP_HX_REQUEST") == "true")
    data = body.encode()
    start_response(
        "200 OK" if status == 200 else "404 Not Found",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _flask_app():
    from flask import Flask, request

    flask_app = Flask(__name__)

    @flask_app.get("/<path:path>")
    def page(path):
        status, body = handle("/" + path, request.args.to_dict(), request.headers.get("HX-Request") == "true")
        return body, status

    return flask_app


flask_app = _flask_app()
