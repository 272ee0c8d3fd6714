"""Counts the SQL statements one request issues (to prove lists don't grow with their rows)."""
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_queries(app):
    with app.app_context():
        from app.core.db import db

        engine = db.engine
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
