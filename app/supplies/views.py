"""Solicitar suprimentos and Acompanhar solicitações (manual §3.3.1)."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.catalog.models import Carrier, Client, Contract, Equipment, EquipmentModel
from app.core.bounds import raw_problems, whole_number
from app.core import idempotency
from app.core.concurrency import STALE_MESSAGE, StaleEdit, VersionField, check_seen
from app.core.db import db
from app.core.filters import (
    FilteredInterface, FilterExact, FilterField, FilterFormMixin, FilterLocalDateFrom,
    FilterLocalDateUntil, related_text,
)
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, get_scoped, scoped
from app.core.views import PortalBaseView, PortalModelView
from app.deliveries.models import Invoice
from app.supplies import meters
from app.supplies.models import SupplyRequest, SupplyRequestItem, SupplyStatus
from app.supplies.services import (
    SUPPLY_PATH, RequestedItem, SupplyError, SupplyRequestDraft, compatible_supplies,
    create_supply_request, last_reading, update_supply_request,
)
SEARCH_LIMIT = 20
STATUS_CHOICES = tuple((key, label) for key, label in SupplyStatus.LABELS.items())
KIND_CHOICES = tuple(SupplyRequest.KIND_LABELS.items())


def status_badge(status: str) -> Markup:
    label = SupplyStatus.LABELS.get(status, status)
    # % rather than str.format: a card list calls this once a card, and Markup.format is slow
    return Markup('<span class="label pws-status pws-status-%s">%s</span>') % (status, str(label))


class SupplyCardsWidget(ListWidget):
    template = "supplies/cards.html"


class SupplyEditForm(FlaskForm):
    """Editar solicitação: delivery data the supply operator fills in."""

    carrier_id = SelectField(_l("Transportadora"), coerce=lambda v: int(v) if v else None,
                             validators=[Optional()])
    tracking_code = StringField(_l("Código de Rastreio"), validators=[Optional(), Length(max=60)])
    invoice_number = StringField(_l("Nº Nota Fiscal"), validators=[Optional(), Length(max=20)])
    invoice_date = DateField(_l("Data Emissão NF"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    row_version = VersionField()


class SupplyRequestView(FilterFormMixin, PortalModelView):
    """Acompanhar solicitações: cards with the manual's fields, view and edit."""

    route_base = SUPPLY_PATH
    datamodel = FilteredInterface(SupplyRequest, filters={
        "status": [FilterExact],
        "kind": [FilterExact],
        "equipment": [related_text("equipment_id", Equipment, "serial", "asset_tag", name=_l("Série"))],
        "contract": [related_text("contract_id", Contract, "number", name=_l("Contrato"))],
        "client": [related_text("client_id", Client, "name", "trade_name", name=_l("Cliente")),
                   related_text("client_id", Client, "city", name=_l("Cidade"))],
        "requested_at": [FilterLocalDateFrom, FilterLocalDateUntil],
    }, page_by_keys=True)
    class_permission_name = "SupplyRequest"
    base_permissions = ["can_read", "can_write"]
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "delete", "action", "action_post"}
    list_widget = SupplyCardsWidget
    list_title = _l("Solicitações de Suprimentos")
    show_title = _l("Solicitação de Suprimento")
    edit_title = _l("Editar solicitação")
    list_columns = ["id", "kind", "equipment.serial", "equipment.asset_tag", "equipment_model.name",
                    "contract.number", "department", "location", "client.display_name",
                    "client.city_uf", "status", "requested_at", "warning"]
    order_columns = ["id", "requested_at"]  # by status: the status filter (docs/performance.md)
    base_order = ("requested_at", "desc")
    label_columns = {"id": _l("Solicitação Nº"), "requested_at": _l("Data Solicitação"),
                     "status": _l("Status")}
    filter_fields = (
        FilterField("status", _l("Status da Solicitação"), kind="select", choices=STATUS_CHOICES),
        FilterField("kind", _l("Tipo"), kind="select", choices=KIND_CHOICES),
        FilterField("id", _l("Solicitação Nº"), kind="number"),
        FilterField("equipment", _l("Série / Patrimônio")),
        FilterField("contract", _l("Contrato")),
        FilterField("client", _l("Cliente")),
        FilterField("client", _l("Cidade"), index=1),
        FilterField("requested_at", _l("Solicitada de"), kind="date"),
        FilterField("requested_at", _l("até"), index=1, kind="date"),
    )

    def _get_request(self, pk):
        item = get_scoped(db.session, SupplyRequest, pk)
        if item is None:
            abort(404)
        return item

    def _detail_context(self, item):
        items = db.session.execute(
            select(SupplyRequestItem).options(joinedload(SupplyRequestItem.supply_item))
            .where(SupplyRequestItem.request_id == item.id).order_by(SupplyRequestItem.id)
        ).scalars().all()
        invoices = db.session.execute(
            scoped(select(Invoice).options(selectinload(Invoice.delivery))
                   .where(Invoice.supply_request_id == item.id).order_by(Invoice.issued_at), Invoice)
        ).scalars().all()
        return {"item": item, "items": items, "invoices": invoices,
                "can_edit": self.appbuilder.sm.has_access("can_write", self.class_permission_name),
                "can_see_deliveries": self.appbuilder.sm.has_access("can_read", "Delivery")}

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._get_request(pk)
        return self.render_template("supplies/show.html", title=self.show_title,
                                    **self._detail_context(item))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._get_request(pk)
        form = SupplyEditForm(obj=item)
        carriers = db.session.execute(
            scoped(select(Carrier.id, Carrier.name).where(Carrier.active.is_(True)), Carrier)
            .order_by(Carrier.name)).all()
        form.carrier_id.choices = [("", _("— selecione —"))] + [(c.id, c.name) for c in carriers]
        if form.validate_on_submit():
            changes = {name: getattr(form, name).data for name in
                       ("status", "carrier_id", "tracking_code", "invoice_number", "invoice_date")}
            try:
                check_seen(item, form.row_version.data)
                update_supply_request(item, **changes)
                db.session.commit()
            except SupplyError as error:
                db.session.rollback()
                for message in error.messages:
                    flash(message, "danger")
            except (StaleEdit, StaleDataError):
                db.session.rollback()
                flash(str(STALE_MESSAGE), "danger")
                return redirect(url_for(".edit", pk=pk))
            else:
                flash(_("Solicitação nº %(id)s atualizada.", id=item.id), "success")
                return redirect(url_for(".show", pk=item.id))
        return self.render_template("supplies/edit.html", title=self.edit_title, form=form,
                                    **self._detail_context(item))


class SupplyOpeningView(PortalBaseView):
    """Solicitar suprimentos: by equipment/série or by contract and model."""

    route_base = "/suprimentos/solicitar"
    class_permission_name = "SupplyOpening"
    base_permissions = ["can_write"]
    method_permission_name = {"index": "write", "by_equipment": "write", "by_contract": "write"}
    default_view = "index"

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        serial = request.args.get("serie", "").strip()
        contract_number = request.args.get("contrato", "").strip()
        equipment_stmt = scoped(
            select(Equipment).options(joinedload(Equipment.model), joinedload(Equipment.client))
            .where(Equipment.active.is_(True)), Equipment)
        if serial:
            equipment_stmt = equipment_stmt.where(
                or_(Equipment.serial.like(f"{serial}%"), Equipment.asset_tag.like(f"{serial}%")))
        equipment = db.session.execute(
            equipment_stmt.order_by(Equipment.serial).limit(SEARCH_LIMIT)).scalars().all()
        contracts = []
        if contract_number:
            contracts = db.session.execute(
                scoped(select(Contract).options(joinedload(Contract.client))
                       .where(Contract.active.is_(True), Contract.number.like(f"{contract_number}%")),
                       Contract).order_by(Contract.number).limit(SEARCH_LIMIT)).scalars().all()
        return self.render_template("supplies/request_start.html", equipment=equipment,
                                    contracts=contracts, serial=serial,
                                    contract_number=contract_number, limit=SEARCH_LIMIT)

    @expose("/equipamento/<int:pk>", methods=["GET", "POST"])
    @has_access
    def by_equipment(self, pk):
        equipment = get_scoped(db.session, Equipment, pk)
        if equipment is None or not equipment.active:
            abort(404)
        draft = SupplyRequestDraft(items=[], equipment=equipment,
                                   department=equipment.department, location=equipment.location)
        return self._request_form(draft, equipment.model_id, last=last_reading(equipment.id))

    @expose("/contrato/<int:pk>", methods=["GET", "POST"])
    @has_access
    def by_contract(self, pk):
        contract = get_scoped(db.session, Contract, pk)
        if contract is None or not contract.active:
            abort(404)
        models = db.session.execute(
            scoped(select(EquipmentModel).where(EquipmentModel.id.in_(
                scoped(select(Equipment.model_id).where(Equipment.contract_id == contract.id,
                                                        Equipment.active.is_(True)), Equipment))),
                   EquipmentModel).order_by(EquipmentModel.name)).scalars().all()
        chosen = request.values.get("modelo", "")
        model = next((m for m in models if str(m.id) == chosen), None)
        if model is None:
            return self.render_template("supplies/request_model.html", contract=contract, models=models)
        draft = SupplyRequestDraft(items=[], contract=contract, model=model)
        return self._request_form(draft, model.id, models=models)

    def _request_form(self, draft, model_id, **context):
        supplies = compatible_supplies(model_id)
        errors, values = [], {}
        if request.method == "POST":
            if (first := idempotency.first_answer()) is not None:
                return first
            values = request.form
            draft.items, errors = _typed_items(request.form, supplies, counters=draft.equipment is not None)
            errors += raw_problems(request.form, {
                "observacao": (SupplyRequest.note, _("Observação")),
                "departamento": (SupplyRequest.department, _("Departamento")),
                "local": (SupplyRequest.location, _("Local"))})
            draft.note = request.form.get("observacao", "")
            draft.department = request.form.get("departamento", draft.department)
            draft.location = request.form.get("local", draft.location)
            if not errors:
                try:
                    created = create_supply_request(draft, actor=current_principal())
                except SupplyError as error:
                    db.session.rollback()
                    errors = error.messages
                else:
                    shown = self.appbuilder.sm.has_access("can_read", "SupplyRequest")
                    location = idempotency.remember(
                        url_for("SupplyRequestView.show", pk=created.id) if shown else url_for(".index"))
                    db.session.commit()
                    return self._after_create(created, location)
        return self.render_template("supplies/request_form.html", draft=draft, supplies=supplies,
                                    errors=errors, values=values, **context), 200 if not errors else 422

    def _after_create(self, created, location):
        flash(_("Solicitação de suprimentos nº %(id)s registrada.", id=created.id), "success")
        for warning in (created.warning or "").splitlines():
            flash(_("Atenção: %(warning)s", warning=warning), "warning")
        return redirect(location)


def _typed_items(form, supplies, *, counters: bool) -> tuple[list[RequestedItem], list[str]]:
    """Quantity and counter per compatible supply; rows without a quantity are not requested."""
    items, errors = [], []
    for supply in supplies:
        quantity = form.get(f"quantidade_{supply.id}", "").strip()
        counter = form.get(f"contador_{supply.id}", "").strip().replace(".", "")
        counter, problem = whole_number(SupplyRequestItem.counter, counter) if counter else (None, None)
        if problem:
            errors.append(_("Contador inválido para %(item)s: %(problem)s", item=supply.name, problem=problem))
            continue
        if not quantity or quantity == "0":
            continue
        quantity, problem = whole_number(SupplyRequestItem.quantity, quantity)
        if problem:
            errors.append(_("Quantidade inválida para %(item)s: %(problem)s", item=supply.name, problem=problem))
            continue
        items.append(RequestedItem(supply_item_id=supply.id, quantity=quantity,
                                   counter=counter if counters else None))
    return items, errors


def register(appbuilder):
    meters.register(appbuilder)
    current_app.add_template_filter(status_badge, "status_suprimento")
    appbuilder.add_view(SupplyOpeningView, "SupplyOpening", label=_l("Solicitar suprimentos"),
                        icon="fa-cart-plus", category="Supplies",
                        category_label=_l("Suprimentos"), category_icon="fa-tint")
    appbuilder.add_view(SupplyRequestView, "SupplyRequests", label=_l("Acompanhar solicitações"),
                        icon="fa-list-alt", category="Supplies")
