"""Redefinir senha (public pages) and the rate limits on every way to try a password."""
from flask import current_app, flash, jsonify, make_response, redirect, render_template, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from app.accounts.models import PortalUser
from app.accounts.password_reset import after_the_answer, reset_password, valid_token
from app.accounts.passwords import PasswordPolicy
from app.accounts.throttle import refuse_throttled_login
from app.core.db import db
from app.core.i18n import lazy_gettext as _l


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Informe o e-mail."))])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Nova senha"), validators=[
        DataRequired(_l("Informe a nova senha.")), PasswordPolicy(),
    ])
    confirm = PasswordField(_l("Confirmar nova senha"), validators=[
        EqualTo("password", message=_l("As senhas não conferem.")),
    ])


class PasswordResetView(BaseView):
    """Public: the same answer, in the same time, whether the e-mail is known or not (no
    account enumeration): the request only schedules the work for after its answer."""

    route_base = "/redefinir-senha"
    default_view = "ask"

    @expose("/", methods=["GET", "POST"])
    def ask(self):
        form = ResetRequestForm()
        if form.validate_on_submit():
            page = self.render_template("accounts/reset_sent.html", appbuilder=self.appbuilder,
                                        title=_("Esqueci minha senha"))
            return after_the_answer(make_response(page), form.email.data, request.remote_addr)
        return self.render_template("accounts/reset_request.html", form=form, appbuilder=self.appbuilder,
                                    title=_("Esqueci minha senha"))

    @expose("/<token>", methods=["GET", "POST"])
    def choose(self, token):
        link = valid_token(token)
        if link is None:
            return self._dead_link()
        form = NewPasswordForm()
        form.owner_email = db.session.get(PortalUser, link.user_id).email
        if form.validate_on_submit():
            if reset_password(token, form.password.data) is None:
                db.session.rollback()
                return self._dead_link()
            db.session.commit()
            flash(_("Senha alterada. Entre com a nova senha."), "success")
            return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("accounts/reset_choose.html", form=form, appbuilder=self.appbuilder,
                                    title=_("Escolher a senha"))

    def _dead_link(self):
        return self.render_template("accounts/reset_invalid.html", appbuilder=self.appbuilder,
                                    title=_("Link inválido")), 404


def too_many_requests(error):
    """429 in Portuguese: JSON for the APIs, a page for the browser."""
    message = _("Muitas tentativas. Aguarde alguns minutos e tente novamente.")
    if request.path.startswith("/api/"):
        return jsonify(message=message), 429
    return render_template("accounts/too_many_requests.html", message=message,
                           base_template=current_app.appbuilder.base_template,
                           appbuilder=current_app.appbuilder), 429


def register(appbuilder):
    app = current_app._get_current_object()
    view = appbuilder.add_view_no_menu(PasswordResetView())
    limiter = appbuilder.sm.limiter
    limiter.limit(lambda: app.config["PWS_RESET_RATE_LIMIT"], methods=["POST"])(view.blueprint)
    # FAB limits POST /login/ (AUTH_RATE_LIMITED); the JWT login is ours to limit.
    endpoint = "SecurityApi.login"
    app.view_functions[endpoint] = limiter.limit(
        lambda: app.config["PWS_API_LOGIN_RATE_LIMIT"], methods=["POST"],
        deduct_when=lambda response: response.status_code != 200,  # only failed attempts count
    )(app.view_functions[endpoint])
    app.register_error_handler(429, too_many_requests)
    app.before_request(refuse_throttled_login)  # per account, whatever the address
