"""Registro de alterações (Configurações): the change log of app.core.changelog, read-only."""
import re
from datetime import date, datetime

from flask import current_app
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import gettext as _
from wtforms import SelectField, StringField

from app.accounts.models import PortalUser
from app.core.changelog import CREATE, DELETE, HIDDEN, HIDDEN_NEW, UPDATE, ObjectChange, tracked_models
from app.core.filters import FilteredInterface, related_text
from app.core.i18n import lazy_gettext as _l
from app.core.timefmt import format_date, format_datetime
from app.core.views import PortalModelView, yes_no

ACTION_LABELS = {CREATE: _l("Inclusão"), UPDATE: _l("Alteração"), DELETE: _l("Exclusão")}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def object_label(name: str) -> str:
    tracked = tracked_models().get(name)
    return str(tracked.label) if tracked is not None and tracked.label else name


def shown_value(value) -> str:
    """A recorded value as the screens show it: Sim/Não, dd/mm/aaaa, names, — for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if value == HIDDEN:
        return _("(oculto)")
    if value == HIDDEN_NEW:
        return _("(alterado, oculto)")
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return format_datetime(datetime.fromisoformat(value))
    if isinstance(value, str) and _ISO_DATE.match(value):
        return format_date(date.fromisoformat(value))
    return str(value)


def field_labels(object_type: str) -> dict:
    """The labels the admin screens of that model give its fields."""
    labels = {}
    for view in current_app.appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        if datamodel is not None and datamodel.obj.__name__ == object_type:
            labels = {**(view.label_columns or {}), **labels}
    return labels


def changed_rows(item: ObjectChange) -> list[tuple[str, str, str]]:
    """(field, before, after) of one entry, in the screens' words."""
    labels = field_labels(item.object_type)
    return [(str(labels.get(name, name)), shown_value(before), shown_value(after))
            for name, (before, after) in sorted((item.changes or {}).items())]


class ObjectChangeView(PortalModelView):
    """Who created, changed or deleted a user, a defect, a calendar… and each field before → after."""

    route_base = "/registro-alteracoes"
    # "Usuário" is typed, not picked from a list of every user (clients' users included: 300 in
    # the large demo made each page build 9,000 objects for the search form's select).
    datamodel = FilteredInterface(ObjectChange, filters={
        "user": [related_text("user_id", PortalUser, "first_name", "last_name", "email")]})
    class_permission_name = "ObjectChange"
    base_permissions = ["can_read"]
    exclude_route_methods = PortalModelView.exclude_route_methods | {"add", "edit", "delete", "action",
                                                                     "action_post"}
    show_template = "accounts/object_change_show.html"
    list_title = _l("Registro de alterações")
    show_title = _l("Alteração registrada")
    list_columns = ["changed_at", "user", "action", "object_type", "object_repr"]
    show_columns = ["changed_at", "user", "action", "object_type", "object_id", "object_repr"]
    search_columns = ["changed_at", "user", "action", "object_type", "object_id", "object_repr"]
    order_columns = ["changed_at"]
    base_order = ("id", "desc")
    label_columns = {"changed_at": _l("Data"), "user": _l("Usuário"), "action": _l("Operação"),
                     "object_type": _l("Tipo"), "object_id": _l("ID do registro"),
                     "object_repr": _l("Registro")}
    formatters_columns = {
        "changed_at": format_datetime,
        "user": lambda user: str(user) if user else _("Sistema"),
        "action": lambda value: str(ACTION_LABELS.get(value, value)),
        "object_type": object_label,
    }

    def __init__(self, **kwargs):
        self.search_form_extra_fields = {
            "user": StringField(_l("Usuário")),
            "action": SelectField(_l("Operação"), choices=[(k, v) for k, v in ACTION_LABELS.items()],
                                  widget=Select2Widget()),
            "object_type": SelectField(_l("Tipo"), widget=Select2Widget(), choices=sorted(
                ((name, tracked.label) for name, tracked in tracked_models().items()),
                key=lambda choice: str(choice[1]))),
        }
        super().__init__(**kwargs)

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:
            item = self.datamodel.get(kwargs["pk"])
            kwargs["changed_rows"] = changed_rows(item) if item is not None else []
        return super().render_template(template, **kwargs)


def register(appbuilder):
    appbuilder.add_view(ObjectChangeView, "ObjectChanges", label=_l("Registro de alterações"),
                        icon="fa-history", category="Config", category_label=_l("Configurações"),
                        category_icon="fa-cog")
