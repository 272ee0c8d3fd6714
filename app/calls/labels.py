"""Etiquetas: a printable label per equipment whose QR code opens, after login, a call (or a
supply request) already pointing at that equipment.

The QR carries an opaque signed code, not the equipment's id. Scanning it without a session
only leads to the login page; after login the equipment is looked up within the user's scope
(a foreign equipment is 404), so a label reveals nothing to whoever finds it.
"""
from __future__ import annotations

import segno
from flask import abort, current_app, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.catalog.models import Equipment
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import scoped
from app.core.views import PortalBaseView

SALT = "pws-equipment-label"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def label_code(equipment_id: int) -> str:
    return _serializer().dumps(equipment_id)


def equipment_id_of(code: str) -> int | None:
    try:
        value = _serializer().loads(code)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def label_url(equipment_id: int) -> str:
    return f"{current_app.config['PWS_BASE_URL']}/etiquetas/q/{label_code(equipment_id)}"


def _scoped_equipment(pk: int | None) -> Equipment:
    stmt = scoped(select(Equipment).where(Equipment.id == pk), Equipment).options(
        joinedload(Equipment.model), joinedload(Equipment.client))
    equipment = db.session.execute(stmt).scalar_one_or_none() if pk else None
    if equipment is None:
        abort(404)
    return equipment


class LabelView(PortalBaseView):
    """The printable label (dealer staff) and the page its QR code opens (everyone)."""

    route_base = "/etiquetas"
    page_title = _l("Etiqueta do equipamento")
    class_permission_name = "EquipmentLabel"
    base_permissions = ["can_read"]
    method_permission_name = {"label": "read"}

    @expose("/<int:pk>")
    @has_access
    def label(self, pk):
        equipment = _scoped_equipment(pk)
        url = label_url(equipment.id)
        svg = segno.make(url, error="m").svg_inline(scale=4, title=str(_l("Abrir chamado")))
        return self.render_template("calls/label.html", equipment=equipment, qr_svg=svg, url=url)


class LabelScanView(PortalBaseView):
    """Where a scanned label lands: the actions this user may start for that equipment."""

    route_base = "/etiquetas/q"
    page_title = _l("Equipamento")
    class_permission_name = "Dashboard"
    base_permissions = ["can_read"]
    method_permission_name = {"scan": "read"}

    @expose("/<code>")
    @has_access
    def scan(self, code):
        equipment = _scoped_equipment(equipment_id_of(code))
        sm = self.appbuilder.sm
        actions = []
        if sm.has_access("can_write", "CallOpening"):
            actions.append((_l("Abrir chamado"), "fa-ticket",
                            url_for("CallOpenView.open", equipamento=equipment.id)))
        if sm.has_access("can_write", "SupplyOpening"):
            # The supply area's form for this equipment, by endpoint (no import of that area).
            actions.append((_l("Solicitar suprimentos"), "fa-tint",
                            url_for("SupplyOpeningView.by_equipment", pk=equipment.id)))
        if not actions:
            abort(403)
        return self.render_template("calls/label_scan.html", equipment=equipment, actions=actions)


def register(appbuilder):
    appbuilder.add_view_no_menu(LabelView())
    appbuilder.add_view_no_menu(LabelScanView())
