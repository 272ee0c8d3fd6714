"""Administrar usuários (§3.2): FAB's user screen with the portal's fields and rules."""
from flask import flash
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterStartsWith
from flask_appbuilder.security.views import UserDBModelView, UserInfoEditView
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.accounts.models import EMAIL_PREFERENCES, PREFERENCE_LABELS, PortalUser
from app.accounts.roles import FUNCTION_PREFIX, PROFILES, profile_named
from app.core.concurrency import STALE_MESSAGE, VersionField, seen_is_current
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal
from app.core.views import (
    UNEXPOSED_MODELVIEW_ROUTES, BrazilianFormatting, FlagFields, GuardedForms, PortalListWidget,
    PostOnlyActions, ScopedInterface,
)
from app.notifications.recipients import choices_offered


def _profile_of(form):
    return profile_named(form.profile.data) if "profile" in form else None


def companies_required(form, field):
    profile = _profile_of(form)
    if profile and not profile.all_companies and not field.data:
        raise ValidationError(_l("Informe ao menos uma empresa."))


def clients_required(form, field):
    profile = _profile_of(form)
    if profile and profile.client_side and not field.data:
        raise ValidationError(_l("Usuários do cliente precisam de ao menos um cliente."))
    if profile and not profile.client_side and field.data:
        raise ValidationError(_l("Somente usuários do cliente são vinculados a clientes."))


def profile_links_required(form, field):
    """Técnico and Transportador need their ERP record (optional selects skip own validators)."""
    profile = profile_named(field.data)
    if profile and profile.own_orders and not form.technician.data:
        raise ValidationError(_l("Selecione o técnico do ILUX vinculado a este usuário."))
    if profile and profile.own_carrier and not form.carrier.data:
        raise ValidationError(_l("Selecione a transportadora vinculada a este usuário."))


PROFILE_FIELD = SelectField(
    _l("Tipo de Usuário"),
    choices=[(p.name, p.label) for p in PROFILES],
    validators=[DataRequired(), profile_links_required],
    widget=Select2Widget(),
)
USER_LINK_COLUMNS = [
    "profile", "companies", "clients", "client_manager", "technician", "carrier", "roles", "active",
    "can_view_monitoring", *EMAIL_PREFERENCES,
]


class PortalUserView(PostOnlyActions, FlagFields, BrazilianFormatting, GuardedForms, UserDBModelView):
    """Users are admin-only; the profile decides the role and the scope."""

    datamodel = ScopedInterface(PortalUser)
    route_base = "/usuarios"
    list_widget = PortalListWidget
    exclude_route_methods = UNEXPOSED_MODELVIEW_ROUTES
    list_title = _l("Usuários")
    show_title = _l("Dados do usuário")
    add_title = _l("Adicionar Usuário")
    edit_title = _l("Editar Usuário")
    list_columns = ["first_name", "email", "companies", "profile", "active", "created_on", "changed_on"]
    search_columns = ["id", "email", "first_name"]
    order_columns = ["first_name", "email", "created_on", "changed_on"]
    base_order = ("first_name", "asc")
    show_columns = ["first_name", "email", *USER_LINK_COLUMNS, "last_login", "created_on", "changed_on"]
    show_fieldsets = None
    user_show_fieldsets = [
        (_l("Dados do usuário"), {"fields": ["first_name", "email", "profile", "companies", "clients"]}),
        (_l("E-mails que recebo"), {"fields": list(EMAIL_PREFERENCES)}),
    ]
    add_columns = ["email", "password", "conf_password", "first_name", *USER_LINK_COLUMNS]
    edit_columns = ["first_name", "email", *USER_LINK_COLUMNS]
    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, "profile": PROFILE_FIELD}
    edit_form_extra_fields = {"profile": PROFILE_FIELD}
    add_form_query_rel_fields = {"roles": [["name", FilterStartsWith, FUNCTION_PREFIX]]}
    edit_form_query_rel_fields = add_form_query_rel_fields
    validators_columns = {
        "companies": [companies_required],
        "clients": [clients_required],
    }
    label_columns = {
        "id": _l("ID"),
        "first_name": _l("Nome"),
        "email": _l("E-mail"),
        "password": _l("Senha"),
        "conf_password": _l("Confirmar Senha"),
        "profile": _l("Tipo de Usuário"),
        "companies": _l("Empresas"),
        "clients": _l("Clientes"),
        "client_manager": _l("Gestor (vê todos os chamados do cliente)"),
        "technician": _l("Técnico"),
        "carrier": _l("Entregador / Transportadora"),
        "roles": _l("Funções adicionais"),
        "active": _l("Ativo"),
        "can_view_monitoring": _l("Visualizar monitoramento"),
        "last_login": _l("Último acesso"),
        "created_on": _l("Data Inclusão"),
        "changed_on": _l("Data Alteração"),
        **{name: _l("Recebe e-mail de: %(kind)s", kind=label) for name, label in PREFERENCE_LABELS.items()},
    }
    description_columns = {
        "email": _l("Usado para acessar o portal."),
        "companies": _l("Empresa matriz e filiais da revenda que o usuário acessa."),
        "clients": _l("Para usuários do cliente: os cadastros (matriz/filial) que ele acessa."),
        "roles": _l("Funções concedidas além do perfil, por exemplo abertura de chamados."),
    }

    def _sync_identity(self, item):
        """The e-mail is the login; the profile is the user's one profile role."""
        item.username = item.email
        item.last_name = item.last_name or ""
        profile_role = self.appbuilder.sm.role_by_name(item.profile)
        extras = [r for r in item.roles if r.name.startswith(FUNCTION_PREFIX)]
        item.roles = ([profile_role] if profile_role else []) + extras
        profile = profile_named(item.profile)
        if profile and not profile.client_side:
            item.clients = []
            item.client_manager = False
        if profile and not profile.own_orders:
            item.technician = None
        if profile and not profile.own_carrier:
            item.carrier = None

    def pre_add(self, item):
        super().pre_add(item)
        self._sync_identity(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._sync_identity(item)


class MyDataForm(DynamicForm):
    """Meus dados: the user's name and his own "Recebe e-mail de …" choices."""

    first_name = StringField(_l("Nome"), validators=[DataRequired(), Length(max=64)],
                             widget=BS3TextFieldWidget())
    row_version = VersionField()


for _name, _label in PREFERENCE_LABELS.items():
    setattr(MyDataForm, _name, BooleanField(_l("Recebe e-mail de: %(kind)s", kind=_label)))


class MyDataView(UserInfoEditView):
    """FAB's "edit my user information" with PWS's form: only the choices that can bring the
    user an e-mail are offered (his profile's permissions and side decide)."""

    route_base = "/userinfoeditview"
    class_permission_name = "UserInfoEditView"
    form = MyDataForm
    form_title = _l("Meus dados")
    message = _l("Seus dados foram salvos.")

    @staticmethod
    def _offered():
        return choices_offered(current_principal())

    def _get_edit_widget(self, form=None, exclude_cols=None, widgets=None):
        """FAB's form widget, without the choices this user is not offered."""
        offered = self._offered()
        hidden = [name for name in EMAIL_PREFERENCES if name not in offered]
        return super()._get_edit_widget(form=form, exclude_cols=[*(exclude_cols or []), *hidden],
                                        widgets=widgets)

    def form_get(self, form):
        offered = self._offered()
        user = self.appbuilder.sm.get_user_by_id(current_principal().user_id)
        form.first_name.data = user.first_name
        form.row_version.data = user.row_version
        for name in offered:
            form[name].data = getattr(user, name)

    def form_post(self, form):
        """Saved only over the version the form was shown with (an admin may have saved since);
        FAB redirects afterwards whatever this returns."""
        user = self.appbuilder.sm.get_user_by_id(current_principal().user_id)
        if not seen_is_current(user, form.row_version.data):
            flash(str(STALE_MESSAGE), "danger")
            return
        user.first_name = form.first_name.data.strip()
        for name in self._offered():
            setattr(user, name, bool(form[name].data))
        if self.appbuilder.sm.update_user(user) is False:  # FAB rolled back (a lost race)
            flash(str(STALE_MESSAGE), "danger")
            return
        flash(str(self.message), "info")
