"""Perfis e funções: what each profile and function may do, area by area, in Portuguese.

Read-only: the profiles are declared in app.accounts.roles together with the rules the code
applies to them (scope, status transitions, e-mail audience), which a permission ticked on a
screen could not follow; ``flask pws init`` writes the declaration to the database. What the
admin tunes per user is his profile and the extra "Função: …" roles (Administrar usuários).
"""
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.accounts.roles import AREAS, EVERYONE_LABEL, matrix
from app.core.i18n import lazy_gettext as _l
from app.core.views import PortalBaseView


class ProfileMatrixView(PortalBaseView):
    route_base = "/perfis"
    class_permission_name = "ProfileMatrix"
    base_permissions = ["can_read"]
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("accounts/profiles.html", title=_l("Perfis e funções"),
                                    areas=[label for label, _resources in AREAS], rows=matrix(),
                                    everyone=EVERYONE_LABEL)
