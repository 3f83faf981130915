"""Index-bound name search (R-3.0, R-5.2): "rigas" finds "Rīgas", also inside a word.

``Authority.search_name`` holds the folded names. On SQLite a trigram FTS5 table
(``authority_fts``, external content = ``authority``) indexes it and is kept in step by the
model's events below; on PostgreSQL a pg_trgm GIN index serves ``LIKE '%term%'``. Both are
created with the table (``create_all``) and by migration 0003. Rows written with plain SQL
(bulk loads) need ``rebuild_search_index()`` afterwards.

Both find a term's authorities, but not in name order: for a term with many hits, a page
sorted by name would have to read every hit (or walk the name index past every miss before
the first hits — "rig" finds "Rīgas …", late in the alphabet). ``authority_name_trigram``
lists, for each trigram of each word of the folded names, the authorities that have it *in
name order* (the key is trigram, name, id): a page of a term's hits is a walk of its first
trigram's entries, stopping after the page, whatever the number of authorities. The model's
events keep it in step on both databases (migration 0005 made it).
"""

import sqlalchemy as sa

from .authorities import Authority

name_trigram = sa.Table(
    "authority_name_trigram",
    Authority.metadata,
    sa.Column("trigram", sa.String(3), primary_key=True),
    sa.Column("search_name", sa.String(610), primary_key=True),  # the sort key: Authority.search_name
    sa.Column("authority_id", sa.Integer, primary_key=True),
    sqlite_with_rowid=False,  # the key is the table: no second copy of it
)


def name_trigrams(search_name: str) -> set[str]:
    """The trigrams of the words of ``search_name``: every term of 3+ letters (a word of the
    query, so without spaces) that occurs in it contains its own first trigram among them."""
    return {word[i : i + 3] for word in (search_name or "").split() for i in range(len(word) - 2)}


def _postings(authority_id: int, search_name: str) -> list[dict]:
    return [
        {"trigram": t, "search_name": search_name, "authority_id": authority_id} for t in sorted(name_trigrams(search_name))
    ]


def add_name_postings(connection, authority_id: int, search_name: str) -> None:
    rows = _postings(authority_id, search_name)
    if rows:
        connection.execute(sa.insert(name_trigram), rows)


def delete_name_postings(connection, authority_id: int, search_name: str) -> None:
    """Delete by the whole key (no index on the id alone is needed)."""
    trigrams = sorted(name_trigrams(search_name))
    if trigrams:
        connection.execute(
            sa.delete(name_trigram).where(
                name_trigram.c.trigram.in_(trigrams),
                name_trigram.c.search_name == search_name,
                name_trigram.c.authority_id == authority_id,
            )
        )


def rebuild_name_postings(connection, batch: int = 5000) -> None:
    """Fill ``authority_name_trigram`` from the authorities (migration 0005, existing data)."""
    connection.execute(sa.delete(name_trigram))
    names = connection.execute(sa.select(Authority.id, Authority.search_name)).all()
    rows = [posting for authority_id, search_name in names for posting in _postings(authority_id, search_name)]
    for start in range(0, len(rows), batch):
        connection.execute(sa.insert(name_trigram), rows[start : start + batch])


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


# --- keeping the name postings (and SQLite's FTS table) in step with the rows -----------------

_fts = sa.table("authority_fts", sa.column("rowid"), sa.column("search_name"), sa.column("authority_fts"))
fts_table = _fts  # the FTS5 table as the searches read it (imi_web/authority_search.py)


def _fts_delete(connection, authority_id, search_name):
    connection.execute(
        sa.insert(_fts).values({"authority_fts": "delete", "rowid": authority_id, "search_name": search_name})
    )


@sa.event.listens_for(Authority, "after_insert")
def _index_after_insert(mapper, connection, authority):
    add_name_postings(connection, authority.id, authority.search_name)
    if connection.dialect.name == "sqlite":
        connection.execute(sa.insert(_fts).values(rowid=authority.id, search_name=authority.search_name))


@sa.event.listens_for(Authority, "after_update")
def _index_after_update(mapper, connection, authority):
    history = sa.inspect(authority).attrs.search_name.history
    if history.has_changes():
        old = history.deleted[0] if history.deleted else authority.search_name
        delete_name_postings(connection, authority.id, old)
        add_name_postings(connection, authority.id, authority.search_name)
        if connection.dialect.name == "sqlite":
            _fts_delete(connection, authority.id, old)
            connection.execute(sa.insert(_fts).values(rowid=authority.id, search_name=authority.search_name))


def unindex_authority(connection, authority_id: int, search_name: str) -> None:
    """Take a deleted authority out of the name indexes (also for deletes with plain SQL)."""
    delete_name_postings(connection, authority_id, search_name)
    if connection.dialect.name == "sqlite":
        _fts_delete(connection, authority_id, search_name)


@sa.event.listens_for(Authority, "after_delete")
def _index_after_delete(mapper, connection, authority):
    unindex_authority(connection, authority.id, authority.search_name)


def fts_phrase(term: str) -> str:
    """``term`` as one FTS5 phrase (quotes doubled), so no character of it is FTS syntax."""
    return '"' + term.replace('"', '""') + '"'


def include_object(obj, name, type_, reflected, compare_to):
    """For Alembic: the search index objects are made here, not by the models' metadata."""
    if type_ == "table" and name and name.startswith("authority_fts"):
        return False
    if type_ == "index" and name and name.endswith("_trgm"):
        return False
    return True
