"""Tela inicial (§1.2): shortcuts to the user's functions and the company selector."""
from flask import g, redirect, request, session, url_for
from flask_appbuilder import IndexView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.catalog.models import Company
from app.core.db import db
from app.core.scoping import SELECTED_COMPANY_KEY, current_principal, scoped
from app.core.views import PortalBaseView


class PortalIndexView(IndexView):
    """Anonymous visitors go to the login; everyone else sees his dashboard."""

    index_template = "pws/dashboard.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        return self.render_template(self.index_template, appbuilder=self.appbuilder)


def selectable_companies() -> list[Company]:
    """The companies the top-bar selector offers: those the user is linked to."""
    principal = current_principal()
    if principal.user_id is None:
        return []
    stmt = select(Company).where(Company.active.is_(True)).order_by(Company.name)
    if principal.linked_company_ids is not None:
        stmt = stmt.where(Company.id.in_(principal.linked_company_ids))
    return list(db.session.execute(stmt).scalars())


class CompanySelectorView(PortalBaseView):
    """POST-only: narrows every list to one company, or back to "Todas"."""

    route_base = "/empresa"
    class_permission_name = "Dashboard"
    method_permission_name = {"select": "read"}
    default_view = "select"

    @expose("/selecionar", methods=["POST"])
    @has_access
    def select(self):
        choice = request.form.get("company_id", "")
        allowed = {c.id for c in selectable_companies()}
        if choice.isdigit() and int(choice) in allowed:
            session[SELECTED_COMPANY_KEY] = int(choice)
        else:
            session.pop(SELECTED_COMPANY_KEY, None)
        return redirect(url_for("PortalIndexView.index"))


def register(appbuilder):
    appbuilder.add_view_no_menu(CompanySelectorView())
