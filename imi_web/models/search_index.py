"""Index-bound name search (R-3.0, R-5.2): "rigas" finds "Rīgas", also inside a word.

``Authority.search_name`` holds the folded names. On SQLite a trigram FTS5 table
(``authority_fts``, external content = ``authority``) indexes it and is kept in step by the
model's events below; on PostgreSQL a pg_trgm GIN index serves ``LIKE '%term%'``. Both are
created with the table (``create_all``) and by migration 0003. Rows written with plain SQL
(bulk loads) need ``rebuild_search_index()`` afterwards.
"""

import sqlalchemy as sa

from .directory import Authority

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS authority_fts USING fts5("
    "search_name, content='authority', content_rowid='id', tokenize='trigram')"
)
POSTGRES_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_authority_search_name_trgm ON authority USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_authority_search_city_trgm ON authority USING gin (search_city gin_trgm_ops)",
)
MIN_TRIGRAM = 3  # shorter terms cannot use a trigram index: they fall back to a scan


def create_search_index(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_DDL)
    elif connection.dialect.name == "postgresql":
        for statement in POSTGRES_DDL:
            connection.exec_driver_sql(statement)


def drop_search_index(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS authority_fts")


def rebuild_search_index(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO authority_fts(authority_fts) VALUES ('rebuild')")


@sa.event.listens_for(Authority.__table__, "after_create")
def _after_create(target, connection, **kw):
    create_search_index(connection)


@sa.event.listens_for(Authority.__table__, "before_drop")
def _before_drop(target, connection, **kw):
    drop_search_index(connection)


# --- keeping the SQLite FTS table in step with the rows --------------------------------------

_fts = sa.table("authority_fts", sa.column("rowid"), sa.column("search_name"), sa.column("authority_fts"))


def _fts_delete(connection, authority_id, search_name):
    connection.execute(
        sa.insert(_fts).values({"authority_fts": "delete", "rowid": authority_id, "search_name": search_name})
    )


@sa.event.listens_for(Authority, "after_insert")
def _fts_after_insert(mapper, connection, authority):
    if connection.dialect.name == "sqlite":
        connection.execute(sa.insert(_fts).values(rowid=authority.id, search_name=authority.search_name))


@sa.event.listens_for(Authority, "after_update")
def _fts_after_update(mapper, connection, authority):
    if connection.dialect.name != "sqlite":
        return
    history = sa.inspect(authority).attrs.search_name.history
    if history.has_changes():
        old = history.deleted[0] if history.deleted else authority.search_name
        _fts_delete(connection, authority.id, old)
        connection.execute(sa.insert(_fts).values(rowid=authority.id, search_name=authority.search_name))


@sa.event.listens_for(Authority, "after_delete")
def _fts_after_delete(mapper, connection, authority):
    if connection.dialect.name == "sqlite":
        _fts_delete(connection, authority.id, authority.search_name)


def fts_phrase(term: str) -> str:
    """``term`` as one FTS5 phrase (quotes doubled), so no character of it is FTS syntax."""
    return '"' + term.replace('"', '""') + '"'


def name_like(term: str):
    """The folded names contain ``term``, checked row by row (on SQLite: against the name index)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Authority.search_name.like(f"%{escaped}%", escape="\\")


def name_contains(connection_dialect: str, term: str):
    """A WHERE clause: the folded names contain ``term`` (already folded), index-bound where possible."""
    if connection_dialect == "sqlite" and len(term) >= MIN_TRIGRAM:
        return Authority.id.in_(sa.select(_fts.c.rowid).where(_fts.c.authority_fts.op("MATCH")(fts_phrase(term))))
    return name_like(term)


def include_object(obj, name, type_, reflected, compare_to):
    """For Alembic: the search index objects are made here, not by the models' metadata."""
    if type_ == "table" and name and name.startswith("authority_fts"):
        return False
    if type_ == "index" and name and name.endswith("_trgm"):
        return False
    return True
