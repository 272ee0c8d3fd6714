"""Pooled connections go back to the pool with no transaction open, after one rollback at most."""
from sqlalchemy import text

from app.core.db import db


def test_a_transaction_left_open_is_rolled_back_when_its_connection_returns(app):
    with app.app_context():
        db.engine.dispose()  # one connection in the pool: the next checkout gets it back
        raw = db.engine.raw_connection()  # the driver's connection: no SQLAlchemy transaction
        driver = raw.dbapi_connection
        cursor = raw.cursor()
        cursor.execute("INSERT INTO defect_type (name, category, listed_on_portal, active, "
                       "created_at, updated_at) VALUES ('PAPEL ENROSCADO', 'with_contract', 0, 1, "
                       "'2026-11-02 12:00:00', '2026-11-02 12:00:00')")
        cursor.close()
        raw.close()  # back to the pool without a commit
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection is driver
            assert connection.execute(text("SELECT count(*) FROM defect_type")).scalar() == 0


def test_a_committed_session_keeps_its_rows_on_the_reused_connection(app, db_ctx):
    with db_ctx() as session:
        session.execute(text("INSERT INTO defect_type (name, category, listed_on_portal, active, "
                             "created_at, updated_at) VALUES ('TONER FRACO', 'with_contract', 0, 1, "
                             "'2026-11-02 12:00:00', '2026-11-02 12:00:00')"))
        session.commit()
    with db_ctx() as session:
        assert session.execute(text("SELECT name FROM defect_type")).scalars().all() == ["TONER FRACO"]
