"""Entregas (manual §3.3.4): the carrier's authorized NFs, delivery confirmation and proof."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.catalog.models import Client
from app.core.bounds import raw_problems
from app.core.db import db, utcnow
from app.core.files import FileRejected, read_limited, send_stored
from app.core.filters import (
    FilteredInterface, FilterField, FilterFormMixin, FilterLocalDateFrom, FilterLocalDateUntil,
    related_text,
)
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, get_scoped
from app.core.timefmt import to_local
from app.core.views import PortalModelView
from app.deliveries.models import Delivery, Invoice
from app.deliveries.services import (
    STORAGE_AREA, AlreadyConfirmed, DeliveryError, DeliveryProof, confirm_delivery,
    decode_data_url, discard_files, existing_delivery, parse_local_datetime,
)

PENDING, DELIVERED, ALL = "pendentes", "entregues", "todas"
SITUATIONS = {PENDING: _l("Entregas pendentes"), DELIVERED: _l("Entregas realizadas"), ALL: _l("Todas")}
PROOF_FILES = {"assinatura": ("signature_stored_name", "image/png", "assinatura"),
               "foto": ("photo_stored_name", "image/jpeg", "foto")}


class FilterHasCarrier(BaseFilter):
    """Only NFs the ERP linked to a carrier are deliveries."""

    name = _l("Com transportadora")

    def apply(self, query, value):
        return query.filter(Invoice.carrier_id.is_not(None))


class FilterDeliverySituation(BaseFilter):
    """Pendentes: no proof yet; entregues: a proof exists."""

    name = _l("Situação")

    def apply(self, query, value):
        if value == PENDING:
            return query.filter(Invoice.confirmed == False)  # noqa: E712 (IS FALSE skips the index)
        if value == DELIVERED:
            return query.filter(Invoice.confirmed == True)  # noqa: E712
        return query


class FilterNumber(BaseFilter):
    name = _l("Número")

    def apply(self, query, value):
        value = (value or "").strip()
        return query.filter(Invoice.number.like(f"{value}%")) if value else query


class DeliveryCardsWidget(ListWidget):
    template = "deliveries/cards.html"


class DeliveryView(FilterFormMixin, PortalModelView):
    """Authorized NFs linked to a carrier; the Transportador sees only his carrier's."""

    route_base = "/entregas"
    datamodel = FilteredInterface(Invoice, filters={
        "number": [FilterNumber],
        "client": [related_text("client_id", Client, "name", "trade_name", name=_l("Cliente")),
                   related_text("client_id", Client, "city", name=_l("Cidade"))],
        "issued_at": [FilterLocalDateFrom, FilterLocalDateUntil],
    }, page_by_keys=True)
    class_permission_name = "Delivery"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {**PortalModelView.method_permission_name, "confirm": "write",
                              "proof": "read"}
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "edit", "delete", "action", "action_post"}
    base_filters = [["status", FilterEqual, Invoice.AUTHORIZED], ["carrier_id", FilterHasCarrier, ""]]
    list_widget = DeliveryCardsWidget
    list_template = "deliveries/list.html"
    list_title = _l("Entregas")
    show_title = _l("Entrega da NF")
    list_columns = ["id", "number", "series", "issued_at", "client.display_name", "client.address",
                    "client.district", "client.city_uf", "carrier.name", "total", "delivery"]
    order_columns = ["issued_at"]
    base_order = ("issued_at", "asc")
    label_columns = {"issued_at": _l("Emissão"), "number": _l("Nº NF")}
    filter_fields = (
        FilterField("number", _l("Nº NF")),
        FilterField("client", _l("Cliente")),
        FilterField("client", _l("Cidade"), index=1),
        FilterField("issued_at", _l("Emitida de"), kind="date"),
        FilterField("issued_at", _l("até"), index=1, kind="date"),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.datamodel.eager_relations = ("client", "carrier", "delivery")

    def current_situation(self) -> str:
        value = request.args.get("situacao")
        return value if value in SITUATIONS else PENDING

    def _get_list_widget(self, filters, **kwargs):
        filters = filters.copy()
        filters.add_filter("id", FilterDeliverySituation, self.current_situation())
        return super()._get_list_widget(filters, **kwargs)

    def render_template(self, template, **kwargs):
        kwargs.setdefault("situations", SITUATIONS)
        kwargs.setdefault("current_situation", self.current_situation())
        kwargs.setdefault("list_keep_args", ("situacao",))
        return super().render_template(template, **kwargs)

    def _invoice(self, pk) -> Invoice:
        invoice = get_scoped(db.session, Invoice, pk)
        if invoice is None or invoice.status != Invoice.AUTHORIZED or invoice.carrier_id is None:
            abort(404)
        return invoice

    def _can_confirm(self) -> bool:
        return self.appbuilder.sm.has_access("can_write", self.class_permission_name)

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        invoice = self._invoice(pk)
        return self.render_template("deliveries/show.html", title=self.show_title, invoice=invoice,
                                    delivery=existing_delivery(invoice), can_confirm=self._can_confirm())

    @expose("/confirmar/<int:pk>", methods=["GET", "POST"])
    @has_access
    def confirm(self, pk):
        invoice = self._invoice(pk)
        delivery = existing_delivery(invoice)
        errors, status = [], 200
        if request.method == "POST":
            try:
                delivery, created = self._confirm(invoice)
            except AlreadyConfirmed as error:
                errors, status = error.messages, 409
            except DeliveryError as error:
                errors, status = error.messages, 422
            else:
                if created:
                    flash(_("Entrega da NF %(nf)s confirmada.", nf=str(invoice)), "success")
                else:
                    flash(_("Esta entrega já estava confirmada com os mesmos dados."), "info")
                return redirect(url_for(".show", pk=invoice.id))
        now = to_local(utcnow()).strftime("%Y-%m-%dT%H:%M")
        return self.render_template("deliveries/confirm.html", title=_("Confirmar entrega"),
                                    invoice=invoice, delivery=delivery, errors=errors, now=now,
                                    values=request.form, outcomes=Delivery.OUTCOME_LABELS), status

    def _confirm(self, invoice):
        form = request.form
        too_long = raw_problems(form, {"recebido_por": (Delivery.received_by, _("Recebido por")),
                                       "motivo": (Delivery.reason, _("Motivo"))})
        if too_long:
            raise DeliveryError(*too_long)
        try:
            photo = request.files.get("foto")
            max_bytes = int(current_app.config["PWS_PROOF_MAX_MB"] * 1024 * 1024)
            proof = DeliveryProof(
                outcome=form.get("situacao", ""), received_by=form.get("recebido_por", ""),
                delivered_at=parse_local_datetime(form.get("data_entrega", "")),
                reason=form.get("motivo", ""),
                signature=decode_data_url(form.get("assinatura", "")),
                photo=read_limited(photo.stream, max_bytes) if photo and photo.filename else None,
                latitude=_coordinate(form.get("latitude")), longitude=_coordinate(form.get("longitude")),
            )
        except FileRejected as error:
            raise DeliveryError(str(error)) from None
        delivery, created = confirm_delivery(invoice, proof, actor=current_principal())
        if not created:
            return delivery, False
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            discard_files(delivery)
            raise AlreadyConfirmed(_("A entrega desta NF acabou de ser confirmada por outra pessoa.")) from None
        return delivery, True

    @expose("/comprovante/<int:pk>/<string:kind>", methods=["GET"])
    @has_access
    def proof(self, pk, kind):
        """The signature or photo of a delivery, only to who may see the NF."""
        if kind not in PROOF_FILES:
            abort(404)
        delivery = existing_delivery(self._invoice(pk))
        column, mimetype, label = PROOF_FILES[kind]
        stored = getattr(delivery, column, None) if delivery else None
        if not stored:
            abort(404)
        extension = ".png" if mimetype == "image/png" else ".jpg"
        return send_stored(STORAGE_AREA, stored, download_name=f"{label}-nf-{delivery.invoice_id}{extension}",
                           mimetype=mimetype)


def _coordinate(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return float("nan")


def register(appbuilder):
    appbuilder.add_view(DeliveryView, "Deliveries", label=_l("Entregas"), icon="fa-truck",
                        category="Transport", category_label=_l("Transporte"),
                        category_icon="fa-truck")
