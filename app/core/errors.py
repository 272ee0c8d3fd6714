"""Error pages in pt-BR: the base layout for browsers, JSON under /api/; never a traceback.

A database error that is not the request's fault (server stopped, restarting or not answering,
no free connection, a deadlock or lock timeout) answers 503 with Retry-After: the transaction
was rolled back, and the next request works as soon as the server is back (``pool_pre_ping``
replaces the dead connections). Its page needs no database: the layout
cannot load the user then, so a page of its own is shown.
"""
import logging

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.db import db
from app.core.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

MESSAGES = {
    403: (_l("Acesso negado"), _l("Você não tem permissão para acessar esta página.")),
    404: (_l("Página não encontrada"), _l("O endereço não existe ou o registro não está disponível para você.")),
    405: (_l("Operação não permitida"), _l("Esta operação não é aceita neste endereço.")),
    500: (_l("Erro interno"), _l("Ocorreu um erro inesperado. A equipe foi avisada; tente novamente mais tarde.")),
    503: (_l("Serviço indisponível"), _l("O portal está temporariamente indisponível. "
                                         "Tente novamente em alguns instantes.")),
}
# Errors of a database that cannot be reached, not of the request: answered 503.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 30


def _answer(code: int):
    title, message = MESSAGES[code]
    if request.path.startswith("/api/"):
        return jsonify(message=str(message)), code
    if code != 503:
        try:
            return render_template("pws/error.html", title=title, message=message,
                                   base_template=current_app.appbuilder.base_template,
                                   appbuilder=current_app.appbuilder), code
        except Exception:  # the layout itself failed (database down): the page without it
            log.exception("error page could not be rendered")
    # Straight from Jinja: render_template's context processors would load the user again.
    page = current_app.jinja_env.get_template("pws/error_standalone.html")
    return page.render(title=title, message=message, app_name=current_app.config["APP_NAME"]), code


def rollback_quietly() -> None:
    """Roll the failed request back; on a connection the server dropped there is nothing to undo."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it
        log.warning("rollback after an error failed", exc_info=True)


def _http_error(error: HTTPException):
    return _answer(error.code)


def _unexpected(error: Exception):
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return error
    unavailable = isinstance(error, UNAVAILABLE)
    if unavailable:
        log.error("database unavailable on %s %s: %s", request.method, request.path,
                  getattr(error, "orig", None) or type(error).__name__)
    else:
        log.exception("unexpected error on %s %s", request.method, request.path, exc_info=error)
    rollback_quietly()
    if not unavailable:
        return _answer(500)
    body, code = _answer(503)
    return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def init_app(app: Flask) -> None:
    for code in (403, 404, 405):
        app.register_error_handler(code, _http_error)
    app.register_error_handler(Exception, _unexpected)
