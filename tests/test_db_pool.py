"""Pooled connections go back to the pool with no transaction open, after one rollback at most."""
from sqlalchemy import event, text

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


def test_a_session_whose_connection_was_lost_rolls_back(app):
    """A request that lost its database connection ends with a rollback (which also discards the
    files it stored), not with a second error."""
    rolled_back = []
    with app.app_context():
        event.listen(db.session(), "after_soft_rollback", lambda *_args: rolled_back.append(True))
        db.session.execute(text("SELECT 1"))
        db.session.connection().invalidate()  # as when the server went away mid-request
        db.session.rollback()
        assert rolled_back == [True]
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # and the next use reconnects
