"""The Alembic migrations build exactly the schema the models declare (SQLite and MariaDB)."""
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import String, create_engine, inspect, text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import make_url

from app.core.db import db
from tests.conftest import DATABASE_URL, make_app


def _fresh_database_url() -> str:
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='pws-mig-')}/migrated.db"
    name = f"{url.database}_migrations"
    server = create_engine(url.set(database=None))
    with server.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _declared_collations() -> dict:
    """Alembic's comparison ignores collations: each text column's, as the models declare it
    (None: the database's default; JSON columns are MariaDB's own utf8mb4_bin, not compared)."""
    if make_url(DATABASE_URL).get_backend_name() == "sqlite":
        return {}
    dialect = mysql.dialect()
    return {(table.name, column.name): getattr(column.type.dialect_impl(dialect), "collation", None)
            for table in db.metadata.sorted_tables for column in table.columns
            if isinstance(column.type.dialect_impl(dialect), String)}


def _collations(app) -> dict:
    if make_url(DATABASE_URL).get_backend_name() == "sqlite":
        return {}
    with app.app_context(), db.engine.connect() as conn:
        default = conn.execute(text("SELECT @@collation_database")).scalar()
        rows = conn.execute(text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND collation_name IS NOT NULL")).all()
        db.engine.dispose()
    return {(table, column): None if collation == default else collation
            for table, column, collation in rows if (table, column) in _declared_collations()}


def _tables_without_primary_key(app) -> list[str]:
    """The migrated tables (alembic's own too) that have no primary key."""
    with app.app_context(), db.engine.connect() as conn:
        inspector = inspect(conn)
        missing = [name for name in inspector.get_table_names()
                   if not inspector.get_pk_constraint(name)["constrained_columns"]]
        db.engine.dispose()
    return missing


def test_migrations_match_the_models_and_init_seeds_them():
    app = make_app(SQLALCHEMY_DATABASE_URI=_fresh_database_url())
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
        db.engine.dispose()
    assert diff == [], "models and migrations disagree; add a migration:\n" + "\n".join(map(str, diff))
    assert _tables_without_primary_key(app) == [], "Galera replicates rows by their primary key"
    assert _collations(app) == _declared_collations(), "a column's collation differs from its model"

    result = app.test_cli_runner().invoke(args=["pws", "init", "--no-migrate"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(
        args=["pws", "create-admin", "--email", "admin@x.test", "--password", "Senha-forte-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = app.appbuilder.sm.find_user(email="admin@x.test")
        assert [role.name for role in admin.roles] == ["Admin Revenda"]
        assert len(admin.roles[0].permissions) > 50
        db.engine.dispose()


def test_outbox_rows_with_many_addresses_become_one_row_an_address():
    """Messages written before one row a recipient may list more addresses than the address
    column holds: the upgrade gives each its own copy of the message, nothing cut."""
    app = make_app(SQLALCHEMY_DATABASE_URI=_fresh_database_url())
    addresses = [f"pessoa.{n:02d}.com.um.nome.bem.comprido@cliente-numero-{n}.com.br" for n in range(8)]
    with app.app_context():
        upgrade(revision="0019")
        with db.engine.begin() as conn:
            for recipients in (",".join(addresses), "sozinho@cliente.com.br"):
                conn.execute(text(
                    "INSERT INTO outbox_message (kind, recipients, subject, body_text, body_html, status, attempts, "
                    "created_at, next_attempt_at) VALUES ('contact', :r, 'Assunto', 'texto', '<p>html</p>', "
                    "'sent', 1, '2026-01-02 10:00:00', '2026-01-02 10:00:00')"), {"r": recipients})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT recipients, subject, body_text, status FROM outbox_message "
                                     "ORDER BY id")).all()
        db.engine.dispose()
    assert len(",".join(addresses)) > 320
    assert sorted(row[0] for row in rows) == sorted(addresses + ["sozinho@cliente.com.br"])
    assert {tuple(row[1:]) for row in rows} == {("Assunto", "texto", "sent")}
