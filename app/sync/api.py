"""/api/sync/v1 — the ERP synchronizer's API (api.md §1).

A FAB BaseApi (so the endpoints join the project's OpenAPI spec) with its own bearer-token
authentication instead of user permissions; CSRF-exempt (no cookies are involved), JSON errors
on every path, and the system principal for everything it reads and writes.
"""
import gc
import json
import logging
import re
from contextlib import contextmanager
from functools import wraps

from apispec.exceptions import DuplicateComponentNameError
from flask import g, jsonify, request
from flask_appbuilder.api import BaseApi, expose
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from app.core.db import db
from app.core.errors import RETRY_AFTER_SECONDS, is_unavailable, rollback_quietly
from app.core.scoping import SYSTEM
from app.sync import openapi, services
from app.sync.contract import MAX_BYTES
from app.sync.services import SyncError

log = logging.getLogger(__name__)
PREFIX = "/api/sync/v1"
SMALL_BODY = 64 * 1024
MAX_DEPTH = 64  # levels of arrays and objects in a body; the contract's own need 5
# A \uD800–\uDFFF escape: half of a pair, or alone (then not a character at all).
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")
# One JSON string, or one bracket: enough to follow the nesting of a body too deep to decode.
JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def error_response(status: int, message: str, errors: list | None = None, headers: dict | None = None):
    body = {"message": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def token_required(view):
    """Bearer token or 401; then the request runs as the system principal."""

    @wraps(view)
    def wrapper(self, *args, **kwargs):
        token = services.authenticate(request.headers.get("Authorization"))
        if token is None:
            return error_response(401, _("Token de sincronismo ausente, inválido ou revogado."),
                                  headers={"WWW-Authenticate": 'Bearer realm="pws-sync"'})
        g.pws_principal = SYSTEM
        return view(self, token, *args, **kwargs)

    return wrapper


def _json_body(limit: int):
    """The body decoded: 413 past ``limit`` bytes whether or not a Content-Length announced it
    (a chunked body is read one byte past the limit to know), 400 for JSON that is not UTF-8 or
    nests deeper than MAX_DEPTH, 422 for text with a lone surrogate (not Unicode at all).
    Refusals name the record and the field."""
    request.max_content_length = limit + 1
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise SyncError(413, _("Corpo da requisição grande demais."))
    if not raw.strip():
        return {}
    try:
        payload = json.loads(raw)
    except RecursionError:
        raise SyncError(400, _("JSON aninhado demais: no máximo %(max)d níveis.", max=MAX_DEPTH),
                        [_where_too_deep(raw)]) from None
    except UnicodeDecodeError:
        raise SyncError(400, _("O corpo não é UTF-8 válido.")) from None
    except ValueError:
        raise SyncError(400, _("O corpo não é um JSON válido.")) from None
    deep = _first_too_deep(payload)
    if deep is not None:
        raise SyncError(400, _("JSON aninhado demais: no máximo %(max)d níveis.", max=MAX_DEPTH),
                        [_about(payload, deep)])
    if SURROGATE_ESCAPE.search(raw):
        lone = _first_lone_surrogate(payload)
        if lone is not None:
            error = _about(payload, lone, _("Texto com Unicode inválido (surrogate isolado)."))
            raise SyncError(422, _("Lote recusado: nada foi aplicado."), [error])
    return payload


def _first_too_deep(value, depth=1, path=()):
    """The path to the first array or object nested past MAX_DEPTH, or None."""
    if depth > MAX_DEPTH:
        return path
    items = value.items() if type(value) is dict else enumerate(value) if type(value) is list else ()
    for key, item in items:
        if type(item) is dict or type(item) is list:
            found = _first_too_deep(item, depth + 1, (*path, key))
            if found is not None:
                return found
    return None


def _first_lone_surrogate(value, path=()):
    """The path to the first text (value or key) holding a lone surrogate, or None."""
    if type(value) is str:
        return path if SURROGATE.search(value) else None
    items = value.items() if type(value) is dict else enumerate(value) if type(value) is list else ()
    for key, item in items:
        if type(key) is str and SURROGATE.search(key):
            return (*path, key)
        found = _first_lone_surrogate(item, (*path, key))
        if found is not None:
            return found
    return None


def _about(payload, path, message=None) -> dict:
    """A refusal in the batch's error format: the record (index, entity, erp_id) a path leads
    into, and the field ("data.name"); outside the records, the path itself."""
    if len(path) >= 2 and path[0] == "records" and type(path[1]) is int:
        record = payload["records"][path[1]]
        record = record if type(record) is dict else {}
        erp_id = record.get("erp_id")
        return {"index": path[1], "entity": _text_or_none(record.get("entity")),
                "erp_id": _text_or_none(erp_id), "field": ".".join(map(str, path[2:4])) or None,
                "message": str(message or _("Aninhado demais."))}
    return {"index": None, "entity": None, "erp_id": None, "field": ".".join(map(str, path)) or None,
            "message": str(message or _("Aninhado demais."))}


def _text_or_none(value):
    return value if type(value) is str and not SURROGATE.search(value) else None


def _where_too_deep(raw: bytes) -> dict:
    """Where a body too deep for the decoder goes past MAX_DEPTH: the record (its position in
    ``records``) and the field, read from the raw text."""
    depth, record, key, record_depth, field = 0, -1, None, None, None
    for token in JSON_TOKEN.finditer(raw):
        text = token[0]
        if text[:1] == b'"':
            key = text
            continue
        if text in (b"[", b"{"):
            depth += 1
            if record_depth is None and depth == 2 and key == b'"records"':
                record_depth = 3
            elif depth == record_depth:
                record = record + 1
            elif record_depth and depth == record_depth + 2 and key is not None:
                field = key.strip(b'"').decode("utf-8", "replace")
            if depth > MAX_DEPTH:
                break
        else:
            depth -= 1
        key = None if text in (b"[", b"]", b"}") else key
    if record_depth is None or record < 0:
        return {"index": None, "entity": None, "erp_id": None, "field": None,
                "message": str(_("Aninhado demais."))}
    return {"index": record, "entity": None, "erp_id": None,
            "field": f"data.{field}" if field else None, "message": str(_("Aninhado demais."))}


@contextmanager
def _collector_paused():
    """No cyclic garbage collection while a batch is handled: its ~100,000 decoded objects live
    until the answer, and each full collection they trigger would walk them and the whole
    application for nothing (about a quarter of the CPU a 5,000-record batch costs). They are
    freed by reference counting when the request's frames end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class SyncApi(BaseApi):
    route_base = PREFIX
    resource_name = "sync"
    openapi_spec_tag = "Sincronismo"
    openapi_spec_methods = openapi.OPERATIONS
    csrf_exempt = True

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.register_error_handler(SyncError, _sync_error)
        blueprint.register_error_handler(HTTPException, _http_error)
        blueprint.register_error_handler(Exception, _unexpected_error)
        blueprint.after_request(_no_store)
        return blueprint

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        try:
            api_spec.components.security_scheme("SyncToken", {"type": "http", "scheme": "bearer"})
            for name, schema in openapi.component_schemas().items():
                api_spec.components.schema(name, schema)
        except DuplicateComponentNameError:
            pass

    @expose("/batch", methods=["POST"])
    @token_required
    def batch(self, token):
        """Master data and ERP-side changes, all or nothing.
        ---
        post:
          summary: batch
        """
        if (request.content_length or 0) > MAX_BYTES:
            raise SyncError(413, _("O lote passa de 10 MiB."))
        with _collector_paused():
            outcome = services.receive_batch(token, _json_body(MAX_BYTES))
        response = self.response(200, **outcome.body)
        if outcome.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @expose("/changes", methods=["GET"])
    @token_required
    def changes(self, token):
        """The portal's changes after a cursor, in seq order.
        ---
        get:
          summary: changes
        """
        after = request.args.get("after", "")
        after = services.parse_cursor(after, field_name="after") if after.strip() else None
        limit = services.parse_cursor(request.args.get("limit", "500"), field_name="limit")
        return self.response(200, **services.changes_after(token, after, limit))

    @expose("/changes/ack", methods=["POST"])
    @token_required
    def ack(self, token):
        """How far the synchronizer got.
        ---
        post:
          summary: ack
        """
        payload = _json_body(SMALL_BODY)
        cursor = payload.get("cursor") if isinstance(payload, dict) else None
        cursor = services.parse_cursor(cursor, status=422)
        return self.response(200, **services.acknowledge(token, cursor))

    @expose("/heartbeat", methods=["POST"])
    @token_required
    def heartbeat(self, token):
        """A sign of life.
        ---
        post:
          summary: heartbeat
        """
        return self.response(200, **services.heartbeat(token, _json_body(SMALL_BODY)))


def _sync_error(error: SyncError):
    db.session.rollback()
    return error_response(error.status, str(error), error.errors)


def _http_error(error: HTTPException):
    db.session.rollback()
    messages = {413: _("Corpo da requisição grande demais."), 404: _("Rota não encontrada."),
                405: _("Método não permitido.")}
    return error_response(error.code or 500, messages.get(error.code, error.description))


def _unexpected_error(error: Exception):
    rollback_quietly()
    if is_unavailable(error):
        log.error("sync API: database unavailable: %s", getattr(error, "orig", None) or type(error).__name__)
        return error_response(503, _("Banco de dados indisponível; envie o lote novamente em alguns instantes."),
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    log.exception("sync API: unexpected error", exc_info=error)
    return error_response(500, _("Erro interno; tente novamente. O lote não foi aplicado."))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def json_routing_errors():
    """Unknown paths and wrong methods under /api/sync/ answer JSON too (they never reach the
    blueprint's handlers)."""
    error = request.routing_exception
    if isinstance(error, (NotFound, MethodNotAllowed)) and request.path.startswith(PREFIX + "/"):
        headers = {"Allow": ", ".join(sorted(error.valid_methods))} if isinstance(error, MethodNotAllowed) else {}
        return _no_store(error_response(error.code, _("Rota não encontrada.") if error.code == 404
                                        else _("Método não permitido."), headers=headers))
    return None
