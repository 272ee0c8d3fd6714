"""Contato: the form (clients and the "Função: Contato") and the messages received (admin)."""
from flask import abort, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from app.accounts.models import PortalUser
from app.catalog.models import Client
from app.contact.models import ContactMessage
from app.contact.services import send_contact
from app.core import idempotency
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, get_scoped, scoped
from app.core.timefmt import format_datetime
from app.core.views import PortalBaseView, PortalModelView, ScopedInterface

KIND_LABELS = {ContactMessage.CONTACT: _l("Contato"), ContactMessage.OPPORTUNITY: _l("Oportunidade Comercial")}
MAX_CLIENT_OPTIONS = 200


class ContactForm(FlaskForm):
    client = SelectField(_l("Cliente"), coerce=int, validate_choice=False)
    kind = RadioField(_l("Tipo"), choices=list(KIND_LABELS.items()), default=ContactMessage.CONTACT,
                      validate_choice=False, validators=[
                          AnyOf(list(KIND_LABELS), message=_l("Escolha Contato ou Oportunidade Comercial."))])
    subject = StringField(_l("Assunto"), validators=[
        DataRequired(_l("Informe o assunto.")),
        Length(max=150, message=_l("O assunto pode ter até %(max)d caracteres.")),
        Regexp(r"^[^\r\n]*$", message=_l("O assunto deve ter uma linha só.")),
    ])
    message = TextAreaField(_l("Mensagem"), validators=[
        DataRequired(_l("Escreva a mensagem.")),
        Length(max=5000, message=_l("A mensagem pode ter até %(max)d caracteres.")),
    ])


def _my_clients() -> list[Client]:
    """The clients the sender may write for: his own (client users), none for dealer staff."""
    if not current_principal().client_side:
        return []
    stmt = select(Client).where(Client.active.is_(True)).order_by(Client.name).limit(MAX_CLIENT_OPTIONS)
    return list(db.session.execute(scoped(stmt, Client)).scalars())


def _dealer_company_id() -> int | None:
    principal = current_principal()
    companies = principal.company_ids if principal.company_ids is not None else ()
    return min(companies) if companies else None


class ContactView(PortalBaseView):
    route_base = "/contato"
    class_permission_name = "ContactMessage"
    base_permissions = ["can_write"]
    method_permission_name = {"form": "write", "send": "write"}
    default_view = "form"

    def _render(self, form, clients):
        return self.render_template("contact/form.html", form=form, show_client=len(clients) > 1)

    @expose("/", methods=["GET"])
    @has_access
    def form(self):
        clients = _my_clients()
        form = ContactForm()
        form.client.choices = [(c.id, c.display_name) for c in clients]
        return self._render(form, clients)

    @expose("/", methods=["POST"])
    @has_access
    def send(self):
        if (first := idempotency.first_answer()) is not None:
            return first
        clients = _my_clients()
        form = ContactForm()
        form.client.choices = [(c.id, c.display_name) for c in clients]
        if not form.validate():
            return self._render(form, clients)
        client = None
        if clients:
            chosen = form.client.data if len(clients) > 1 else clients[0].id
            client = get_scoped(db.session, Client, chosen)
            if client is None:
                abort(404)
        send_contact(db.session.get(PortalUser, current_principal().user_id), kind=form.kind.data,
                     subject=form.subject.data, message=form.message.data, client=client,
                     company_id=_dealer_company_id())
        location = idempotency.remember(url_for(".form"))
        db.session.commit()
        flash(_("Mensagem enviada. Obrigado pelo contato!"), "success")
        return redirect(location)


class ContactInboxView(PortalModelView):
    """Mensagens de contato: every message kept, for the admin and the attendance desk (whose
    users the Contato and Oportunidade e-mails link here)."""

    route_base = "/contato/mensagens"
    datamodel = ScopedInterface(ContactMessage)
    class_permission_name = "ContactInbox"
    base_permissions = ["can_read"]
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "edit", "delete", "action", "action_post"}
    list_title = show_title = _l("Mensagens de contato")
    list_columns = ["created_at", "kind", "subject", "sender.email", "client", "company"]
    show_columns = ["created_at", "kind", "subject", "sender.email", "client", "company", "message"]
    search_columns = ["subject", "message"]
    order_columns = ["created_at"]
    base_order = ("id", "desc")
    label_columns = {"created_at": _l("Data"), "kind": _l("Tipo"), "subject": _l("Assunto"),
                     "sender.email": _l("Remetente"), "client": _l("Cliente"), "company": _l("Empresa"),
                     "message": _l("Mensagem")}
    formatters_columns = {
        "kind": lambda value: KIND_LABELS.get(value, value),
        "created_at": format_datetime,
        "message": lambda value: Markup('<div class="pws-document-text">%s</div>') % (value or ""),
    }


def register(appbuilder):
    appbuilder.add_view(ContactView, "Contact", label=_l("Enviar mensagem"), icon="fa-comments",
                        category="Contact", category_label=_l("Contato"), category_icon="fa-comments")
    appbuilder.add_view(ContactInboxView, "ContactInbox", label=_l("Mensagens de contato"), icon="fa-inbox",
                        category="Contact")
