"""Chamados screens: Acompanhar chamados, detail with tabs, Abrir chamado, pré atendimento,
attachments, the SLA report, the business calendar and the equipment QR labels.

The list and the detail are hand-written (PortalBaseView): the search crosses relations
(série, contrato, técnico, cliente) that FAB's search widget would turn into dropdowns of every
row, and the detail needs tabs, the status flow and the thread. Calendars and holidays are
plain FAB model views.
"""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms.validators import Regexp

from app.calls import files, parts_views, queries, services
from app.calls.forms import OpenCallForm, PreServiceForm, StatusForm
from app.calls.models import (
    BusinessCalendar, CallAttachment, CallSettings, CallStatus, Holiday, PreServiceMessage,
    ServiceCall,
)
from app.calls.services import STATUS_LABELS, CallError, TransitionForbidden
from app.catalog.models import Client, Company, Contract, Equipment, Technician
from app.core import idempotency
from app.core.db import db, retry_on_conflict, utcnow
from app.core.headers import PUBLIC_HEADERS
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, get_scoped, scoped
from app.core.search import starts_with
from app.core.tokens import TokenGone
from app.core.errors import Refused
from app.core.views import PortalBaseView, PortalModelView, ScopedInterface, max_page_size
from app.notifications import contacts

READ_WRITE = ["can_read", "can_write"]
TABS = ("detalhes", "pre-atendimento", "historico", "anexos")
EQUIPMENT_RESULTS = 20


# Entries of a call's pré atendimento thread and history shown at first (the newest).
THREAD_NEWEST = 50


class CallView(PortalBaseView):
    """Acompanhar chamados (§3.3.2.1) and the call's detail with its tabs."""

    route_base = "/chamados"
    class_permission_name = "ServiceCall"
    base_permissions = READ_WRITE
    method_permission_name = {"list": "read", "show": "read", "status": "write",
                              "attachment": "read"}
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self):
        search = queries.CallSearch.from_args(request.args)
        if request.args.get("ordem", search.ordem) != search.ordem:
            raise Refused(_("Esta lista não pode ser ordenada por essa coluna."))
        page = queries.search_calls(search, max_page_size(current_app.config["PAGE_SIZE"]))
        return self.render_template(
            "calls/list.html", search=search, page=page, status_labels=STATUS_LABELS,
            states=services.deadline_states(page.rows), sorts=queries.SORTS,
            can_open=self.appbuilder.sm.has_access("can_write", "CallOpening"))

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        call = queries.shown_call(pk)
        if call is None:
            abort(404)
        detail = queries.call_detail(call)
        principal = current_principal()
        targets = services.allowed_targets(call, principal.profile)
        can_write_status = self.appbuilder.sm.has_access("can_write", "ServiceCall")
        can_pre_service = (call.status == CallStatus.OPEN
                           and self.appbuilder.sm.has_access("can_write", "PreService"))
        technicians = []
        if CallStatus.DISPATCHED in targets and can_write_status:
            technicians = db.session.execute(scoped(
                select(Technician.id, Technician.name).where(Technician.active.is_(True))
                .order_by(Technician.name), Technician)).all()
        tab = request.args.get("aba")
        # A long thread shows its newest entries; the rest on demand (?completo=1).
        complete = request.args.get("completo") == "1"
        messages = detail.messages if complete else detail.messages[-THREAD_NEWEST:]
        history = detail.history if complete else detail.history[-THREAD_NEWEST:]
        parts_context = {}
        if self.appbuilder.sm.has_access("can_read", "PartsRequest"):
            parts_context = parts_views.call_parts_context(call.id)
            parts_context["can_request_parts"] &= (
                call.status not in CallStatus.CLOSED and self.appbuilder.sm.has_access("can_write", "PartsRequest"))
        return self.render_template(
            "calls/show.html", detail=detail, call=call, status_labels=STATUS_LABELS,
            parts_form=StatusForm(), **parts_context,
            title=_("Chamado Nº %(number)s", number=call.id),
            state=services.deadline_states([call])[call.id],
            targets=targets if can_write_status else [], technicians=technicians,
            confirmations=services.final_move_warnings(call, targets),
            status_form=StatusForm(), pre_service_form=PreServiceForm(),
            can_pre_service=can_pre_service,
            can_see_pre_service=self.appbuilder.sm.has_access("can_read", "PreService"),
            dealer_side=not principal.client_side,
            messages=messages, history=history, files_by_message=detail.files_by_message,
            earlier_messages=len(detail.messages) - len(messages), earlier_history=len(detail.history) - len(history),
            can_revoke=not principal.client_side and self.appbuilder.sm.has_access("can_write", "PreService"),
            thread_state=services.thread_state(detail.messages),
            tab=tab if tab in TABS else "detalhes",
            resolved_note=services.RESOLVED_IN_PRE_SERVICE_NOTE)

    @expose("/<int:pk>/status", methods=["POST"])
    @has_access
    def status(self, pk):
        call = queries.load_call(pk)
        if call is None:
            abort(404)
        target = request.form.get("para", "")
        if target not in CallStatus.ALL:
            abort(400)
        form = StatusForm()
        if not form.validate_on_submit():
            flash(_("Não foi possível alterar o status: confira os campos."), "danger")
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "danger")
            return redirect(url_for(".show", pk=pk))

        def change(call):
            note = form.note.data or None
            if (call.status, target) == (CallStatus.OPEN, CallStatus.CONCLUDED) and not note:
                note = str(services.RESOLVED_IN_PRE_SERVICE_NOTE)
            services.change_status(call, target, actor=current_principal(), note=note,
                                   technician_id=form.technician.data or None,
                                   seen_status=request.form.get("de") or None)
            db.session.commit()

        try:
            # Decided again on the call as committed (change_status locks and re-reads it) when
            # another writer won at commit: a deadlock, or on Galera another node's write.
            retry_on_conflict(lambda: change(call))
        except services.CallChanged:
            db.session.rollback()
            flash(services.changed_meanwhile(pk), "danger")
            return redirect(url_for(".show", pk=pk))
        except TransitionForbidden:
            db.session.rollback()
            abort(403)
        except CallError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".show", pk=pk))
        flash(_("Chamado Nº %(number)s: status alterado para %(status)s.", number=call.id,
                status=services.status_label(target)), "success")
        return redirect(url_for(".show", pk=pk, aba="historico"))

    @expose("/anexo/<int:pk>")
    @has_access
    def attachment(self, pk):
        row = get_scoped(db.session, CallAttachment, pk)
        if row is None:
            abort(404)
        return _send_attachment(row)


def _send_attachment(row: CallAttachment):
    path = files.path_of(row.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.content_type, as_attachment=True,
                         download_name=row.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class CallOpenView(PortalBaseView):
    """Abrir chamado: find the equipment by série or patrimônio, then describe the defect."""

    route_base = "/chamados/abrir"
    class_permission_name = "CallOpening"
    base_permissions = ["can_write"]
    method_permission_name = {"open": "write"}
    default_view = "open"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def open(self):
        equipment_id = request.values.get("equipamento", "")
        contract_id = request.values.get("contrato", "")
        if equipment_id:
            equipment = self._equipment(equipment_id)
            return self._form_page(equipment, equipment.client, contract=equipment.contract)
        if contract_id:
            contract = self._contract(contract_id)
            return self._form_page(None, contract.client, contract=contract)
        return self._search_equipment()

    def _form_page(self, equipment: Equipment | None, client, contract=None):
        """The defect and contact form, for an equipment or (without one) for a contract."""
        form = OpenCallForm()
        form.defect_type.choices = [(0, _("Selecione…"))] + [
            (d.id, d.name) for d in services.defects_for(equipment)]
        if request.method == "GET":
            self._prefill(form, client)
        elif (first := idempotency.first_answer()) is not None:
            return first
        elif form.validate_on_submit():
            try:
                call = services.open_call(
                    equipment=equipment, contract=contract if equipment is None else None,
                    service_address=form.service_address.data if equipment is None else None,
                    defect_type_id=form.defect_type.data,
                    description=form.description.data.strip(),
                    contact_name=form.contact_name.data.strip(),
                    contact_phone=form.contact_phone.data.strip(),
                    contact_email=form.contact_email.data.strip(),
                    opener=current_principal(), uploads=getattr(form.attachments, "checked", []))
            except CallError as error:
                db.session.rollback()
                form.defect_type.errors = [*form.defect_type.errors, str(error)]
            else:
                shown = self.appbuilder.sm.has_access("can_read", "ServiceCall")
                location = idempotency.remember(
                    url_for("CallView.show", pk=call.id) if shown else url_for(".open"))
                db.session.commit()
                flash(_("Chamado Nº %(number)s aberto com sucesso.", number=call.id), "success")
                if call.contact_confirmation != contacts.KNOWN:
                    flash(_("O e-mail do contato não é conhecido para este cliente: enviamos a ele um pedido "
                            "de confirmação, e ele passa a receber os e-mails do chamado depois de "
                            "confirmar."), "info")
                return redirect(location)
        return self.render_template("calls/open.html", equipment=equipment, contract=contract,
                                    client=client, form=form)

    def _contract(self, contract_id: str) -> Contract:
        if not contract_id.isdigit():
            abort(404)
        stmt = scoped(select(Contract).where(Contract.id == int(contract_id), Contract.active.is_(True)),
                      Contract).options(joinedload(Contract.client))
        contract = db.session.execute(stmt).scalar_one_or_none()
        if contract is None:
            abort(404)
        return contract

    def _equipment(self, equipment_id: str) -> Equipment:
        if not equipment_id.isdigit():
            abort(404)
        stmt = scoped(select(Equipment).where(Equipment.id == int(equipment_id),
                                              Equipment.active.is_(True)), Equipment).options(
            joinedload(Equipment.model), joinedload(Equipment.client),
            joinedload(Equipment.contract))
        equipment = db.session.execute(stmt).scalar_one_or_none()
        if equipment is None:
            abort(404)
        return equipment

    def _prefill(self, form: OpenCallForm, client) -> None:
        user = current_user
        principal = current_principal()
        if principal.client_side:
            form.contact_name.data = user.first_name
            form.contact_email.data = user.email
        else:
            form.contact_name.data = client.contact_name
            form.contact_email.data = client.email
        form.contact_phone.data = client.phone
        form.service_address.data = ", ".join(
            part for part in (client.address, client.district, client.city_uf) if part and part.strip(" /"))

    def _search_equipment(self):
        term = (request.args.get("busca") or "").strip()[:60]
        kind = request.args.get("tipo", "")
        # Without a term the user's equipment (or contracts) is listed (as in Solicitar
        # suprimentos): a client with a few printers picks his own without knowing the série.
        results, contracts = [], []
        if kind == "contrato":
            stmt = (select(Contract).join(Contract.client).options(joinedload(Contract.client))
                    .where(Contract.active.is_(True)))
            if term:
                stmt = stmt.where(or_(starts_with(Contract.number, term), starts_with(Client.name, term),
                                      starts_with(Client.trade_name, term)))
            contracts = list(db.session.execute(scoped(stmt, Contract)
                                                .order_by(Contract.number).limit(EQUIPMENT_RESULTS)).scalars())
        else:
            stmt = (select(Equipment).join(Equipment.client).join(Equipment.model)
                    .options(joinedload(Equipment.client), joinedload(Equipment.model),
                             joinedload(Equipment.contract))
                    .where(Equipment.active.is_(True)))
            if term:
                stmt = stmt.where(or_(starts_with(Equipment.serial, term),
                                      starts_with(Equipment.asset_tag, term)))
            if kind == "com":
                stmt = stmt.where(Equipment.contract_id.is_not(None))
            elif kind == "sem":
                stmt = stmt.where(Equipment.contract_id.is_(None))
            stmt = scoped(stmt, Equipment).order_by(Equipment.serial).limit(EQUIPMENT_RESULTS)
            results = list(db.session.execute(stmt).scalars())
        return self.render_template("calls/open_search.html", term=term, kind=kind,
                                    results=results, contracts=contracts, limit=EQUIPMENT_RESULTS)


class PreServiceView(PortalBaseView):
    """Pré atendimento (§3.3.2.2): the thread of a call in Abertura and its e-mailed links."""

    route_base = "/chamados/pre-atendimento"
    class_permission_name = "PreService"
    base_permissions = READ_WRITE
    method_permission_name = {"post": "write", "follow": "read", "revoke": "write"}

    @expose("/<int:pk>/mensagem", methods=["POST"])
    @has_access
    def post(self, pk):
        call = queries.load_call(pk)
        if call is None:
            abort(404)
        form = PreServiceForm()
        thread = url_for("CallView.show", pk=pk, aba="pre-atendimento")
        if (first := idempotency.first_answer()) is not None:
            return first
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "danger")
            return redirect(thread)
        try:
            services.post_pre_service_message(
                call, author=current_principal(), body=form.body.data,
                uploads=getattr(form.attachments, "checked", []))
        except CallError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(thread)
        idempotency.remember(thread)
        db.session.commit()
        flash(_("Mensagem enviada."), "success")
        return redirect(thread)

    @expose("/<token>")
    @has_access
    def follow(self, token):
        """The e-mailed link: after login, straight to the thread of a call the user sees."""
        try:
            message = services.message_for_link(token)
        except TokenGone:
            return self.render_template("calls/link_unavailable.html"), 410
        if message is None or queries.load_call(message.call_id) is None:
            abort(404)
        return redirect(url_for("CallView.show", pk=message.call_id, aba="pre-atendimento",
                                _anchor=f"mensagem-{message.id}"))

    @expose("/mensagem/<int:pk>/revogar", methods=["POST"])
    @has_access
    def revoke(self, pk):
        if current_principal().client_side:
            abort(403)
        message = get_scoped(db.session, PreServiceMessage, pk)
        if message is None:
            abort(404)
        services.revoke_link(message)
        db.session.commit()
        flash(_("O link enviado por e-mail para esta mensagem foi revogado."), "success")
        return redirect(url_for("CallView.show", pk=message.call_id, aba="pre-atendimento"))


class ContactThreadView(BaseView):
    """Pré atendimento for the call's contact, who may have no login: the link e-mailed to his
    address is the only authority. It opens that call's thread (the messages, their files and a
    reply form) and nothing else of the portal; it expires, the operator can revoke it, it is
    rate-limited, and each reply records the address the link was sent to."""

    route_base = "/pre-atendimento"
    default_view = "thread"

    def _page(self, template, http_status=200, **context):
        return self.render_template(template, **context), http_status, PUBLIC_HEADERS

    def _link(self, token):
        """(message, None) for a live contact link, else (None, the page to answer with)."""
        try:
            message = services.contact_link(token)
        except TokenGone:
            return None, self._page("field/public_message.html", 410, title=_("Link indisponível"),
                                    message=_("Este link expirou ou foi revogado. Fale com a revenda "
                                              "para receber um novo."))
        if message is None:
            return None, self._page("field/public_message.html", 404, title=_("Link inválido"),
                                    message=_("Este link não existe. Confira o endereço recebido por e-mail."))
        return message, None

    @expose("/<token>", methods=["GET", "POST"])
    def thread(self, token):
        link, answer = self._link(token)
        if answer:
            return answer
        call = db.session.get(ServiceCall, link.call_id)
        form = PreServiceForm()
        if request.method == "POST" and (first := idempotency.first_answer()) is not None:
            return first
        if request.method == "POST" and form.validate_on_submit():
            try:
                services.post_pre_service_message(
                    call, author=None, author_email=link.link_email, body=form.body.data,
                    uploads=getattr(form.attachments, "checked", []))
            except CallError as error:
                db.session.rollback()
                form.body.errors = [str(error)]
            else:
                location = idempotency.remember(url_for(".thread", token=token, enviada=1))
                db.session.commit()
                return redirect(location)
        detail = queries.call_detail(call)
        return self._page("calls/contact_thread.html", call=call, link=link, form=form,
                          messages=detail.messages, sent=request.args.get("enviada") == "1",
                          files=[a for a in detail.attachments if a.message_id is not None],
                          can_reply=call.status == CallStatus.OPEN, token=token)

    @expose("/<token>/anexo/<int:pk>")
    def attachment(self, token, pk):
        link, answer = self._link(token)
        if answer:
            return answer
        row = db.session.get(CallAttachment, pk)
        if row is None or row.call_id != link.call_id or row.message_id is None:
            abort(404)
        return _send_attachment(row)


class SlaReportView(PortalBaseView):
    """Cumprimento do SLA: per contract and month, calls closed within and past the deadline."""

    route_base = "/chamados/sla"
    class_permission_name = "SlaReport"
    base_permissions = ["can_read"]
    method_permission_name = {"report": "read"}
    default_view = "report"

    @expose("/")
    @has_access
    def report(self):
        today = date.today()
        try:
            year, month = (int(part) for part in request.args.get("mes", "").split("-"))
            date(year, month, 1)
        except ValueError:
            year, month = today.year, today.month
        rows = queries.sla_compliance(year, month, utcnow())
        return self.render_template("calls/sla_report.html", rows=rows,
                                    month=f"{year:04d}-{month:02d}", month_label=f"{month:02d}/{year}")


HHMM = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Use o formato hh:mm, por exemplo 08:00."))
DAY_LABELS = {"works_mon": _l("Segunda-feira"), "works_tue": _l("Terça-feira"),
              "works_wed": _l("Quarta-feira"), "works_thu": _l("Quinta-feira"),
              "works_fri": _l("Sexta-feira"), "works_sat": _l("Sábado"), "works_sun": _l("Domingo")}


class BusinessCalendarView(PortalModelView):
    """Expediente per company: the SLA deadline counts only these hours."""

    route_base = "/calendarios"
    datamodel = ScopedInterface(BusinessCalendar)
    class_permission_name = "BusinessCalendar"
    base_permissions = READ_WRITE
    exclude_route_methods = PortalModelView.exclude_route_methods | {"action", "action_post"}
    list_title = _l("Expediente das empresas")
    show_title = add_title = edit_title = _l("Expediente")
    list_columns = ["company", "starts_at", "ends_at", *BusinessCalendar.DAYS, "near_minutes"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["starts_at", "ends_at"]
    validators_columns = {"starts_at": [HHMM], "ends_at": [HHMM]}
    label_columns = {"company": _l("Empresa"), "starts_at": _l("Início do expediente"),
                     "ends_at": _l("Fim do expediente"),
                     "near_minutes": _l("Alerta de prazo (minutos antes)"), **DAY_LABELS}
    description_columns = {"near_minutes": _l("Chamados a menos deste tempo útil do prazo "
                                              "aparecem destacados.")}

    def pre_add(self, item):
        self._check_hours(item)

    def pre_update(self, item):
        self._check_hours(item)

    def _check_hours(self, item):
        if item.ends_at <= item.starts_at:
            raise ValueError(_("O fim do expediente deve ser depois do início."))


class HolidayView(PortalModelView):
    route_base = "/feriados"
    datamodel = ScopedInterface(Holiday)
    class_permission_name = "BusinessCalendar"
    base_permissions = READ_WRITE
    exclude_route_methods = PortalModelView.exclude_route_methods | {"action", "action_post"}
    list_title = _l("Feriados")
    show_title = add_title = edit_title = _l("Feriado")
    list_columns = ["day", "name", "company"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["day", "name"]
    base_order = ("day", "desc")
    label_columns = {"day": _l("Data"), "name": _l("Feriado"), "company": _l("Empresa")}
    description_columns = {"company": _l("Deixe em branco para um feriado de todas as empresas.")}


class CallSettingsView(PortalBaseView):
    """Configurações → Parâmetros de chamados (§3, "status padrão para abertura de chamados"):
    per dealer company, the status every opening gets and the one a parts request moves to."""

    route_base = "/parametros-chamados"
    class_permission_name = "CallSettings"
    base_permissions = READ_WRITE
    method_permission_name = {"index": "read", "save": "write"}
    default_view = "index"

    def _rows(self):
        companies = db.session.execute(
            scoped(select(Company).where(Company.active.is_(True)), Company).order_by(Company.name)).scalars().all()
        saved = {row.company_id: row for row in db.session.execute(
            scoped(select(CallSettings), CallSettings)).scalars()}
        return [(company, saved.get(company.id) or services.call_settings(company.id)) for company in companies]

    @expose("/")
    @has_access
    def index(self):
        return self.render_template(
            "calls/settings.html", rows=self._rows(), form=StatusForm(), status_labels=STATUS_LABELS,
            opening_choices=CallSettings.OPENING_CHOICES, parts_choices=CallSettings.PARTS_CHOICES,
            can_save=self.appbuilder.sm.has_access("can_write", self.class_permission_name))

    @expose("/<int:company_id>", methods=["POST"])
    @has_access
    def save(self, company_id):
        company = get_scoped(db.session, Company, company_id)
        if company is None:
            abort(404)
        if not StatusForm().validate_on_submit():
            abort(400)
        opening = request.form.get("abertura", "")
        parts_status = request.form.get("pecas", "")
        if opening not in CallSettings.OPENING_CHOICES or parts_status not in CallSettings.PARTS_CHOICES:
            flash(_("Escolha um dos status oferecidos."), "danger")
            return redirect(url_for(".index"))
        row = db.session.execute(
            select(CallSettings).where(CallSettings.company_id == company.id)).scalar_one_or_none()
        if row is None:
            row = CallSettings(company_id=company.id)
            db.session.add(row)
        row.opening_status, row.parts_request_status = opening, parts_status
        db.session.commit()
        flash(_("Parâmetros de chamados de %(company)s salvos.", company=company.display_name), "success")
        return redirect(url_for(".index"))


def register(appbuilder):
    appbuilder.add_view(CallView, "Calls", label=_l("Acompanhar chamados"), icon="fa-ticket",
                        category="Calls", category_label=_l("Chamados"), category_icon="fa-ticket")
    appbuilder.add_view(CallOpenView, "OpenCall", label=_l("Abrir chamado"), icon="fa-plus-circle",
                        category="Calls")
    appbuilder.add_view(SlaReportView, "SlaReport", label=_l("Cumprimento do SLA"),
                        icon="fa-line-chart", category="Calls")
    parts_views.register(appbuilder)
    appbuilder.add_view_no_menu(PreServiceView())
    contact_thread = appbuilder.add_view_no_menu(ContactThreadView())
    app = current_app._get_current_object()
    appbuilder.sm.limiter.limit(lambda: app.config["PWS_CONTACT_LINK_RATE_LIMIT"])(contact_thread.blueprint)
    appbuilder.add_view(BusinessCalendarView, "BusinessCalendars", label=_l("Expediente (SLA)"),
                        icon="fa-clock-o", category="Config", category_label=_l("Configurações"),
                        category_icon="fa-cog")
    appbuilder.add_view(HolidayView, "Holidays", label=_l("Feriados"), icon="fa-calendar",
                        category="Config")
    appbuilder.add_view(CallSettingsView, "CallSettings", label=_l("Parâmetros de chamados"),
                        icon="fa-sliders", category="Config")
