"""create_app(): configuration, extensions, views and CLI — nothing happens at import time."""
import logging

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from config import DEV_SECRET_KEY, config_for

migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_for())
    if overrides:
        app.config.update(overrides)
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in production (PWS_ENV=production).")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

    from app.accounts import sessions
    from app.core import errors, headers, redirects
    from app.core.db import IdConverter, db, use_auto_increment_ids

    app.url_map.converters["int"] = IdConverter  # before any route is added
    db.init_app(app)
    with app.app_context():
        use_auto_increment_ids(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)  # before AppBuilder, so FAB's forms and deletes need a token
    headers.init_app(app)
    sessions.init_app(app)
    redirects.init_app(app)
    errors.init_app(app)

    from app import models  # noqa: F401  every table registered on the metadata

    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from app.registry import register_all

        register_all(app, appbuilder)

    from app.cli import pws_cli

    app.cli.add_command(pws_cli)
    return app
