"""OpenAPI description of /api/sync/v1, built from the contract table so the two never differ.

FAB serves it inside the project's spec (/api/v1/_openapi) with the other v1 APIs.
"""
from app.sync.contract import (
    BOOL, CHOICE, DATE, DATETIME, DECIMAL, ENTITIES, INT, MAX_BYTES, MAX_RECORDS, REF, REFS, WEB,
)

SECURITY = [{"SyncToken": []}]
FEED_ENTITIES = ("service_order", "pre_service_message", "attendance", "supply_request", "delivery",
                 "survey", "contact", "parts_request")


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _field_schema(entity, spec) -> dict:
    nullable = {"nullable": not spec.required}
    if spec.kind == REF:
        return {"type": "string", "maxLength": 40, "description": f"erp_id de {spec.target}", **nullable}
    if spec.kind == REFS:
        return {"type": "array", "items": {"type": "string", "maxLength": 40},
                "description": f"erp_id de {spec.target}"}
    if spec.kind == WEB:
        return {"type": "integer", "minimum": 1, "description": f"id de {spec.target} no portal", **nullable}
    if spec.kind == CHOICE:
        return {"type": "string", "enum": list(spec.choices), **nullable}
    simple = {BOOL: {"type": "boolean"}, INT: {"type": "integer", "minimum": 0},
              DATE: {"type": "string", "format": "date"}, DATETIME: {"type": "string", "format": "date-time"},
              DECIMAL: {"oneOf": [{"type": "number"}, {"type": "string"}],
                        "description": "número com até 2 casas decimais (ou texto, ex.: \"1234.56\")"}}
    schema = dict(simple.get(spec.kind, {"type": "string"}))
    length = entity.max_length(spec)
    if length:
        schema["maxLength"] = length
    return {**schema, **nullable}


def component_schemas() -> dict:
    schemas = {}
    for entity in ENTITIES:
        schemas[f"SyncData_{entity.name}"] = {
            "type": "object", "additionalProperties": False,
            "description": f"data de {entity.name}; obrigatórios ao incluir: "
                           + ", ".join(s.name for s in entity.fields if s.required),
            "properties": {spec.name: _field_schema(entity, spec) for spec in entity.fields},
        }
    schemas["SyncRecord"] = {
        "type": "object", "required": ["entity", "op"],
        "properties": {
            "entity": {"type": "string", "enum": [e.name for e in ENTITIES]},
            "op": {"type": "string", "enum": ["upsert", "delete"]},
            "erp_id": {"type": "string", "maxLength": 40,
                       "description": "obrigatório, exceto para supply_request e parts_request "
                                      "(chave: data.web_id)"},
            "data": {"oneOf": [_ref(f"SyncData_{e.name}") for e in ENTITIES]},
        },
    }
    schemas["SyncBatch"] = {
        "type": "object", "required": ["batch_id", "records"],
        "properties": {"batch_id": {"type": "string", "maxLength": 64},
                       "records": {"type": "array", "maxItems": MAX_RECORDS, "items": _ref("SyncRecord")}},
    }
    schemas["SyncBatchResult"] = {
        "type": "object",
        "properties": {"batch_id": {"type": "string"}, "applied": {"type": "integer"},
                       "created": {"type": "integer"}, "updated": {"type": "integer"},
                       "deleted": {"type": "integer"}, "server_time": {"type": "string", "format": "date-time"}},
    }
    schemas["SyncErrors"] = {
        "type": "object",
        "properties": {"message": {"type": "string"}, "errors": {"type": "array", "items": {
            "type": "object", "properties": {
                "index": {"type": "integer", "nullable": True}, "entity": {"type": "string", "nullable": True},
                "erp_id": {"type": "string", "nullable": True}, "field": {"type": "string", "nullable": True},
                "message": {"type": "string"}}}}},
    }
    schemas["SyncMessage"] = {"type": "object", "properties": {"message": {"type": "string"}}}
    schemas["SyncChange"] = {
        "type": "object",
        "properties": {"seq": {"type": "integer"}, "entity": {"type": "string", "enum": list(FEED_ENTITIES)},
                       "op": {"type": "string"}, "web_id": {"type": "integer", "nullable": True},
                       "erp_id": {"type": "string", "nullable": True},
                       "at": {"type": "string", "format": "date-time"}, "data": {"type": "object"}},
    }
    schemas["SyncChanges"] = {
        "type": "object",
        "properties": {"changes": {"type": "array", "items": _ref("SyncChange")},
                       "next_cursor": {"type": "string"}, "has_more": {"type": "boolean"}},
    }
    schemas["SyncAck"] = {"type": "object", "required": ["cursor"], "properties": {"cursor": {"type": "string"}}}
    schemas["SyncAckResult"] = {"type": "object", "properties": {
        "cursor": {"type": "string"}, "pending": {"type": "integer"}}}
    schemas["SyncHeartbeat"] = {"type": "object", "properties": {
        "agent": {"type": "string", "maxLength": 120}, "version": {"type": "string", "maxLength": 40}}}
    schemas["SyncHeartbeatResult"] = {"type": "object", "properties": {
        "server_time": {"type": "string", "format": "date-time"}, "acked_cursor": {"type": "string"},
        "pending": {"type": "integer"}}}
    return schemas


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


UNAUTHORIZED = _json("SyncMessage", "Token ausente, inválido ou revogado")

OPERATIONS = {
    "batch": {"post": {
        "summary": "Envia dados mestres e alterações do ERP (tudo ou nada, idempotente por batch_id)",
        "description": f"No máximo {MAX_RECORDS} registros e {MAX_BYTES // (1024 * 1024)} MiB por lote. "
                       "Referências *_erp_id podem apontar para registros posteriores do mesmo lote. "
                       "delete desativa. Um batch_id já aplicado devolve o resultado original "
                       "(cabeçalho Idempotent-Replayed: true).",
        "security": SECURITY, "requestBody": _body("SyncBatch"),
        "responses": {"200": _json("SyncBatchResult", "Lote aplicado (ou já aplicado antes)"),
                      "400": _json("SyncMessage", "Corpo não é JSON"), "401": UNAUTHORIZED,
                      "409": _json("SyncMessage", "batch_id já aplicado com outro conteúdo"),
                      "413": _json("SyncMessage", "Mais registros ou bytes que o limite"),
                      "422": _json("SyncErrors", "Registros inválidos: nada foi aplicado"),
                      "503": _json("SyncMessage", "Conflito com gravação simultânea: reenvie")},
    }},
    "changes": {"get": {
        "summary": "Alterações feitas no portal, em ordem de seq",
        "description": "Sem after, continua do cursor confirmado (ack) do token. Ler não altera nada.",
        "security": SECURITY,
        "parameters": [
            {"in": "query", "name": "after", "schema": {"type": "string"}, "required": False,
             "description": "cursor: o next_cursor da página anterior"},
            {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                                        "default": 500}, "required": False},
        ],
        "responses": {"200": _json("SyncChanges", "Uma página do feed"),
                      "400": _json("SyncMessage", "Parâmetro inválido"), "401": UNAUTHORIZED,
                      "410": _json("SyncMessage", "Cursor expirado pela retenção ou desconhecido: "
                                                  "ressincronize")},
    }},
    "ack": {"post": {
        "summary": "Confirma até onde o sincronizador processou o feed",
        "security": SECURITY, "requestBody": _body("SyncAck"),
        "responses": {"200": _json("SyncAckResult", "Cursor registrado"), "401": UNAUTHORIZED,
                      "422": _json("SyncMessage", "Cursor inválido")},
    }},
    "heartbeat": {"post": {
        "summary": "Sinal de vida do sincronizador (o monitor avisa após 5 minutos sem sinal)",
        "security": SECURITY, "requestBody": {"required": False, "content": {
            "application/json": {"schema": _ref("SyncHeartbeat")}}},
        "responses": {"200": _json("SyncHeartbeatResult", "Registrado"), "401": UNAUTHORIZED},
    }},
}
