"""Error pages in pt-BR: the base layout for browsers, JSON under /api/; never a traceback.

A database error that is not the request's fault (server stopped, restarting or not answering,
no free connection, a deadlock or lock timeout: ``is_unavailable``) answers 503 with Retry-After;
any other database error (an unknown column, a value too long) is a bug and answers 500. The transaction
was rolled back, and the next request works as soon as the server is back (``pool_pre_ping``
replaces the dead connections). Its page needs no database: the layout
cannot load the user then, so a page of its own is shown.
"""
import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from app.core.db import db
from app.core.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Requisição inválida"), _l("O endereço ou o formulário traz um valor que o portal não aceita.")),
    403: (_l("Acesso negado"), _l("Você não tem permissão para acessar esta página.")),
    404: (_l("Página não encontrada"), _l("O endereço não existe ou o registro não está disponível para você.")),
    405: (_l("Operação não permitida"), _l("Esta operação não é aceita neste endereço.")),
    413: (_l("Envio grande demais"), _l("O envio passa do tamanho que o portal aceita.")),
    500: (_l("Erro interno"), _l("Ocorreu um erro inesperado. A equipe foi avisada; tente novamente mais tarde.")),
    503: (_l("Serviço indisponível"), _l("O portal está temporariamente indisponível. "
                                         "Tente novamente em alguns instantes.")),
}
CSRF_MESSAGE = _l("O formulário expirou ou não veio desta página. Recarregue a página e envie de novo.")
RETRY_AFTER_SECONDS = 30
# MariaDB/MySQL error codes of a server that cannot be reached or cannot serve now: connection
# refused or lost, server gone or shutting down, too many connections, a connection killed, a
# network timeout, a lock wait timeout or deadlock. Any other code (1054 unknown column, 1406
# data too long…) is the request's or the code's fault.
UNAVAILABLE_CODES = {1040, 1053, 1152, 1153, 1158, 1159, 1160, 1161, 1205, 1213, 1927,
                     2002, 2003, 2005, 2006, 2011, 2013, 2014, 2026, 2055, 4031}
# SQLite's own: a locked or unreadable database file.
UNAVAILABLE_SQLITE = ("database is locked", "unable to open database", "disk i/o error")


class Refused(BadRequest):
    """A 400 whose pt-BR message says what was refused (an unknown sort column, page, action)."""

    def __init__(self, message):
        super().__init__(description=str(message))
        self.message = message


def is_unavailable(error: Exception) -> bool:
    """A database that cannot be reached or cannot serve now, not an error of the request."""
    if isinstance(error, (InterfaceError, PoolTimeout)):
        return True
    if not isinstance(error, OperationalError):
        return False
    orig = error.orig
    if isinstance(orig, OSError):  # the driver's own socket error
        return True
    code = orig.args[0] if getattr(orig, "args", None) else None
    if isinstance(code, int):
        return code in UNAVAILABLE_CODES
    return any(text in str(orig).lower() for text in UNAVAILABLE_SQLITE)


def _answer(code: int, message=None):
    title, default = MESSAGES[code]
    message = message or default
    if request.path.startswith("/api/"):
        return jsonify(message=str(message)), code
    if code != 503:
        try:
            if "user" not in g:  # refused before FAB's own before-request loaded the user
                g.user = current_user
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
    if isinstance(error, CSRFError):
        return _answer(400, CSRF_MESSAGE)
    if error.code not in MESSAGES:
        return error
    return _answer(error.code, getattr(error, "message", None))


def _unexpected(error: Exception):
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return _http_error(error)
    unavailable = is_unavailable(error)
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
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _http_error)
    app.register_error_handler(Exception, _unexpected)
