"""create_app(): configuration, extensions, views and CLI — nothing happens at import time."""
import gc
import logging

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEV_SECRET_KEY, config_for

migrate = Migrate(render_as_batch=True, compare_type=True)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_for())
    if overrides:
        app.config.update(overrides)
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in production (PWS_ENV=production).")
    if app.config["PWS_PROXY_COUNT"]:
        # Behind N reverse proxies: the client's address and scheme come from their X-Forwarded-*
        # headers (rate limits per client, logged IPs, HTTPS). The Host header is never trusted.
        count = app.config["PWS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

    from app.accounts import sessions
    from app.accounts.principal import principal_for_request
    from app.core import bounds, errors, files, headers, health, idempotency, redirects
    from app.core import views as core_views
    from app.core.scoping import use_principal_loader
    from app.core.db import (IdConverter, apply_timeouts, db, one_rollback_on_return,
                             remove_sessions_safely, track_transactions, use_auto_increment_ids)

    app.url_map.converters["int"] = IdConverter  # before any route is added
    apply_timeouts(app.config)
    files.fence_pillow(app.config)
    one_rollback_on_return(app.config)
    db.init_app(app)
    remove_sessions_safely(app)
    with app.app_context():
        use_auto_increment_ids(db.engine)
        track_transactions(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    # Before AppBuilder, so FAB's forms and deletes need a token. One per app: FAB records its
    # exempt API blueprints on it, which a shared instance would keep alive after the app.
    CSRFProtect(app)
    headers.init_app(app)
    app.jinja_env.globals["form_token"] = idempotency.form_token
    sessions.init_app(app)
    use_principal_loader(app, principal_for_request)
    redirects.init_app(app)
    errors.init_app(app)
    core_views.init_app(app)
    bounds.init_app(app)
    app.register_blueprint(health.health)

    from app import models  # noqa: F401  every table registered on the metadata
    from app.indicators import outcomes  # noqa: F401  calls' SLA outcomes kept current on commit

    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from app.registry import register_all

        register_all(app, appbuilder)

    from app.cli import pws_cli

    app.cli.add_command(pws_cli)
    return app


def settle(app: Flask) -> Flask:
    """For a process that serves the app (gunicorn's workers, ``flask run``): the objects built at
    start-up (FAB's views, the models' metadata, the catalogs; nine in ten of the heap) are moved
    out of the garbage collector's reach. Its full collections otherwise walk them every few
    hundred requests, a 0.1–0.45 s pause for whoever's request it falls on; frozen, 5 ms. Not
    for the test suite, which builds many apps in one process and would keep them all."""
    gc.freeze()
    return app
