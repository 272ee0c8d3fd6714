"""The technicians' app API (/api/v1/tecnico/…): JWT from FAB's login, Técnico only, his own
orders and attendances. docs/field.md has examples and the offline rules.

Authentication: ``Authorization: Bearer <access_token>``. The portal's own session cookie is
also accepted so the technician's web page (/atendimentos/registrar) uses these same
endpoints; a cookie-authenticated write must then carry the page's CSRF token in the
``X-CSRFToken`` header, since a browser sends cookies on its own.
"""
import functools

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError as CSRFValidationError

from app.calls import parts as call_parts
from app.calls.services import TransitionForbidden
from app.core.db import db
from app.core.scoping import OutOfScope, current_principal, scoped
from app.field import pdf, schemas, serializers, services
from app.field.models import Attendance
from app.supplies.services import last_readings

FILE_FIELD = "file"


def _cookie_session() -> bool:
    """True when the portal's session cookie (not a bearer token) authenticated the request."""
    return bool(getattr(current_user, "is_authenticated", False))


def technician_endpoint(view):
    """Técnico only; CSRF on cookie writes; one commit; domain errors as JSON (pt-BR).

    A unique-key race (the same id sent twice at once) is retried once and then found as a
    duplicate like any other retry.
    """

    @functools.wraps(view)
    def wrapper(self, *args, **kwargs):
        principal = current_principal()
        if not services.is_technician(principal):
            return self.response(403, message=_("Acesso restrito a técnicos."))
        if request.method != "GET" and _cookie_session():
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except CSRFValidationError:
                return self.response(400, message=_("Token CSRF ausente ou inválido."))
        for attempt in (1, 2):
            try:
                response = view(self, principal, *args, **kwargs)
                db.session.commit()
                return response
            except IntegrityError:
                db.session.rollback()
                if attempt == 2:
                    return self.response(409, message=_("Envio simultâneo em conflito; tente novamente."))
            except OutOfScope:
                db.session.rollback()
                return self.response(404, message=_("Não encontrado."))
            except ValidationError as error:
                db.session.rollback()
                return self.response(422, message=_("Dados inválidos."),
                                     errors=schemas.flatten_errors(error.messages))
            except services.FieldError as error:
                db.session.rollback()
                return self.response(error.status, message=error.message, errors=error.errors,
                                     **error.extra)
            except RequestEntityTooLarge:
                db.session.rollback()
                return self.response(413, message=_("Envio grande demais."))

    return wrapper


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise services.FieldError(_("Envie um corpo JSON (Content-Type: application/json)."))
    return body


def _upload(schema) -> tuple[dict, bytes]:
    data = schema.load(request.form.to_dict())
    upload = request.files.get(FILE_FIELD)
    if upload is None:
        raise services.FieldError(_("Envie o arquivo no campo \"file\"."),
                                  errors=[{"field": FILE_FIELD, "message": _("Campo obrigatório.")}])
    return data, upload.read()


class TechnicianAppApi(BaseApi):
    """App do técnico."""

    resource_name = "tecnico"
    class_permission_name = "TechnicianApp"
    method_permission_name = {
        "orders": "read", "attendances": "read", "attendance": "read", "attendance_pdf": "read",
        "start": "write", "events": "write", "photo": "write", "signature": "write",
        "report": "write", "points": "write", "position": "write",
        "parts": "read", "request_parts": "write",
    }
    base_permissions = ["can_read", "can_write"]
    allow_browser_login = True
    openapi_spec_tag = "App do técnico"
    openapi_spec_component_schemas = schemas.DOCUMENTED_SCHEMAS

    @expose("/chamados", methods=["GET"])
    @protect()
    @safe
    @technician_endpoint
    def orders(self, principal):
        """My open orders (status E, M or P).
        ---
        get:
          summary: Minhas ordens abertas (E, M, P) com cliente, endereço, equipamento, defeito e contato
          responses:
            200:
              description: Ordens do técnico, as mais urgentes primeiro
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        calls = services.my_open_orders(principal)
        open_ones = services.open_attendances_by_call(principal, [c.id for c in calls])
        readings = last_readings(c.equipment_id for c in calls if c.equipment_id)
        return self.response(200, count=len(calls), result=[
            serializers.order_json(c, open_ones.get(c.id), readings.get(c.equipment_id)) for c in calls])

    @expose("/atendimentos", methods=["GET"])
    @protect()
    @safe
    @technician_endpoint
    def attendances(self, principal):
        """My attendances, newest first.
        ---
        get:
          summary: Meus atendimentos (os 50 mais recentes; status=in_progress para os em andamento)
          parameters:
          - in: query
            name: status
            schema:
              type: string
              enum: [in_progress, concluded, cancelled]
          responses:
            200:
              description: Atendimentos
            401:
              $ref: '#/components/responses/401'
        """
        stmt = select(Attendance).order_by(Attendance.started_at.desc(), Attendance.id.desc()).limit(50)
        status = request.args.get("status")
        if status in services.STATUS_LABELS:
            stmt = stmt.where(Attendance.status == status)
        rows = db.session.execute(scoped(stmt, Attendance, principal)).scalars()
        return self.response(200, result=[serializers.attendance_summary(a) for a in rows])

    @expose("/atendimentos", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def start(self, principal):
        """Start an attendance for one of my orders.
        ---
        post:
          summary: Iniciar atendimento de uma ordem (idempotente pelo uid)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/StartSchema'
          responses:
            201:
              description: Atendimento criado
            200:
              description: O mesmo uid já criou este atendimento (reenvio)
            404:
              description: Ordem inexistente ou de outro técnico
            409:
              description: uid já usado em outro atendimento, ou já existe um em andamento (attendance_id)
            422:
              description: Dados inválidos ou chamado fora de E/M/P
        """
        attendance, created = services.start_attendance(principal, schemas.StartSchema().load(_json_body()))
        return self.response(201 if created else 200, result=serializers.attendance_json(attendance))

    @expose("/atendimentos/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @technician_endpoint
    def attendance(self, principal, pk):
        """One of my attendances with timeline, photos, signature and report.
        ---
        get:
          summary: Atendimento com timeline, fotos, assinatura e relatório
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: Atendimento
            404:
              description: Inexistente ou de outro técnico
        """
        return self.response(200, result=serializers.attendance_json(services.my_attendance(principal, pk)))

    @expose("/atendimentos/<int:pk>/eventos", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def events(self, principal, pk):
        """Timeline events, in batches, with the device's time and GPS.
        ---
        post:
          summary: Registrar eventos da timeline (lote; uid repetido é ignorado; ordem livre)
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/EventBatchSchema'
          responses:
            200:
              description: accepted (uids novos), duplicates (uids já recebidos) e o atendimento
            404:
              description: Atendimento inexistente ou de outro técnico
            409:
              description: uid já usado em outro atendimento
            422:
              description: Lote inválido (nada aplicado); errors lista cada campo
        """
        attendance = services.my_attendance(principal, pk)
        batch = schemas.EventBatchSchema().load(_json_body())
        outcome = services.record_events(principal, attendance, batch["events"])
        return self.response(200, **outcome, result=serializers.attendance_json(attendance))

    @expose("/atendimentos/<int:pk>/fotos", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def photo(self, principal, pk):
        """A photo (JPEG or PNG), re-encoded without EXIF.
        ---
        post:
          summary: Enviar foto (JPEG/PNG; idempotente pelo uid)
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [uid, file]
                  properties:
                    uid:
                      type: string
                    caption:
                      type: string
                    taken_at:
                      type: string
                      format: date-time
                    file:
                      type: string
                      format: binary
          responses:
            201:
              description: Foto gravada
            200:
              description: Reenvio de uma foto já recebida
            404:
              description: Atendimento inexistente ou de outro técnico
            422:
              description: Não é uma imagem JPEG/PNG válida, grande demais, ou limite de fotos
        """
        attendance = services.my_attendance(principal, pk)
        data, content = _upload(schemas.UploadSchema())
        photo, created = services.add_photo(attendance, data, content)
        return self.response(201 if created else 200, result={"uid": photo.client_uid, "id": photo.id})

    @expose("/atendimentos/<int:pk>/assinatura", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def signature(self, principal, pk):
        """The client's signature (PNG) and the signer's name.
        ---
        post:
          summary: Enviar assinatura do cliente (PNG) e nome de quem assinou
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [uid, signer_name, file]
                  properties:
                    uid:
                      type: string
                    signer_name:
                      type: string
                    file:
                      type: string
                      format: binary
          responses:
            201:
              description: Assinatura gravada (um uid novo substitui a anterior)
            200:
              description: Reenvio da mesma assinatura
            422:
              description: Não é um PNG válido ou falta o nome
        """
        attendance = services.my_attendance(principal, pk)
        data, content = _upload(schemas.SignatureSchema())
        changed = services.set_signature(attendance, data, content)
        return self.response(201 if changed else 200,
                             result={"uid": attendance.signature_uid, "signer_name": attendance.signer_name})

    @expose("/atendimentos/<int:pk>/relatorio", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def report(self, principal, pk):
        """The report: services, parts, meter counters, notes, pending or not.
        ---
        post:
          summary: Enviar relatório (substitui o anterior; reenviar o mesmo não muda nada)
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ReportSchema'
          responses:
            200:
              description: Relatório gravado
            422:
              description: Dados inválidos
        """
        attendance = services.my_attendance(principal, pk)
        changed = services.submit_report(principal, attendance, schemas.ReportSchema().load(_json_body()))
        return self.response(200, changed=changed, result=serializers.attendance_json(attendance))

    @expose("/atendimentos/<int:pk>/pdf", methods=["GET"])
    @protect()
    @safe
    @technician_endpoint
    def attendance_pdf(self, principal, pk):
        """The complete service order as PDF.
        ---
        get:
          summary: Baixar a OS completa em PDF
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: PDF
              content:
                application/pdf: {}
            404:
              description: Inexistente ou de outro técnico
        """
        attendance = services.my_attendance(principal, pk)
        return pdf.pdf_response(attendance)

    @expose("/chamados/<int:pk>/pecas", methods=["GET"])
    @protect()
    @safe
    @technician_endpoint
    def parts(self, principal, pk):
        """The parts list for the order and the technician's parts requests.
        ---
        get:
          summary: Peças do ILUX para o equipamento da ordem e as solicitações de peças, com a situação
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: parts (lista do ILUX) e requests (situação requested, separated, sent, received)
            404:
              description: Ordem inexistente ou de outro técnico
        """
        call = services.my_order(principal, pk)
        return self.response(200, result=serializers.parts_json(
            call, call_parts.parts_for(call), call_parts.requests_of(call.id)))

    @expose("/chamados/<int:pk>/pecas", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def request_parts(self, principal, pk):
        """Request the parts the order needs (during or after an attendance).
        ---
        post:
          summary: Solicitar peças (o chamado passa ao status configurado para peças; uid repetido não duplica)
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/PartsRequestSchema'
          responses:
            201:
              description: Solicitação registrada
            200:
              description: Reenvio da mesma solicitação (mesmo uid)
            404:
              description: Ordem ou atendimento inexistente ou de outro técnico
            422:
              description: Dados inválidos, peça fora da lista ou chamado encerrado
        """
        call = services.my_order(principal, pk)
        data = schemas.PartsRequestSchema().load(_json_body())
        if data.get("attendance_id") is not None:
            attendance = services.my_attendance(principal, data["attendance_id"])
            if attendance.call_id != call.id:
                raise OutOfScope("Attendance")
        wanted = [call_parts.RequestedPart(part_id=i.get("part_id"), description=i.get("description"),
                                           quantity=i["quantity"]) for i in data["items"]]
        try:
            request_row, created = call_parts.request_parts(
                call, wanted, actor=principal, note=data.get("note"),
                attendance_id=data.get("attendance_id"), uid=data["uid"])
        except (call_parts.PartsError, TransitionForbidden) as error:
            raise services.FieldError(str(error)) from None
        return self.response(201 if created else 200, result=serializers.parts_request_json(request_row))

    @expose("/posicoes", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def points(self, principal):
        """GPS track points, in batches.
        ---
        post:
          summary: Enviar pontos de GPS em lote (uid repetido é ignorado)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/PointBatchSchema'
          responses:
            200:
              description: accepted e duplicates (uids)
            404:
              description: attendance_id inexistente ou de outro técnico
            422:
              description: Lote inválido (nada aplicado)
        """
        batch = schemas.PointBatchSchema().load(_json_body())
        return self.response(200, **services.record_points(principal, batch["points"]))

    @expose("/posicao", methods=["POST"])
    @protect()
    @safe
    @technician_endpoint
    def position(self, principal):
        """The live position: one point, sent while online.
        ---
        post:
          summary: Posição atual (um ponto; atualiza o mapa de rastreamento)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/PointSchema'
          responses:
            200:
              description: accepted e duplicates (uids)
            422:
              description: Coordenadas ou hora inválidas
        """
        point = schemas.PointSchema().load(_json_body())
        return self.response(200, **services.record_points(principal, [point]))


def register(appbuilder):
    appbuilder.add_api(TechnicianAppApi)
