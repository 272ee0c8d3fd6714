"""Faturamento (manual §3.3.3 and the upload of §3.3.3.4): list, download and import PDFs."""
from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.billing.models import BillingFile
from app.accounts.models import PortalUser
from app.billing.services import (
    LIST_PATH, STORAGE_AREA, BillingError, Upload, discard_stored, download_log,
    import_billing_files, log_download, remove_billing_file,
)
from app.catalog.models import Client, Contract
from app.core.bounds import raw_problems, whole_number
from app.core.db import db, utcnow
from app.core.files import discard, read_limited, send_stored
from app.core.filters import FilteredInterface, FilterExact, FilterField, FilterFormMixin, related_text
from app.core.i18n import lazy_gettext as _l
from app.core.numbers import format_size
from app.core.scoping import current_principal, get_scoped, scoped
from app.core.timefmt import to_local
from app.core.views import PortalBaseView, PortalModelView
from app.catalog.companies import selectable_companies

MONTHS = (_l("Janeiro"), _l("Fevereiro"), _l("Março"), _l("Abril"), _l("Maio"), _l("Junho"),
          _l("Julho"), _l("Agosto"), _l("Setembro"), _l("Outubro"), _l("Novembro"), _l("Dezembro"))
MONTH_CHOICES = tuple((str(n), label) for n, label in enumerate(MONTHS, start=1))
SEARCH_LIMIT = 20


class BillingCardsWidget(ListWidget):
    template = "billing/cards.html"


class BillingFileView(FilterFormMixin, PortalModelView):
    """Arquivos: the client's billing users list their files by period and download them."""

    route_base = LIST_PATH
    datamodel = FilteredInterface(BillingFile, filters={
        "year": [FilterExact], "month": [FilterExact],
        "client": [related_text("client_id", Client, "name", "trade_name", name=_l("Cliente"))],
        "contract": [related_text("contract_id", Contract, "number", name=_l("Contrato"))],
    }, page_by_keys=True)
    class_permission_name = "BillingFile"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {**PortalModelView.method_permission_name, "baixar": "read"}
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "edit", "delete", "action", "action_post"}
    list_widget = BillingCardsWidget
    list_template = "billing/list.html"
    list_title = _l("Arquivos de faturamento")
    show_title = _l("Arquivo de faturamento")
    list_columns = ["id", "original_name", "month", "year", "client.display_name", "contract.number",
                    "note", "uploaded_at", "size", "removed_at"]
    show_columns = ["original_name", "month", "year", "client", "contract", "note", "uploaded_at", "size"]
    order_columns = ["uploaded_at", "original_name"]  # by year: the period filter
    base_order = ("uploaded_at", "desc")
    label_columns = {"original_name": _l("Arquivo"), "month": _l("Mês"), "year": _l("Ano"),
                     "client": _l("Cliente"), "contract": _l("Contrato"), "note": _l("Observação"),
                     "uploaded_at": _l("Enviado em"), "size": _l("Tamanho")}
    formatters_columns = {"size": format_size}
    filter_fields = (
        FilterField("month", _l("Mês"), kind="select", choices=MONTH_CHOICES),
        FilterField("year", _l("Ano"), kind="number"),
        FilterField("contract", _l("Contrato")),
        FilterField("client", _l("Cliente")),
    )

    def render_template(self, template, **kwargs):
        kwargs.setdefault("months", MONTHS)
        kwargs.setdefault("can_upload", self.appbuilder.sm.has_access("can_write", self.class_permission_name))
        return super().render_template(template, **kwargs)

    @expose("/baixar/<int:pk>", methods=["GET"])
    @has_access
    def baixar(self, pk):
        """The PDF as an attachment, after the scope check; every download is logged."""
        billing_file = get_scoped(db.session, BillingFile, pk)
        if billing_file is None:
            abort(404)
        response = send_stored(STORAGE_AREA, billing_file.stored_name,
                               download_name=billing_file.original_name, mimetype="application/pdf")
        log_download(billing_file, user_id=current_principal().user_id, ip=request.remote_addr)
        db.session.commit()
        return response


class BillingUploadView(PortalBaseView):
    """Importar arquivos: the Admin Revenda sends a month of PDFs for one client."""

    route_base = LIST_PATH + "/importar"
    page_title = _l("Upload de arquivos")
    class_permission_name = "BillingFile"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "write", "upload": "write"}
    default_view = "index"

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        companies = selectable_companies()
        company_id = request.args.get("empresa", "")
        query = request.args.get("cliente", "").strip()
        stmt = scoped(select(Client).options(joinedload(Client.company))
                      .where(Client.active.is_(True)), Client)
        if company_id.isdigit():
            stmt = stmt.where(Client.company_id == int(company_id))
        if query:
            stmt = stmt.where(or_(Client.name.like(f"%{query}%"), Client.trade_name.like(f"%{query}%"),
                                  Client.cnpj_cpf.like(f"{query}%"), Client.erp_id == query))
        clients = db.session.execute(stmt.order_by(Client.name).limit(SEARCH_LIMIT)).scalars().all() \
            if (query or company_id) else []
        return self.render_template("billing/upload_start.html", companies=companies, clients=clients,
                                    company_id=company_id, query=query, limit=SEARCH_LIMIT)

    @expose("/<int:client_id>", methods=["GET", "POST"])
    @has_access
    def upload(self, client_id):
        client = get_scoped(db.session, Client, client_id)
        if client is None:
            abort(404)
        contracts = db.session.execute(
            scoped(select(Contract).where(Contract.client_id == client.id, Contract.active.is_(True)),
                   Contract).order_by(Contract.number)).scalars().all()
        context = {"client": client, "contracts": contracts, "months": MONTH_CHOICES,
                   "current_year": to_local(utcnow()).year,
                   "values": request.form, "errors": [], "result": None}
        if request.method == "GET":
            return self.render_template("billing/upload.html", **context)
        result, errors = self._import(client, contracts)
        wants_json = request.accept_mimetypes.best == "application/json"
        if errors:
            if wants_json:
                return jsonify({"errors": errors}), 422
            return self.render_template("billing/upload.html", **{**context, "errors": errors}), 422
        if wants_json:
            return jsonify(result.as_json())
        return self.render_template("billing/upload.html", **{**context, "result": result})

    def _import(self, client, contracts):
        form = request.form
        contract_id = form.get("contrato", "")
        contract = next((c for c in contracts if str(c.id) == contract_id), None)
        if contract_id and contract is None:
            return None, [_("O contrato escolhido não é deste cliente.")]
        too_long = raw_problems(form, {"observacao": (BillingFile.note, _("Observação"))})
        if too_long:
            return None, too_long
        max_bytes = int(current_app.config["PWS_BILLING_MAX_MB"] * 1024 * 1024)
        uploads = [Upload(name=item.filename, data=read_limited(item.stream, max_bytes))
                   for item in request.files.getlist("arquivos") if item and item.filename]
        try:
            result = import_billing_files(
                client, contract=contract, month=_int(form.get("mes")), year=_int(form.get("ano")),
                note=form.get("observacao"), uploads=uploads, send_email=bool(form.get("enviar_email")),
                actor=current_principal())
        except BillingError as error:
            db.session.rollback()
            return None, error.messages
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            discard_stored(result)
            raise
        return result, []


class BillingCorrectionView(PortalBaseView):
    """Corrigir (remove or replace a file sent to the wrong client or month) and Quem baixou."""

    route_base = LIST_PATH + "/correcao"
    class_permission_name = "BillingFile"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"correct": "write", "downloads": "write"}

    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    def correct(self, pk):
        row = get_scoped(db.session, BillingFile, pk)
        if row is None:
            abort(404)
        errors, values = [], request.form
        if request.method == "POST" and row.removed_at is None:
            form = FlaskForm()
            upload = request.files.get("arquivo")
            replacement = None
            if upload is not None and upload.filename:
                max_bytes = int(current_app.config["PWS_BILLING_MAX_MB"] * 1024 * 1024)
                replacement = Upload(name=upload.filename, data=read_limited(upload.stream, max_bytes))
            year, year_problem = (None, None)
            if (request.form.get("ano") or "").strip():
                year, year_problem = whole_number(BillingFile.year, request.form["ano"].strip())
            errors = raw_problems(request.form, {"motivo": (BillingFile.removal_reason, _("Motivo da correção"))})
            if year_problem:
                errors.append(_("Ano do arquivo correto: %(reason)s", reason=year_problem))
            if not form.validate_on_submit():
                errors = [_("Não foi possível enviar: recarregue a página e tente de novo.")]
            elif not errors:
                try:
                    new = remove_billing_file(row, reason=request.form.get("motivo", ""),
                                              actor=current_principal(), replacement=replacement,
                                              month=_int(request.form.get("mes")) or None, year=year)
                except BillingError as error:
                    db.session.rollback()
                    errors = error.messages
                else:
                    try:
                        db.session.commit()
                    except Exception:
                        db.session.rollback()
                        if new is not None:
                            discard(STORAGE_AREA, [new.stored_name])
                        raise
                    flash(_("Arquivo %(name)s removido.", name=row.original_name), "success")
                    return redirect(url_for(".correct", pk=row.id))
        return self.render_template(
            "billing/correct.html", row=row, errors=errors, values=values, months=MONTH_CHOICES,
            removed_by=_name_of(row.removed_by_id), log_rows=download_log(file_id=row.id),
            replacement=db.session.get(BillingFile, row.replaced_by_id) if row.replaced_by_id else None,
            title=_("Corrigir arquivo %(name)s", name=row.original_name)), 422 if errors else 200

    @expose("/quem-baixou/", methods=["GET"])
    @has_access
    def downloads(self):
        """Quem baixou: the log of one user (``usuario``), or of everything in the scope."""
        user_id = _int(request.args.get("usuario")) or None
        rows = download_log(user_id=user_id, within=scoped(select(BillingFile.id), BillingFile))
        return self.render_template("billing/downloads.html", rows=rows, user_id=user_id,
                                    user_name=_name_of(user_id), title=_("Quem baixou"))


def _name_of(user_id: int | None) -> str:
    user = db.session.get(PortalUser, user_id) if user_id else None
    return user.name if user else ""


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def register(appbuilder):
    appbuilder.add_view(BillingFileView, "BillingFiles", label=_l("Arquivos"), icon="fa-file-pdf-o",
                        category="Billing", category_label=_l("Faturamento"),
                        category_icon="fa-file-text-o")
    appbuilder.add_view_no_menu(BillingUploadView())
    appbuilder.add_view_no_menu(BillingCorrectionView())
