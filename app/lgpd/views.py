"""LGPD screens: the consent notice and page, "Meus dados", and the admin's documents,
decisions and requests (under Configurações)."""
import json

from flask import Response, abort, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileField
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.lgpd import consent, privacy
from app.accounts.models import ConsentDecision, ConsentDocument, DataRequest, PortalUser
from app.core.bounds import raw_problems
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, get_scoped, scoped
from app.core.timefmt import format_datetime
from app.core.views import PortalBaseView, PortalModelView, ScopedInterface

POSTPONED_KEY = "pws_consent_postponed"
CONFIRMED_KEY = "pws_consent_confirmed"
REQUEST_KIND_LABELS = {DataRequest.EXPORT: _l("Cópia dos dados"), DataRequest.ERASURE: _l("Exclusão dos dados")}
REQUEST_STATUS_LABELS = {DataRequest.OPEN: _l("Aberta"), DataRequest.DONE: _l("Concluída"),
                         DataRequest.REJECTED: _l("Recusada")}


def consent_notice() -> dict | None:
    """What the top of every page shows: nothing, the full consent panel, or (after
    "Agora não" in this session) a one-line reminder until every document is confirmed."""
    if not current_user.is_authenticated or request.endpoint == "ConsentView.consent_page":
        return None
    if "pws_consent_notice" not in g:
        user_id = current_principal().user_id
        g.pws_consent_notice = None if _confirmed_all(user_id) else _pending_notice(user_id)
    return g.pws_consent_notice


def _confirmed_all(user_id: int) -> bool:
    """The session remembers the current versions this user has confirmed, so pages skip the
    query; a newly published version is not among them and brings the notice back."""
    confirmed = session.get(CONFIRMED_KEY)
    return (bool(confirmed) and confirmed[0] == user_id
            and consent.current_document_ids() <= set(confirmed[1]))


def _pending_notice(user_id: int) -> dict | None:
    current = consent.current_document_ids()
    pending = consent.pending_documents(user_id)
    if not pending:
        session[CONFIRMED_KEY] = [user_id, sorted(current)]
        return None
    postponed = set(session.get(POSTPONED_KEY, []))
    return {"documents": pending, "labels": consent.KIND_LABELS,
            "postponed": {doc.id for doc in pending} <= postponed}


class ConsentView(PortalBaseView):
    """Every user: confirm the documents, download them, see and take his data."""

    route_base = "/lgpd"
    class_permission_name = "Consent"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"consent_page": "read", "decide": "write", "document": "read",
                              "my_data": "read", "export": "write", "erasure": "write"}
    default_view = "consent_page"

    @expose("/consentimento", methods=["GET"])
    @has_access
    def consent_page(self):
        return self.render_template(
            "accounts/consent_page.html", title=_("Autorização para compartilhamento e tratamento de dados"),
            documents=consent.current_documents(),
            pending={doc.id for doc in consent.pending_documents(current_principal().user_id)},
            decisions=consent.decisions_of(current_principal().user_id),
            labels=consent.KIND_LABELS, choices=consent.CHOICE_LABELS,
        )

    @expose("/consentimento", methods=["POST"])
    @has_access
    def decide(self):
        postpone = request.form.get("acao") == "agora-nao"
        refuse = request.form.get("nao_aceito") == "1"
        accepted = {int(v) for v in request.form.getlist("documento") if v.isdigit()}
        if not (postpone or refuse or accepted):
            flash(_("Marque os documentos que você aceita, ou \"Não aceito os termos de uso\"."), "warning")
        else:
            consent.decide(current_principal().user_id, accepted=accepted, refuse_others=refuse, postpone=postpone,
                           ip=request.remote_addr)
            db.session.commit()
            pending = consent.pending_documents(current_principal().user_id)
            session[POSTPONED_KEY] = [doc.id for doc in pending]
            if not pending:
                flash(_("Obrigado! Todos os documentos foram confirmados."), "success")
            elif postpone:
                flash(_("Tudo bem. O aviso continua no topo da página até você confirmar os documentos."), "info")
            else:
                flash(_("Decisão registrada. Os documentos não confirmados continuam pendentes."), "info")
        return redirect(get_safe_redirect(request.form.get("next") or url_for(".consent_page")))

    @expose("/documento/<int:pk>")
    @has_access
    def document(self, pk):
        document = get_scoped(db.session, ConsentDocument, pk)
        if document is None:
            abort(404)
        if document.stored_name:
            path = consent.storage_path(document.stored_name)
            if not path.exists():
                abort(404)
            data, mimetype, ext = path.read_bytes(), "application/pdf", "pdf"
        else:
            data, mimetype, ext = (document.body or "").encode("utf-8"), "text/plain; charset=utf-8", "txt"
        return Response(data, mimetype=mimetype, headers={
            "Content-Disposition": (f'attachment; filename="{consent.FILE_NAMES.get(document.kind, document.kind)}'
                                    f'-v{document.version}.{ext}"'),
            "X-Content-Type-Options": "nosniff",
        })

    @expose("/meus-dados", methods=["GET"])
    @has_access
    def my_data(self):
        stmt = (select(DataRequest).where(DataRequest.user_id == current_principal().user_id)
                .order_by(DataRequest.id.desc()).limit(20))
        return self.render_template(
            "accounts/my_data.html", title=_("Meus dados (LGPD)"),
            requests=db.session.execute(scoped(stmt, DataRequest)).scalars().all(),
            kind_labels=REQUEST_KIND_LABELS, status_labels=REQUEST_STATUS_LABELS,
        )

    @expose("/meus-dados/exportar", methods=["POST"])
    @has_access
    def export(self):
        user = db.session.get(PortalUser, current_principal().user_id)
        data = privacy.export_user_data(user)
        privacy.record_export(user.id)
        db.session.commit()
        return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="meus-dados-{user.id}.json"',
            "X-Content-Type-Options": "nosniff",
        })

    @expose("/meus-dados/exclusao", methods=["POST"])
    @has_access
    def erasure(self):
        too_long = raw_problems(request.form, {"motivo": (DataRequest.note, _("Motivo"))})
        if too_long:
            for message in too_long:
                flash(message, "danger")
            return redirect(url_for(".my_data"))
        if privacy.request_erasure(current_principal().user_id, request.form.get("motivo")) is None:
            flash(_("Você já tem uma solicitação de exclusão em aberto."), "info")
        else:
            db.session.commit()
            flash(_("Solicitação de exclusão registrada. A revenda vai tratá-la e avisar você."), "success")
        return redirect(url_for(".my_data"))


def _pdf_or_body(form, field):
    """The document is a PDF (checked by content) or a text; one of them is required."""
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        if not (form.body.data or "").strip():
            raise ValidationError(_l("Informe o texto do documento ou envie o PDF."))
        return
    data = upload.read()
    upload.seek(0)
    try:
        consent.validate_pdf(data)
    except consent.ConsentError as error:
        raise ValidationError(str(error)) from error


class ConsentDocumentView(PortalModelView):
    """Documentos LGPD: each save publishes a new version, which asks every user again."""

    route_base = "/documentos-lgpd"
    datamodel = ScopedInterface(ConsentDocument)
    class_permission_name = "ConsentDocument"
    base_permissions = ["can_read", "can_write"]
    exclude_route_methods = PortalModelView.exclude_route_methods | {"edit", "delete", "action", "action_post"}
    show_template = "accounts/consent_document_show.html"
    list_title = _l("Documentos LGPD")
    show_title = _l("Documento LGPD")
    add_title = _l("Publicar nova versão")
    list_columns = ["kind", "version", "title", "published_at"]
    show_columns = ["kind", "version", "title", "published_at", "body"]
    add_columns = ["kind", "title", "body", "pdf"]
    search_columns = ["title"]
    order_columns = ["kind", "version", "published_at"]
    base_order = ("id", "desc")
    add_form_extra_fields = {
        "kind": SelectField(_l("Documento"), choices=list(consent.KIND_LABELS.items()),
                            validators=[DataRequired()], widget=Select2Widget()),
        "title": StringField(_l("Título"), description=_l("Em branco: o nome do documento."),
                             widget=BS3TextFieldWidget(), validators=[
                                 Optional(), Length(max=150, message=_l("O título pode ter até %(max)d caracteres."))]),
        "pdf": FileField(_l("Arquivo PDF"), description=_l("Opcional: o documento em PDF (até 10 MB)."),
                         validators=[_pdf_or_body]),
    }
    label_columns = {"kind": _l("Documento"), "version": _l("Versão"), "title": _l("Título"),
                     "body": _l("Texto"), "pdf": _l("Arquivo PDF"), "published_at": _l("Publicado em")}
    description_columns = {"body": _l("O texto do documento, ou envie o PDF abaixo.")}
    formatters_columns = {
        "kind": lambda value: consent.KIND_LABELS.get(value, value),
        "body": lambda value: Markup('<div class="pws-document-text">%s</div>') % (value or ""),
        "published_at": format_datetime,
    }

    def pre_add(self, item):
        upload = request.files.get("pdf")
        data = upload.read() if upload and upload.filename else None
        consent.prepare_document(item, data, current_principal().user_id)


class ConsentDecisionView(PortalModelView):
    """Aceites LGPD: every decision with user, document, version, choice, time and IP."""

    route_base = "/aceites-lgpd"
    datamodel = ScopedInterface(ConsentDecision)
    class_permission_name = "ConsentDecision"
    base_permissions = ["can_read"]
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "edit", "delete", "action", "action_post"}
    list_template = "accounts/consent_decision_list.html"
    list_title = show_title = _l("Aceites LGPD")
    list_columns = ["decided_at", "user.email", "document", "choice", "ip"]
    show_columns = list_columns
    search_columns = ["ip"]
    order_columns = ["decided_at"]
    base_order = ("id", "desc")
    label_columns = {"decided_at": _l("Data"), "user.email": _l("Usuário"), "document": _l("Documento"),
                     "choice": _l("Decisão"), "ip": _l("IP")}
    formatters_columns = {
        "choice": lambda value: consent.CHOICE_LABELS.get(value, value),
        "decided_at": format_datetime,
    }

    def filter_values(self) -> dict:
        choice = request.args.get("decisao")
        return {"email": (request.args.get("usuario") or "").strip(),
                "choice": choice if choice in consent.CHOICE_LABELS else ""}

    def _get_list_widget(self, filters, **kwargs):
        filters = filters.copy()
        values = self.filter_values()
        if values["email"]:
            user_id = db.session.execute(select(PortalUser.id).where(
                func.lower(PortalUser.email) == values["email"].lower())).scalar()
            filters.add_filter("user_id", FilterEqual, user_id or 0)
        if values["choice"]:
            filters.add_filter("choice", FilterEqual, values["choice"])
        return super()._get_list_widget(filters, **kwargs)

    def render_template(self, template, **kwargs):
        kwargs.setdefault("choice_labels", consent.CHOICE_LABELS)
        kwargs.setdefault("current_filters", self.filter_values())
        return super().render_template(template, **kwargs)


class DataRequestView(PortalModelView):
    """Solicitações LGPD: the admin anonymises the user of an erasure request, or rejects it."""

    route_base = "/solicitacoes-lgpd"
    datamodel = ScopedInterface(DataRequest)
    class_permission_name = "DataRequest"
    method_permission_name = {**PortalModelView.method_permission_name, "anonymize_user": "write"}
    base_permissions = ["can_read", "can_write"]
    exclude_route_methods = PortalModelView.exclude_route_methods | {"add", "edit", "delete"}
    list_title = show_title = _l("Solicitações LGPD")
    list_columns = ["created_at", "user.email", "kind", "status", "handled_at"]
    show_columns = ["created_at", "user.email", "kind", "status", "note", "handled_at"]
    search_columns = ["note"]
    order_columns = ["created_at", "status"]
    base_order = ("id", "desc")
    label_columns = {"created_at": _l("Data"), "user.email": _l("Usuário"), "kind": _l("Solicitação"),
                     "status": _l("Situação"), "note": _l("Motivo informado"), "handled_at": _l("Tratada em")}
    formatters_columns = {
        "kind": lambda value: REQUEST_KIND_LABELS.get(value, value),
        "status": lambda value: REQUEST_STATUS_LABELS.get(value, value),
        "created_at": format_datetime, "handled_at": format_datetime,
    }

    def _handle(self, item, anonymise: bool):
        try:
            privacy.handle_request(item, current_principal().user_id, anonymise=anonymise)
        except privacy.PrivacyError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Usuário anonimizado; chamados e notas fiscais foram mantidos.") if anonymise
                  else _("Solicitação recusada."), "success")
        return redirect(url_for(".show", pk=item.id))

    @action("anonymize", _l("Anonimizar usuário"),
            _l("Anonimizar o usuário desta solicitação? Nome, e-mail e acesso serão apagados; "
               "chamados e notas fiscais são mantidos."), "fa-user-times", multiple=False)
    def anonymize(self, item):
        return self._handle(item, anonymise=True)

    @action("reject", _l("Recusar"), _l("Recusar esta solicitação?"), "fa-ban", multiple=False)
    def reject(self, item):
        return self._handle(item, anonymise=False)

    @expose("/anonimizar-usuario/<int:user_id>", methods=["POST"])
    @has_access
    def anonymize_user(self, user_id):
        """From the user's page (Administrar usuários): erase him without a request of his own."""
        user = get_scoped(db.session, PortalUser, user_id)
        if user is None:
            abort(404)
        try:
            privacy.anonymise_by_admin(user.id, current_principal().user_id)
        except privacy.PrivacyError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Usuário anonimizado; chamados e notas fiscais foram mantidos."), "success")
        return redirect(url_for("PortalUserView.show", pk=user_id))


def register(appbuilder):
    from flask import current_app

    current_app.jinja_env.globals["pws_consent_notice"] = consent_notice
    appbuilder.add_view_no_menu(ConsentView())
    for view, name, label, icon in (
        (ConsentDocumentView, "ConsentDocuments", _l("Documentos LGPD"), "fa-file-text-o"),
        (ConsentDecisionView, "ConsentDecisions", _l("Aceites LGPD"), "fa-check-square-o"),
        (DataRequestView, "DataRequests", _l("Solicitações LGPD"), "fa-user-secret"),
    ):
        appbuilder.add_view(view, name, label=label, icon=icon, category="Config",
                            category_label=_l("Configurações"), category_icon="fa-cog")
