"""E-mails enviados: the outbox for the admin — status, attempts, last error, filters, Reenviar."""
from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from markupsafe import Markup

from app.accounts.models import PREFERENCE_LABELS, PortalUser
from app.catalog.models import Client
from app.core.db import db
from app.core.headers import PUBLIC_HEADERS
from app.core.i18n import lazy_gettext as _l
from app.core.timefmt import format_datetime
from app.core.scoping import get_scoped
from app.core.tokens import TokenGone
from app.core.views import PortalModelView, ScopedInterface
from app.notifications import contacts
from app.notifications.delivery import requeue
from app.notifications.kinds import NOTIFICATION_KINDS, kind_label
from app.notifications.models import OutboxMessage
from app.notifications.sending import compose, eml_path, mail
from app.notifications.unsubscribe import read_token

STATUS_LABELS = {
    OutboxMessage.PENDING: _l("Pendente"),
    OutboxMessage.SENDING: _l("Enviando"),
    OutboxMessage.SENT: _l("Enviado"),
    OutboxMessage.FAILED: _l("Falhou"),
}
# The HTML body is shown on its own, sandboxed: no scripts, no requests, no forms.
HTML_PREVIEW_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _short(text, size=80):
    text = text or ""
    return text if len(text) <= size else text[: size - 1] + "…"


class OutboxView(PortalModelView):
    route_base = "/emails"
    datamodel = ScopedInterface(OutboxMessage, page_by_keys=True)
    class_permission_name = "Outbox"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {**PortalModelView.method_permission_name,
                              "retry": "write", "eml": "read", "html": "read"}
    exclude_route_methods = PortalModelView.exclude_route_methods | {"add", "edit", "delete"}
    list_template = "notifications/outbox_list.html"
    show_template = "notifications/outbox_show.html"
    list_title = _l("E-mails enviados")
    show_title = _l("E-mail")
    list_columns = ["id", "created_at", "kind", "recipients", "subject", "status", "attempts",
                    "last_error", "sent_at"]
    show_columns = ["id", "kind", "recipients", "subject", "status", "attempts", "last_error",
                    "created_at", "next_attempt_at", "locked_at", "sent_at", "body_text"]
    search_columns = ["recipients", "subject"]
    order_columns = ["id", "created_at", "attempts", "sent_at"]  # by status: the Situação filter
    base_order = ("created_at", "desc")  # newest first, from ix_outbox_created alone
    label_columns = {
        "id": _l("Nº"), "kind": _l("Tipo"), "recipients": _l("Destinatário"),
        "subject": _l("Assunto"), "status": _l("Situação"), "attempts": _l("Tentativas"),
        "last_error": _l("Último erro"), "created_at": _l("Criado em"),
        "next_attempt_at": _l("Próxima tentativa"), "locked_at": _l("Em envio desde"),
        "sent_at": _l("Enviado em"), "body_text": _l("Texto da mensagem"),
    }
    formatters_columns = {
        "kind": kind_label,
        "status": lambda value: STATUS_LABELS.get(value, value),
        "recipients": lambda value: _short((value or "").replace(",", ", ")),
        "last_error": _short,
        "body_text": lambda value: Markup('<pre class="pws-mail-text">%s</pre>') % value if value else _(
            "Texto descartado pela retenção dos e-mails enviados."),
        **{column: format_datetime for column in ("created_at", "next_attempt_at", "locked_at", "sent_at")},
    }

    def filter_values(self) -> dict:
        status = request.args.get("situacao")
        kind = request.args.get("tipo")
        return {"status": status if status in STATUS_LABELS else "",
                "kind": kind if kind in NOTIFICATION_KINDS else ""}

    def _get_list_widget(self, filters, **kwargs):
        filters = filters.copy()
        for column, value in self.filter_values().items():
            if value:
                filters.add_filter(column, FilterEqual, value)
        return super()._get_list_widget(filters, **kwargs)

    def render_template(self, template, **kwargs):
        kwargs.setdefault("status_labels", STATUS_LABELS)
        kwargs.setdefault("kind_labels", NOTIFICATION_KINDS)
        kwargs.setdefault("current_filters", self.filter_values())
        return super().render_template(template, **kwargs)

    @action("retry", _l("Reenviar"), _l("Reenviar os e-mails selecionados?"), "fa-repeat")
    def retry(self, items):
        items = items if isinstance(items, list) else [items]
        count = requeue([item.id for item in items])
        db.session.commit()
        if count:
            flash(_("%(count)d e-mail(s) colocado(s) na fila de envio.", count=count), "success")
        if count < len(items):
            flash(_("E-mails já enviados ou em envio não são reenviados."), "warning")
        return redirect(request.referrer or url_for(".list"))

    def _row(self, pk) -> OutboxMessage:
        row = get_scoped(db.session, OutboxMessage, pk)
        if row is None:
            abort(404)
        return row

    @expose("/eml/<int:pk>")
    @has_access
    def eml(self, pk):
        """The message as delivered: the local mail folder's file, or composed from the row."""
        row = self._row(pk)
        path = eml_path(row.id)
        data = path.read_bytes() if path.exists() else compose(row).as_bytes()
        return Response(data, mimetype="message/rfc822", headers={
            "Content-Disposition": f'attachment; filename="email-{row.id}.eml"',
            "X-Content-Type-Options": "nosniff",
        })

    @expose("/html/<int:pk>")
    @has_access
    def html(self, pk):
        row = self._row(pk)
        return Response(row.body_html, mimetype="text/html", headers={
            "Content-Security-Policy": HTML_PREVIEW_CSP,
            "X-Content-Type-Options": "nosniff",
        })


class UnsubscribeView(BaseView):
    """The link at the foot of each e-mail and its List-Unsubscribe header: no login, and all
    it can do is turn off the one "Recebe e-mail de" choice it was signed for."""

    route_base = "/email/descadastrar"
    default_view = "unsubscribe"

    @expose("/<token>", methods=["GET", "POST"])
    def unsubscribe(self, token):
        found = read_token(token)
        user = db.session.get(PortalUser, found[0]) if found else None
        if user is None:
            return self.render_template("field/public_message.html", title=_("Link inválido"), message=_(
                "Este link não existe. Confira o endereço recebido por e-mail.")), 404, PUBLIC_HEADERS
        preference = found[1]
        if request.method == "POST":
            setattr(user, preference, False)
            db.session.commit()
        return self.render_template(
            "notifications/unsubscribe.html", done=request.method == "POST",
            label=PREFERENCE_LABELS[preference], email=user.email), 200, PUBLIC_HEADERS


class ConfirmContactView(BaseView):
    """The link of the one confirmation e-mail sent to an address typed as a call's contact:
    no login; GET asks (mail scanners follow links), POST confirms that address for that client."""

    route_base = "/email/confirmar-contato"
    default_view = "confirm"

    @expose("/<token>", methods=["GET", "POST"])
    def confirm(self, token):
        try:
            row = contacts.address_for_link(token)
        except TokenGone:
            return self.render_template("field/public_message.html", title=_("Link indisponível"), message=_(
                "Este link expirou. Se o endereço já foi confirmado, nada mais é preciso.")), 410, PUBLIC_HEADERS
        if row is None:
            return self.render_template("field/public_message.html", title=_("Link inválido"), message=_(
                "Este link não existe. Confira o endereço recebido por e-mail.")), 404, PUBLIC_HEADERS
        client = db.session.get(Client, row.client_id)
        if request.method == "POST":
            contacts.confirm(row)
            db.session.commit()
        page = {"email": row.email, "client_name": client.display_name, "done": row.confirmed_at is not None}
        return self.render_template("notifications/confirm_contact.html", **page), 200, PUBLIC_HEADERS


def register(appbuilder):
    app = current_app._get_current_object()
    mail.init_app(app)
    unsubscribe = appbuilder.add_view_no_menu(UnsubscribeView())
    # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click" with no form token; the
    # signed link is the authority, and it can only turn one choice off.
    app.extensions["csrf"].exempt(unsubscribe.blueprint)
    appbuilder.add_view_no_menu(ConfirmContactView())
    appbuilder.add_view(OutboxView, "Outbox", label=_l("E-mails enviados"), icon="fa-envelope",
                        category="Config", category_label=_l("Configurações"), category_icon="fa-cog")
