"""The floor of bench/run.py: the same SQL as the app's pages, raw driver, string-formatted HTML.

A tiny WSGI app (``gunicorn -w 2 -k sync 'bench.floor:app'``) with no framework, no ORM, no
templates, no session: what a request to the same database costs at least. Environment:
``BENCH_DB_URL`` (SQLAlchemy URL), ``BENCH_COUNTRY_ID`` and ``BENCH_MANAGER_ID`` (the logged-in
admin's country and authority).

    /authorities/?q=&mine=yes|no&module=ID   count + page of 25, like search_managed()
    /authorities/<id>/modules                the authority and its module accesses
    /directory/?q=&module=ID&role=R          count + page of 25 + their modules, like search_directory()
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

    parts = urlsplit(url)
    conn = psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname=parts.path.lstrip("/"),
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


COUNT_CAP = 500  # as imi_web.authorities.search


def _like(word):
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(dialect, conn, args):
    """The statements of imi_web.authorities.search.search_page, written by hand."""
    p = "?" if dialect == "sqlite" else "%s"
    where, params = [f"authority.country_id = {p}", f"authority.status = {p}"], [int(os.environ["BENCH_COUNTRY_ID"]), "active"]
    if args.get("mine", "yes") != "no":
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
    words = fold(args.get("q", "")).split()[:5]
    indexed = max((w for w in words if len(w) >= MIN_TRIGRAM), key=len, default=None) if dialect == "sqlite" else None

    for word in words:
        if word != indexed:
            where.append(f"authority.search_name LIKE {p} ESCAPE '\\'")
            params.append(_like(word))
    clause = " AND ".join(where)
    if indexed:
        phrase = '"' + indexed.replace('"', '""') + '"'
        total = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM authority_fts JOIN authority ON authority.id = authority_fts.rowid "
            f"WHERE authority_fts MATCH {p} AND {clause} LIMIT {COUNT_CAP + 1}) AS hits",
            [phrase, *params],
        ).fetchone()[0]
        if total <= COUNT_CAP:
            clause += f" AND authority.id IN (SELECT rowid FROM authority_fts WHERE authority_fts MATCH {p})"
            params.append(phrase)
        else:
            clause += f" AND authority.search_name LIKE {p} ESCAPE '\\'"
            params.append(_like(indexed))
    else:
        total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} LIMIT {COUNT_CAP + 1}) AS hits", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT id, official_name, informal_name, city, status FROM authority WHERE {clause} "
        f"ORDER BY search_name, id LIMIT {PER_PAGE + 1} OFFSET 0",
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
    words = fold(args.get("q", "")).split()[:5]
    indexed = max((w for w in words if len(w) >= MIN_TRIGRAM), key=len, default=None) if dialect == "sqlite" else None
    for word in words:
        if word != indexed:
            where.append(f"authority.search_name LIKE {p} ESCAPE '\\'")
            params.append(_like(word))
    clause = " AND ".join(where)
    if indexed:
        phrase = '"' + indexed.replace('"', '""') + '"'
        extra = f" AND {partner}" if partner else ""
        total = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM authority_fts JOIN authority ON authority.id = authority_fts.rowid "
            f"WHERE authority_fts MATCH {p} AND {clause}{extra} LIMIT {COUNT_CAP + 1}) AS hits",
            [phrase, *params, *(access_params if partner else [])],
        ).fetchone()[0]
    elif access:
        total = conn.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT module_access.authority_id FROM module_access JOIN authority "
            f"ON authority.id = module_access.authority_id WHERE {' AND '.join(access)} AND {clause} LIMIT {COUNT_CAP + 1}) AS hits",
            [*access_params, *params],
        ).fetchone()[0]
    else:
        total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM authority WHERE {clause} LIMIT {COUNT_CAP + 1}) AS hits", params).fetchone()[0]
    more = total > COUNT_CAP
    if indexed:
        if more:
            clause += f" AND authority.search_name LIKE {p} ESCAPE '\\'"
            params.append(_like(indexed))
        else:
            clause += f" AND authority.id IN (SELECT rowid FROM authority_fts WHERE authority_fts MATCH {p})"
            params.append(phrase)
    if access:
        if more or indexed:
            clause += f" AND {partner}"
        else:
            clause += f" AND authority.id IN (SELECT module_access.authority_id FROM module_access WHERE {' AND '.join(access)})"
        params += access_params
    rows = conn.execute(
        "SELECT authority.id, official_name, informal_name, phone, email, website, city, country.code, country.name_en "
        f"FROM authority JOIN country ON country.id = authority.country_id WHERE {clause} "
        f"ORDER BY search_name, authority.id LIMIT {PER_PAGE + 1} OFFSET 0",
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
    p = "?" if dialect == "sqlite" else "%s"
    authority = conn.execute(f"SELECT id, official_name, country_id FROM authority WHERE id = {p}", [authority_id]).fetchone()
    rows = conn.execute(
        "SELECT module_access.id, module.code, module.name_lv, module_access.role, module_access.status, "
        "module_access.granted_at FROM module_access JOIN module ON module.id = module_access.module_id "
        f"WHERE module_access.authority_id = {p} ORDER BY module.code",
        [authority_id],
    ).fetchall()
    out = [f'<div id="tab"><h2>{html.escape(authority[1])}</h2><table><tbody>']
    for mid, code, name, role, status, granted in rows:
        out.append(
            f'<tr id="access-{mid}"><td>{html.escape(code)} — {html.escape(name)}</td><td>{role}</td>'
            f"<td>{status}</td><td>{str(granted)[:10]}</td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def app(environ, start_response):
    dialect, conn = connection()
    path = environ.get("PATH_INFO", "")
    args = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/authorities/":
        body = search(dialect, conn, args)
        if environ.get("HTTP_HX_REQUEST") != "true":
            body = f"<!doctype html><html><head><title>IMI</title></head><body><form></form>{body}</body></html>"
    elif path == "/directory/":
        body = directory(dialect, conn, args)
    elif m := re.fullmatch(r"/authorities/(\d+)/modules", path):
        body = modules_tab(dialect, conn, int(m.group(1)))
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    if dialect == "postgresql":
        conn.rollback()  # one transaction per request, as the app's session has
    data = body.encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]
