"""Rules that must hold whatever arrives at the same time (issue 15).

"Never the last administrator" (R-3.6) and "never the last access manager" (R-3.5) are checks
of the form *count the others, then change*. Two requests that each count the other one and
then change (two administrators demoting each other) would leave none. So the change that
could remove the last one first takes a lock on the authority's row, and only then counts,
with a fresh query (never a relationship loaded earlier in the request):

- PostgreSQL: ``SELECT … FOR UPDATE`` on the authority row. A second transaction waits there
  until the first commits; in READ COMMITTED its count then sees the first one's change.
- SQLite: one writer at a time for the whole database. A no-op ``UPDATE`` of the authority
  row takes the write lock now (waiting up to the busy timeout), before the count, instead of
  at the first write after it. pysqlite opens the transaction at the first write, so the reads
  before it held no snapshot that could be out of date.

Every change that can take away an administrator or an access manager of an authority calls
``lock_authority`` before counting; the README's "Rules under concurrency" lists the others.
"""

import sqlalchemy as sa

from .extensions import db


def lock_authority(authority_id: int) -> None:
    """Hold the authority's row (PostgreSQL) or the database's write lock (SQLite) until commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT id FROM authority WHERE id = :id FOR UPDATE"), {"id": authority_id})
    else:
        # Plain SQL: the ORM's UPDATE would also set updated_at (onupdate).
        db.session.execute(sa.text("UPDATE authority SET id = id WHERE id = :id"), {"id": authority_id})
