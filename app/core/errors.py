"""Error pages in pt-BR: the base layout for browsers, JSON under /api/; never a traceback."""
import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.db import db

log = logging.getLogger(__name__)

MESSAGES = {
    403: (_l("Acesso negado"), _l("Você não tem permissão para acessar esta página.")),
    404: (_l("Página não encontrada"), _l("O endereço não existe ou o registro não está disponível para você.")),
    405: (_l("Operação não permitida"), _l("Esta operação não é aceita neste endereço.")),
    500: (_l("Erro interno"), _l("Ocorreu um erro inesperado. A equipe foi avisada; tente novamente mais tarde.")),
}


def _answer(code: int):
    title, message = MESSAGES[code]
    if request.path.startswith("/api/"):
        return jsonify(message=str(message)), code
    try:
        return render_template("pws/error.html", title=title, message=message,
                               base_template=current_app.appbuilder.base_template,
                               appbuilder=current_app.appbuilder), code
    except Exception:  # the layout itself failed (database down): plain text, still no details
        log.exception("error page could not be rendered")
        return str(message), code, {"Content-Type": "text/plain; charset=utf-8"}


def _http_error(error: HTTPException):
    return _answer(error.code)


def _unexpected(error: Exception):
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return error
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=error)
    db.session.rollback()
    return _answer(500)


def init_app(app: Flask) -> None:
    for code in (403, 404, 405):
        app.register_error_handler(code, _http_error)
    app.register_error_handler(Exception, _unexpected)
