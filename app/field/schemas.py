"""The technicians' app API payloads: one marshmallow schema per body, used both to validate
(with pt-BR messages) and to document the API in OpenAPI."""
from datetime import timedelta

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.calls.models import PartsRequest
from app.core.bounds import bounds
from app.core.db import utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.timefmt import to_naive_utc
from app.field.geo import valid_coordinates
from app.field.models import Attendance, AttendanceEvent, AttendancePhoto

MAX_EVENTS_PER_BATCH = 200
MAX_POINTS_PER_BATCH = 1000
UID_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"
# A device clock this far ahead of the server is wrong, not early.
MAX_CLOCK_AHEAD = timedelta(hours=24)
ROW_ID = validate.Range(1, 2**31 - 1, error=_l("Número inválido."))

MESSAGES = {
    "required": _l("Campo obrigatório."),
    "null": _l("Campo obrigatório."),
    "invalid": _l("Valor inválido."),
    "type": _l("Valor inválido."),
    "invalid_awareness": _l("Informe data e hora ISO 8601 com fuso horário (ex.: 2026-11-27T14:05:00-03:00)."),
    "format": _l("Data e hora inválida."),
    "special": _l("Número inválido."),
    "too_large": _l("Número grande demais."),
    "not_integer": _l("Informe um número inteiro."),
    "validator_failed": _l("Valor inválido."),
}


def _messages(**extra):
    return {**MESSAGES, **extra}


def uid_field(description: str):
    return fields.String(
        required=True, validate=validate.Regexp(UID_PATTERN, error=_l(
            "Identificador gerado pelo aparelho: 8 a 64 letras, números, '.', '_', ':' ou '-'.")),
        error_messages=_messages(),
        metadata={"description": description, "example": "4b0c7e0e-3f7a-4f0e-9d36-1f6b1d2a9e10"})


def device_time_field(description: str, required=True):
    return fields.AwareDateTime(format="iso", required=required, allow_none=not required,
                                error_messages=_messages(),
                                metadata={"description": description, "example": "2026-11-27T14:05:00-03:00"})


def coordinate(low: int, high: int, error, required: bool):
    return fields.Float(required=required, allow_none=not required, allow_nan=False,
                        validate=validate.Range(low, high, error=error),
                        error_messages=_messages(), metadata={"description": "WGS-84, graus"})


def latitude(required: bool):
    return coordinate(-90, 90, _l("Latitude deve estar entre {min} e {max}."), required)


def longitude(required: bool):
    return coordinate(-180, 180, _l("Longitude deve estar entre {min} e {max}."), required)


def text(max_length, description: str, required=False):
    """A text up to ``max_length`` characters, or up to what the column it is stored in holds."""
    if not isinstance(max_length, int):
        max_length = bounds(max_length).max_length
    return fields.String(required=required, allow_none=not required,
                         validate=validate.Length(max=max_length, error=_l("No máximo {max} caracteres.")),
                         error_messages=_messages(), metadata={"description": description})


class PortalSchema(Schema):
    class Meta:
        unknown = EXCLUDE


def _check_device_time(value):
    if value is not None and to_naive_utc(value) > utcnow() + MAX_CLOCK_AHEAD:
        raise ValidationError(_l("Data e hora no futuro: verifique o relógio do aparelho."))


class PositionMixin:
    """Latitude and longitude come together, inside their ranges, and not the GPS's 0,0."""

    @validates_schema
    def _position(self, data, **kwargs):
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if latitude is None and longitude is None and not self.position_required:
            return
        if latitude is None or longitude is None or not valid_coordinates(latitude, longitude):
            raise ValidationError(_l("Coordenadas GPS inválidas."), field_name="latitude")


class EventSchema(PositionMixin, PortalSchema):
    position_required = False
    uid = uid_field("Identificador do evento gerado pelo aparelho (repetir o envio não duplica).")
    kind = fields.String(required=True, validate=validate.OneOf(
        AttendanceEvent.KINDS, error=_l("Evento inválido: use {choices}.")),
        error_messages=_messages(), metadata={"enum": list(AttendanceEvent.KINDS)})
    device_time = device_time_field("Hora do aparelho quando o evento aconteceu.")
    latitude = latitude(required=False)
    longitude = longitude(required=False)
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(0, 100_000),
                              error_messages=_messages(), metadata={"description": "Precisão (m)"})

    @validates_schema
    def _clock(self, data, **kwargs):
        try:
            _check_device_time(data.get("device_time"))
        except ValidationError as error:
            raise ValidationError(error.messages, field_name="device_time") from None


class EventBatchSchema(PortalSchema):
    events = fields.List(fields.Nested(EventSchema), required=True, validate=validate.Length(
        1, MAX_EVENTS_PER_BATCH, error=_l("Envie de {min} a {max} eventos.")),
        error_messages=_messages())


class PointSchema(PositionMixin, PortalSchema):
    position_required = True
    uid = uid_field("Identificador do ponto gerado pelo aparelho.")
    recorded_at = device_time_field("Hora do aparelho em que a posição foi lida.")
    latitude = latitude(required=True)
    longitude = longitude(required=True)
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(0, 100_000),
                              error_messages=_messages(), metadata={"description": "Precisão (m)"})
    attendance_id = fields.Integer(allow_none=True, strict=True, validate=ROW_ID, error_messages=_messages(),
                                   metadata={"description": "Atendimento em curso, se houver."})

    @validates_schema
    def _clock(self, data, **kwargs):
        try:
            _check_device_time(data.get("recorded_at"))
        except ValidationError as error:
            raise ValidationError(error.messages, field_name="recorded_at") from None


class PointBatchSchema(PortalSchema):
    points = fields.List(fields.Nested(PointSchema), required=True, validate=validate.Length(
        1, MAX_POINTS_PER_BATCH, error=_l("Envie de {min} a {max} pontos.")),
        error_messages=_messages())


class StartSchema(PortalSchema):
    uid = uid_field("Identificador do atendimento gerado pelo aparelho.")
    call_id = fields.Integer(required=True, strict=True, validate=ROW_ID, error_messages=_messages(),
                             metadata={"description": "Número web do chamado (ordem de serviço)."})
    started_at = device_time_field("Hora do aparelho no início.", required=False)


class PartSchema(PortalSchema):
    code = text(40, "Código da peça")
    description = text(200, "Descrição", required=True)
    quantity = fields.Float(required=True, allow_nan=False, validate=validate.Range(
        min=0, min_inclusive=False, max=100_000, error=_l("Quantidade inválida.")), error_messages=_messages())


class CounterSchema(PortalSchema):
    name = text(60, "Contador (ex.: Total, P&B, Cor)", required=True)
    value = fields.Integer(required=True, strict=True, validate=validate.Range(
        0, 10**12, error=_l("Contador inválido.")), error_messages=_messages())


class ReportSchema(PortalSchema):
    services = text(Attendance.services, "Serviços executados")
    parts = fields.List(fields.Nested(PartSchema), load_default=list, validate=validate.Length(
        max=100, error=_l("No máximo {max} peças.")), error_messages=_messages())
    counters = fields.List(fields.Nested(CounterSchema), load_default=list, validate=validate.Length(
        max=20, error=_l("No máximo {max} contadores.")), error_messages=_messages())
    notes = text(Attendance.notes, "Observações")
    pending = fields.Boolean(load_default=False, error_messages=_messages(), metadata={
        "description": "Ficou pendência (peça, rede, energia…): o chamado vai para P em vez de O."})


class RequestedPartSchema(PortalSchema):
    part_id = fields.Integer(allow_none=True, strict=True, validate=ROW_ID, error_messages=_messages(),
                             metadata={"description": "Peça da lista do ILUX (GET …/pecas); vazio: descreva"})
    description = text(200, "Descrição da peça, quando o ILUX não tem a peça na lista")
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(
        1, 999, error=_l("A quantidade deve ficar entre {min} e {max}.")), error_messages=_messages())

    @validates_schema
    def _part_or_description(self, data, **_kwargs):
        if data.get("part_id") is None and not (data.get("description") or "").strip():
            raise ValidationError(_l("Escolha a peça da lista ou descreva-a."), "description")


class PartsRequestSchema(PortalSchema):
    """Peças solicitadas (needed to finish the call), not the parts used in the report."""

    uid = uid_field("Identificador da solicitação gerado pelo aparelho (reenviar não duplica).")
    attendance_id = fields.Integer(allow_none=True, strict=True, validate=ROW_ID, error_messages=_messages(),
                                   metadata={"description": "Atendimento em que a falta foi vista (opcional)"})
    items = fields.List(fields.Nested(RequestedPartSchema), required=True, validate=validate.Length(
        1, 50, error=_l("De {min} a {max} peças por solicitação.")), error_messages=_messages())
    note = text(PartsRequest.note, "Observação")


class UploadSchema(PortalSchema):
    """The form fields sent with a photo (multipart/form-data, the image in ``file``)."""

    uid = uid_field("Identificador da foto gerado pelo aparelho.")
    caption = text(AttendancePhoto.caption, "Legenda")
    taken_at = device_time_field("Hora em que a foto foi tirada.", required=False)


class SignatureSchema(PortalSchema):
    """The form fields sent with the signature (multipart/form-data, the PNG in ``file``)."""

    uid = uid_field("Identificador da assinatura gerado pelo aparelho.")
    signer_name = fields.String(required=True, validate=validate.Length(
        1, bounds(Attendance.signer_name).max_length,
        error=_l("Informe o nome de quem assinou (até {max} caracteres).")), error_messages=_messages())


def flatten_errors(messages, prefix=()) -> list[dict]:
    """marshmallow's nested error dict as a flat list: [{"field": "events.3.latitude", …}]."""
    if isinstance(messages, dict):
        return [error for key, value in messages.items()
                for error in flatten_errors(value, (*prefix, str(key)))]
    if isinstance(messages, (list, tuple)) and any(isinstance(m, (dict, list, tuple)) for m in messages):
        return [error for index, value in enumerate(messages)
                for error in flatten_errors(value, (*prefix, str(index)))]
    field = ".".join(p for p in prefix if p != "_schema") or None
    leaves = messages if isinstance(messages, (list, tuple)) else [messages]
    return [{"field": field, "message": str(message)} for message in leaves]


DOCUMENTED_SCHEMAS = (EventSchema, EventBatchSchema, PointSchema, PointBatchSchema, StartSchema,
                      PartSchema, CounterSchema, ReportSchema, UploadSchema, SignatureSchema,
                      RequestedPartSchema, PartsRequestSchema)
