"""The equipment's meter-reading history on its page: a small server-drawn SVG chart (no
JavaScript library) and the client's "Informar contador" form."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import escape

from app.catalog.models import Equipment
from app.core.db import db
from app.core.scoping import current_principal, get_scoped
from app.core.numbers import format_integer
from app.core.timefmt import format_date, format_datetime
from app.core.views import PortalBaseView
from app.supplies.models import MeterReading
from app.supplies.services import MAX_COUNTER, SupplyError, client_reading, readings_of

WIDTH, HEIGHT, PAD = 480, 140, 28


def chart_svg(readings: list[MeterReading]) -> str:
    """A polyline of the counters over time, with the first and last reading written out."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif" font-size="11">')
    title = escape(_("Histórico de contadores"))
    if not readings:
        return (f"{head}<title>{title}</title><text x=\"{PAD}\" y=\"{HEIGHT // 2}\" fill=\"#777\">"
                f"{escape(_('Nenhum contador registrado.'))}</text></svg>")
    times = [r.read_at.timestamp() for r in readings]
    values = [r.counter for r in readings]
    t0, t1 = min(times), max(times)
    v0, v1 = min(values), max(values)
    span_t, span_v = (t1 - t0) or 1, (v1 - v0) or 1

    def point(t, v):
        x = PAD + (t - t0) / span_t * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (v - v0) / span_v * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    points = " ".join(point(t, v) for t, v in zip(times, values))
    dots = "".join(
        f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" fill="#1d4f91">'
        f"<title>{escape(format_datetime(r.read_at))}: {format_integer(r.counter)} "
        f"({escape(str(MeterReading.SOURCE_LABELS.get(r.source, r.source)))})</title></circle>"
        for p, r in zip(points.split(" "), readings))
    first, last = readings[0], readings[-1]
    return (f"{head}<title>{title}</title>"
            f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#ccc"/>'
            f'<polyline points="{points}" fill="none" stroke="#1d4f91" stroke-width="2"/>{dots}'
            f'<text x="{PAD}" y="{HEIGHT - 8}" fill="#555">{escape(format_date(first.read_at))}: '
            f"{format_integer(first.counter)}</text>"
            f'<text x="{WIDTH - PAD}" y="{PAD - 10}" text-anchor="end" fill="#555">'
            f"{escape(format_date(last.read_at))}: {format_integer(last.counter)}</text></svg>")


class MeterChartView(PortalBaseView):
    """/contadores/<equipment>.svg: whoever may see the equipment sees its counters."""

    route_base = "/contadores"
    class_permission_name = "Equipment"
    base_permissions = ["can_read"]
    method_permission_name = {"chart": "read"}

    @expose("/<int:pk>.svg")
    @has_access
    def chart(self, pk):
        if get_scoped(db.session, Equipment, pk) is None:
            abort(404)
        response = Response(chart_svg(readings_of(pk)), mimetype="image/svg+xml")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class MeterReadingView(PortalBaseView):
    """Informar contador: who may request supplies may also tell the equipment's counter."""

    route_base = "/contadores/informar"
    class_permission_name = "SupplyOpening"
    base_permissions = ["can_write"]
    method_permission_name = {"inform": "write"}

    @expose("/<int:pk>", methods=["POST"])
    @has_access
    def inform(self, pk):
        equipment = get_scoped(db.session, Equipment, pk)
        if equipment is None:
            abort(404)
        if not FlaskForm().validate_on_submit():
            abort(400)
        raw = (request.form.get("contador") or "").strip().replace(".", "")
        if not raw.isdigit() or int(raw) > MAX_COUNTER:
            flash(_("Contador inválido: informe somente números."), "danger")
        else:
            try:
                client_reading(equipment, int(raw), actor=current_principal())
            except SupplyError as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                db.session.commit()
                flash(_("Contador %(counter)s registrado.", counter=format_integer(int(raw))), "success")
        return redirect(url_for("EquipmentView.show", pk=equipment.id))


def register(appbuilder):
    appbuilder.add_view_no_menu(MeterChartView())
    appbuilder.add_view_no_menu(MeterReadingView())
