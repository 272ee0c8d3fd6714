"""Administrar usuários (§3.2): FAB's user screen with the portal's fields and rules."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterStartsWith
from flask_appbuilder.security.views import (
    AuthDBView, ResetMyPasswordView, UserDBModelView, UserInfoEditView,
)
from flask_babel import gettext as _
from flask_login import logout_user
from werkzeug.security import check_password_hash
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.accounts import sessions
from app.accounts.models import EMAIL_PREFERENCES, PREFERENCE_LABELS, PortalUser
from app.accounts.passwords import PasswordPolicy
from app.accounts.password_reset import send_link
from app.accounts.roles import FUNCTION_PREFIX, PROFILES, profile_named
from app.accounts.services import deactivate, has_history, unusable_password
from app.core.db import db
from app.core.concurrency import STALE_MESSAGE, VersionField, seen_is_current
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal
from app.core.bounds import ColumnBoundForms
from app.core.views import (
    BLANK_CHOICE, UNEXPOSED_MODELVIEW_ROUTES, BoundedLists, BrazilianFormatting, FlagFields, GuardedForms,
    PortalListWidget, PostOnlyActions, ScopedInterface,
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
    # No profile chosen for the admin: a user created with the first one by mistake was an admin.
    choices=[("", BLANK_CHOICE), *((p.name, p.label) for p in PROFILES)],
    validators=[DataRequired(_l("Escolha o tipo de usuário.")), profile_links_required],
    widget=Select2Widget(),
)
USER_LINK_COLUMNS = [
    "profile", "companies", "clients", "client_manager", "technician", "carrier", "roles", "active",
    "can_view_monitoring", *EMAIL_PREFERENCES,
]


class PortalUserView(BoundedLists, PostOnlyActions, ColumnBoundForms, FlagFields, BrazilianFormatting,
                     GuardedForms, UserDBModelView):
    """Users are admin-only; the profile decides the role and the scope."""

    datamodel = ScopedInterface(PortalUser)
    route_base = "/usuarios"
    list_widget = PortalListWidget
    exclude_route_methods = UNEXPOSED_MODELVIEW_ROUTES
    list_title = _l("Usuários")
    show_template = "accounts/user_show.html"
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
    # No password: the new user receives an invitation to choose his own (app.accounts.password_reset).
    add_columns = ["email", "first_name", *USER_LINK_COLUMNS]
    edit_columns = ["first_name", "email", *USER_LINK_COLUMNS]
    add_form_extra_fields = {"profile": PROFILE_FIELD,
                             "active": BooleanField(_l("Ativo"), default=True)}
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

    # FAB's "Reset Password" form, where the admin typed the user's password: replaced by the link.
    resetpasswords = None

    def pre_add(self, item):
        item.password = unusable_password()  # until he chooses one through the invitation
        self._sync_identity(item)

    def post_add(self, item):
        if item.active:
            send_link(item, invitation=True)
            db.session.commit()
            flash(_("Convite enviado para %(email)s: o usuário cria a própria senha pelo link.",
                    email=item.email), "info")
        else:
            flash(_("Usuário inativo: nenhum convite enviado. Ative-o e use \"Enviar link de senha\"."),
                  "warning")

    @action("sendpasswordlink", _l("Enviar link de senha"),
            _l("Enviar ao usuário um link para criar uma nova senha? A senha atual continua valendo "
               "até ele usar o link."), "fa-envelope", multiple=False)
    def sendpasswordlink(self, item):
        """The invitation again for a user who never logged in; a reset link otherwise."""
        if not item.active:
            flash(_("Usuário inativo: ative-o antes de enviar o link."), "warning")
        else:
            send_link(item, invitation=item.last_login is None)
            db.session.commit()
            flash(_("Link enviado para %(email)s.", email=item.email), "info")
        return redirect(url_for(".show", pk=item.id))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's user page, offering the link instead of its password form."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        widgets = self._get_show_widget(pk, item, actions={"sendpasswordlink": self.actions["sendpasswordlink"]})
        self.update_redirect()
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    appbuilder=self.appbuilder, related_views=self._related_views)

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        """A user with history (calls, messages, changes…) is deactivated, never half-deleted."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        if item.id == current_principal().user_id:
            flash(_("Você não pode excluir o seu próprio usuário."), "danger")
            return redirect(url_for(".show", pk=item.id))
        if has_history(item.id):
            deactivate(item)
            db.session.commit()
            flash(_("%(email)s tem histórico no portal: foi desativado em vez de excluído. Para apagar "
                    "os dados pessoais, use a anonimização (LGPD).", email=item.email), "warning")
            return redirect(url_for(".show", pk=item.id))
        return super().delete(pk)

    def pre_update(self, item):
        super().pre_update(item)
        self._sync_identity(item)


def new_password_fields(form_class):
    """The new password and its confirmation, checked by the one policy (app/accounts/passwords.py)."""
    form_class.password = PasswordField(
        _l("Nova senha"), validators=[DataRequired(_l("Informe a nova senha.")), PasswordPolicy()],
        description=_l("Ao menos 10 caracteres; nem o e-mail do usuário, nem uma senha comum."),
        widget=BS3PasswordFieldWidget())
    form_class.conf_password = PasswordField(
        _l("Confirmar nova senha"), validators=[EqualTo("password", message=_l("As senhas não conferem."))],
        widget=BS3PasswordFieldWidget())
    return form_class


def current_password_matches(_form, field):
    user = g.user
    if not field.data or not check_password_hash(user.password or "", field.data):
        raise ValidationError(_("Senha atual incorreta."))


class OwnPasswordForm(DynamicForm):
    current_password = PasswordField(_l("Senha atual"), validators=[current_password_matches],
                                     widget=BS3PasswordFieldWidget())


new_password_fields(OwnPasswordForm)


class OwnPasswordView(ResetMyPasswordView):
    """Redefinir minha senha: asks the current password; the new one follows the policy."""

    class_permission_name = "ResetMyPasswordView"
    form = OwnPasswordForm
    form_title = _l("Redefinir minha senha")
    message = _l("Senha alterada.")


class PortalAuthView(AuthDBView):
    """FAB's login, with a logout that only a POST from the portal's own form can make (a GET
    asks for confirmation, so a cross-site link or image logs nobody out)."""

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        if request.method == "GET":
            if not getattr(g.user, "is_authenticated", False):
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("accounts/logout_confirm.html", appbuilder=self.appbuilder,
                                        title=_("Sair"))
        return super().logout()


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
    method_permission_name = {"this_form_get": "this_form_get", "this_form_post": "this_form_post",
                              "end_all_sessions": "this_form_post"}
    form = MyDataForm
    form_template = "accounts/my_data_form.html"
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

    @expose("/sair-de-todos", methods=["POST"])
    @has_access
    def end_all_sessions(self):
        """Sair de todos os dispositivos: every session and app token of the user ends, this one too."""
        user = self.appbuilder.sm.get_user_by_id(current_principal().user_id)
        sessions.end_sessions(user)
        logout_user()
        db.session.commit()
        flash(_("Você saiu de todos os dispositivos. Entre novamente."), "info")
        return redirect(self.appbuilder.get_url_for_login)
