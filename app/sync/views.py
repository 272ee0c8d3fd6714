"""Configurações → Sincronismo: tokens (shown once, revocable) and the synchronizer's monitor."""
from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.bounds import raw_problems
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, scoped
from app.core.views import PortalBaseView
from app.sync import services
from app.sync.api import SyncApi, json_routing_errors
from app.sync.models import SyncBatch, SyncToken


class SyncMonitorView(PortalBaseView):
    route_base = "/sincronismo"
    default_view = "index"
    class_permission_name = "SyncToken"
    method_permission_name = {"index": "read", "batch": "read", "create_token": "write",  # nosec B105  # a permission name
                              "revoke": "write"}

    @expose("/")
    @has_access
    def index(self):
        page = request.args.get("pagina", "1")
        page = int(page) - 1 if page.isascii() and page.isdigit() and int(page) > 0 else 0
        batches, has_next = services.recent_batches(page)
        last_sync_at = services.last_sync_at()
        return self.render_template(
            "sync/monitor.html", tokens=services.monitor_tokens(), batches=batches, page=page + 1,
            has_next=has_next, last_sync_at=last_sync_at,
            stale=services.is_stale(last_sync_at))

    @expose("/lotes/<int:pk>")
    @has_access
    def batch(self, pk):
        row = db.session.execute(scoped(select(SyncBatch), SyncBatch).where(SyncBatch.id == pk)).scalar_one_or_none()
        if row is None:
            abort(404)
        return self.render_template("sync/batch.html", batch=row)

    @expose("/tokens", methods=["POST"])
    @has_access
    def create_token(self):
        too_long = raw_problems(request.form, {"name": (SyncToken.name, _("Nome"))})
        if too_long:
            flash(too_long[0], "danger")
            return redirect(url_for(".index"))
        try:
            token, plain = services.create_token(request.form.get("name", ""),
                                                 created_by_id=current_principal().user_id)
        except services.SyncError as problem:
            flash(str(problem), "danger")
            return redirect(url_for(".index"))
        db.session.commit()
        response = make_response(self.render_template("sync/token_created.html", token=token, plain=plain))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/tokens/<int:pk>/revogar", methods=["POST"])
    @has_access
    def revoke(self, pk):
        token = services.revoke_by_id(pk)
        if token is None:
            abort(404)
        db.session.commit()
        flash(_("Token %(name)s revogado: o sincronizador que o usa recebe 401 a partir de agora.",
                name=token.name), "success")
        return redirect(url_for(".index"))


def register(appbuilder):
    appbuilder.add_view(SyncMonitorView, "Sincronismo", label=_l("Sincronismo"), icon="fa-refresh",
                        category="Config", category_label=_l("Configurações"), category_icon="fa-cog")
    appbuilder.add_api(SyncApi)
    current_app.before_request(json_routing_errors)
