"""Atendimentos – APP (§3.3.3.3), the technician's web page, Rastreamento de técnicos (§3.4),
Avaliações, and the public pages behind e-mailed and shared links."""
from datetime import date, datetime, timedelta

from flask import (
    abort, current_app, flash, jsonify, redirect, request, send_file, send_from_directory, url_for,
)
from flask_appbuilder import expose
from flask_appbuilder.baseviews import BaseView
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.calls.models import ServiceCall
from app.catalog.models import Technician
from app.core.db import db, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, scoped
from app.core.timefmt import format_datetime, local_midnight_utc, local_tz
from app.core.views import (
    READ_WRITE_METHODS, PortalBaseView, PortalListWidget, PortalModelView, ScopedInterface, max_page_size,
    page_number,
)
from app.core.headers import PUBLIC_HEADERS
from app.core.tokens import TokenGone
from app.field import filters as attendance_filters
from app.field import images, pdf, services
from app.field.models import Attendance, AttendancePhoto, Survey

STATUS_FORMATTER = {"status": lambda value: services.STATUS_LABELS.get(value, value)}


def map_config() -> dict:
    return {"tile_url": current_app.config["PWS_MAP_TILE_URL"],
            "attribution": current_app.config["PWS_MAP_TILE_ATTRIBUTION"]}


def parse_id(value: str) -> int | None:
    """A row number typed in a filter (anything else is ignored, never an error)."""
    return int(value) if value.isdigit() and len(value) <= 9 else None


def parse_day(value: str | None) -> date | None:
    """A date from the filter form: aaaa-mm-dd (date input) or dd/mm/aaaa."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((value or "").strip(), fmt).date()
        except ValueError:
            continue
    return None


def _image_response(stored_name: str):
    path = images.path_of(stored_name)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=images.content_type_of(stored_name), as_attachment=True,
                         download_name=path.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class AttendanceInterface(ScopedInterface):
    """Attendances with their call's client loaded with the page (no query per row)."""

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        return query.options(joinedload(Attendance.call).joinedload(ServiceCall.client))


class AttendanceListWidget(PortalListWidget):
    template = "field/attendance_list_widget.html"


class AttendanceView(PortalModelView):
    """Atendimentos – APP: the list with the manual's filters, Ver, Imprimir, Compartilhar."""

    route_base = "/atendimentos"
    datamodel = AttendanceInterface(Attendance, page_by_keys=True)
    class_permission_name = "Attendance"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {**READ_WRITE_METHODS, "imprimir": "read", "foto": "read",
                              "assinatura": "read", "compartilhar": "read", "revogar": "read"}
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "edit", "delete", "action", "action_post"}
    list_widget = AttendanceListWidget
    list_template = "field/attendance_list.html"
    list_title = _l("Atendimentos – APP")
    show_title = _l("Atendimento")
    list_columns = ["technician.name", "status", "call.client.display_name", "call.display_number",
                    "started_at"]
    order_columns = ["started_at"]
    search_columns = ["services", "notes"]
    base_order = ("started_at", "desc")
    formatters_columns = STATUS_FORMATTER
    label_columns = {"technician": _l("Técnico"), "technician.name": _l("Técnico"), "status": _l("Status"),
                     "call.client.display_name": _l("Cliente"), "call": _l("Chamado"),
                     "call.display_number": _l("Chamado"), "started_at": _l("Início"),
                     "services": _l("Serviços executados"), "notes": _l("Observações")}
    # (form field, filter, parser): the manual's "Filtro" panel.
    FILTER_FORM = (
        ("chamado", attendance_filters.CallNumberFilter, parse_id),
        ("chamado_ilux", attendance_filters.CallErpFilter, lambda v: v or None),
        ("status", attendance_filters.StatusFilter, lambda v: v if v in services.STATUS_LABELS else None),
        ("cliente", attendance_filters.ClientNameFilter, lambda v: v or None),
        ("tecnico", attendance_filters.TechnicianFilter, parse_id),
        ("inicio", attendance_filters.StartedFromFilter, parse_day),
        ("fim", attendance_filters.StartedUntilFilter, parse_day),
    )

    def _filter_values(self) -> dict:
        values = {}
        for field, _filter, parse in self.FILTER_FORM:
            raw = request.args.get(field, "").strip()
            value = parse(raw) if raw else None
            if value is not None:
                values[field] = value
        return values

    def _get_list_widget(self, filters, **kwargs):
        filters = filters.copy()
        values = self._filter_values()
        for field, filter_class, _parse in self.FILTER_FORM:
            if field in values:
                filters.add_filter("id", filter_class, values[field])
        return super()._get_list_widget(filters, **kwargs)

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            technicians = db.session.execute(scoped(
                select(Technician.id, Technician.name).where(Technician.active.is_(True))
                .order_by(Technician.name), Technician)).all()
            kwargs.update(filter_args={f: request.args.get(f, "") for f, _x, _y in self.FILTER_FORM},
                          technicians=technicians, statuses=services.STATUS_LABELS)
        return super().render_template(template, **kwargs)

    @expose("/")
    @has_access
    def index(self):
        return redirect(url_for(".list"))

    def _attendance(self, pk) -> Attendance:
        attendance = self.datamodel.get(pk)
        if attendance is None:
            abort(404)
        return attendance

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        """Ver: timeline with times, map of the trip, distance, photos, signature, report."""
        attendance = self._attendance(pk)
        events = services.timeline(attendance)
        principal = current_principal()
        positions = not principal.client_side  # GPS positions are dealer-side data
        track = services.travel_track(attendance, events) if positions else []
        markers = [{"lat": e.latitude, "lon": e.longitude, "label": str(services.EVENT_LABELS[e.kind]),
                    "time": format_datetime(e.device_time)}
                   for e in events if positions and e.latitude is not None]
        photos = list(db.session.execute(select(AttendancePhoto).where(
            AttendancePhoto.attendance_id == attendance.id).order_by(AttendancePhoto.id)).scalars())
        survey = services.survey_of(attendance)
        can_rate = (survey is not None and survey.answered_at is None and survey.expires_at > utcnow()
                    and self.appbuilder.sm.has_access("can_write", "Survey") and principal.client_side)
        return self.render_template(
            "field/attendance_show.html", title=self.show_title, attendance=attendance,
            events=events, photos=photos, survey=survey, can_rate=can_rate,
            map_data={**map_config(), "track": [[lat, lon] for _at, lat, lon in track],
                      "markers": markers},
            labels=services.EVENT_LABELS, statuses=services.STATUS_LABELS,
            distance=pdf.format_distance(attendance.distance_m),
            duration=pdf.format_duration(attendance.travel_seconds),
        )

    @expose("/imprimir/<int:pk>")
    @has_access
    def imprimir(self, pk):
        """Imprimir: the complete OS as PDF."""
        return pdf.pdf_response(self._attendance(pk))

    @expose("/foto/<int:pk>/<int:photo_id>")
    @has_access
    def foto(self, pk, photo_id):
        attendance = self._attendance(pk)
        photo = db.session.get(AttendancePhoto, photo_id)
        if photo is None or photo.attendance_id != attendance.id:
            abort(404)
        return _image_response(photo.stored_name)

    @expose("/assinatura/<int:pk>")
    @has_access
    def assinatura(self, pk):
        attendance = self._attendance(pk)
        if not attendance.signature_stored_name:
            abort(404)
        return _image_response(attendance.signature_stored_name)

    @expose("/compartilhar/<int:pk>", methods=["GET", "POST"])
    @has_access
    def compartilhar(self, pk):
        """Compartilhar: an expiring, revocable link; the URL is shown once, then only its hash
        remains."""
        attendance = self._attendance(pk)
        new_url = None
        if request.method == "POST":
            _link, token = services.share_attendance(attendance, current_principal().user_id)
            db.session.commit()
            new_url = f"{current_app.config['PWS_BASE_URL']}/acompanhar/{token}"
        return self.render_template(
            "field/attendance_share.html", title=_("Compartilhar atendimento"), attendance=attendance,
            links=services.links_of(attendance), link_labels=services.LINK_LABELS,
            new_url=new_url, now=utcnow(),
            days=current_app.config["PWS_SHARE_LINK_DAYS"])

    @expose("/revogar/<int:pk>/<int:link_id>", methods=["POST"])
    @has_access
    def revogar(self, pk, link_id):
        services.revoke_link(self._attendance(pk), link_id)
        db.session.commit()
        flash(_("Link revogado: quem o tiver não verá mais o atendimento."), "success")
        return redirect(url_for(".compartilhar", pk=pk))


class TechnicianWebView(PortalBaseView):
    """Registrar atendimento: the app for a technician without it, in the phone's browser.

    The page is a client of the app API (same endpoints, the session cookie and the CSRF
    header), with the browser's geolocation, camera and a signature pad.
    """

    route_base = "/atendimentos/registrar"
    class_permission_name = "TechnicianApp"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "write"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        if not services.is_technician(current_principal()):
            abort(403)
        return self.render_template(
            "field/technician_web.html",
            api_base=url_for("TechnicianAppApi.orders").rsplit("/", 1)[0],
            labels={kind: str(label) for kind, label in services.EVENT_LABELS.items()},
            statuses={key: str(label) for key, label in services.STATUS_LABELS.items()},
            user_id=current_principal().user_id,
            gps_retention_days=current_app.config["PWS_GPS_RETENTION_DAYS"])

    # The two files that make the page an installable, offline app (docs/field.md "Offline").
    # Both are public and hold nothing of a user: a browser fetches the manifest without
    # cookies, and the worker only keeps what the signed-in page itself loaded.

    @expose("/app.webmanifest")
    def manifest(self):
        """The web app manifest: installed from the phone's menu, it opens on his open orders."""
        icons = [{"src": url_for("static", filename="field/icons/icon.svg"), "sizes": "any",
                  "type": "image/svg+xml"}]
        icons += [{"src": url_for("static", filename=f"field/icons/icon-{size}.png"),
                   "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"} for size in (192, 512)]
        response = jsonify({
            "name": _("PWS – Atendimentos em campo"), "short_name": _("PWS Campo"),
            "description": _("Registrar atendimentos, também sem sinal."),
            "lang": "pt-BR", "dir": "ltr",
            "id": url_for(".index"), "start_url": url_for(".index"), "scope": url_for(".index"),
            "display": "standalone", "orientation": "portrait",
            "background_color": "#ffffff", "theme_color": "#337ab7", "icons": icons,
        })
        response.mimetype = "application/manifest+json"
        return response

    @expose("/sw.js")
    def service_worker(self):
        """The service worker, served from the page's folder so that its scope covers it."""
        return send_from_directory(current_app.static_folder, "field/sw.js",
                                   mimetype="text/javascript", max_age=0)


class TrackingView(PortalBaseView):
    """Rastreamento de técnicos (§3.4): each technician's last known position and time."""

    route_base = "/rastreamento"
    class_permission_name = "TechnicianTracking"
    base_permissions = ["can_read"]
    method_permission_name = {"index": "read", "positions": "read"}
    default_view = "index"
    # The page asks for the positions again this often, so the map follows without a reload.
    REFRESH_SECONDS = 30

    @staticmethod
    def _positions() -> list[dict]:
        """Each last position with its time and age: a phone offline for hours sends late."""
        now = utcnow()
        return [{"lat": t.last_latitude, "lon": t.last_longitude, "label": t.name,
                 "time": _("%(time)s (há %(age)s)", time=format_datetime(t.last_position_at),
                           age=pdf.format_duration((now - t.last_position_at).total_seconds())),
                 "accuracy": None if t.last_accuracy_m is None else f"{t.last_accuracy_m:.0f} m"}
                for t in services.tracked_technicians()]

    @expose("/")
    @has_access
    def index(self):
        markers = self._positions()
        return self.render_template(
            "field/tracking.html", markers=markers,
            map_data={**map_config(), "track": [], "markers": markers,
                      "refresh_url": url_for(".positions"), "refresh_seconds": self.REFRESH_SECONDS},
            retention=current_app.config["PWS_GPS_RETENTION_DAYS"])

    @expose("/posicoes")
    @has_access
    def positions(self):
        """The same positions as JSON, for the page's periodic refresh."""
        response = jsonify({"markers": self._positions()})
        response.headers["Cache-Control"] = "no-store"
        return response


def _month_bounds(value: str | None) -> tuple[date, datetime, datetime]:
    """The chosen month (aaaa-mm, default: this month in São Paulo) as UTC bounds."""
    today = datetime.now(local_tz()).date()
    try:
        first = datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, local_midnight_utc(first), local_midnight_utc(following)


class SurveyView(PortalBaseView):
    """Avaliações: ratings per technician and month; a client user may also answer here."""

    route_base = "/avaliacoes"
    class_permission_name = "Survey"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "read", "responder": "write"}
    default_view = "index"
    page_size = 20

    @expose("/")
    @has_access
    def index(self):
        month, start, end = _month_bounds(request.args.get("mes"))
        answered = (select(Survey).join(Attendance, Attendance.id == Survey.attendance_id)
                    .where(Survey.answered_at >= start, Survey.answered_at < end))
        answered = scoped(answered, Survey)
        summary_stmt = (
            answered.with_only_columns(
                Technician.name, func.count(Survey.id), func.avg(Survey.rating),
                *[func.sum(case((Survey.rating == n, 1), else_=0)) for n in range(1, 6)])
            .join(Technician, Technician.id == Attendance.technician_id)
            .group_by(Technician.id, Technician.name).order_by(Technician.name)
        )
        summary = db.session.execute(summary_stmt).all()
        total = sum(row[1] for row in summary)
        page = page_number(request.args.get("pagina"))
        size = max_page_size(self.page_size)
        answers = db.session.execute(
            answered.options(joinedload(Survey.attendance).joinedload(Attendance.technician),
                             joinedload(Survey.attendance).joinedload(Attendance.call)
                             .joinedload(ServiceCall.client))
            .order_by(Survey.answered_at.desc(), Survey.id.desc())
            .limit(size).offset(page * size)).scalars().all()
        return self.render_template(
            "field/surveys.html", month=month, summary=summary, answers=answers, total=total,
            page=page, pages=max(1, -(-total // size)))

    @expose("/responder/<int:pk>", methods=["POST"])
    @has_access
    def responder(self, pk):
        """A logged-in client rates an attendance of his own clients."""
        survey = db.session.execute(scoped(
            select(Survey).where(Survey.attendance_id == pk), Survey)).scalar_one_or_none()
        if survey is None:
            abort(404)
        try:
            services.answer_survey(survey, request.form.get("rating"), request.form.get("comment"))
            db.session.commit()
            flash(_("Obrigado! Sua avaliação foi registrada."), "success")
        except TokenGone:
            flash(_("Esta avaliação já foi respondida ou expirou."), "warning")
        except services.FieldError as error:
            db.session.rollback()
            flash(error.message, "danger")
        return redirect(url_for("AttendanceView.show", pk=pk))


class PublicFieldView(BaseView):
    """Pages reached by a link in an e-mail or a shared URL: the token is the only authority,
    so they read the one attendance it names and nothing else (no user scope applies)."""

    route_base = ""
    default_view = "acompanhar"

    def _public(self, template, http_status=200, **context):
        body = self.render_template(template, **context)
        return body, http_status, PUBLIC_HEADERS

    def _gone(self, message):
        return self._public("field/public_message.html", 410, title=_("Link indisponível"),
                            message=message)

    def _unknown(self):
        return self._public("field/public_message.html", 404, title=_("Link inválido"),
                            message=_("Este link não existe. Confira o endereço recebido por e-mail."))

    @expose("/avaliacao/<token>", methods=["GET", "POST"])
    def avaliacao(self, token):
        try:
            survey = services.survey_for_token(token)
        except TokenGone:
            return self._gone(_("Esta avaliação já foi respondida ou o prazo para responder terminou. Obrigado!"))
        if survey is None:
            return self._unknown()
        error = None
        if request.method == "POST":
            try:
                services.answer_survey(survey, request.form.get("rating"), request.form.get("comment"))
                db.session.commit()
                return self._public("field/public_message.html", title=_("Obrigado!"),
                                    message=_("Sua avaliação foi registrada."))
            except services.FieldError as failure:
                db.session.rollback()
                error = failure.message
        attendance = survey.attendance
        return self._public("field/survey_form.html", attendance=attendance, error=error,
                            form=request.form, dealer=current_app.config["PWS_DEALER_NAME"])

    def _link(self, token):
        try:
            return services.link_for_token(token), None
        except TokenGone:
            return None, self._gone(_("Este link expirou ou foi revogado."))

    @expose("/acompanhar/<token>")
    def acompanhar(self, token):
        link, gone = self._link(token)
        if gone:
            return gone
        if link is None:
            return self._unknown()
        attendance = link.attendance
        if link.purpose == services.ETA:
            status = services.eta_status(attendance)
            markers = []
            if status["position"]:
                markers.append({"lat": status["position"]["latitude"], "lon": status["position"]["longitude"],
                                "label": status["technician_name"],
                                "time": format_datetime(status["position"]["at"])})
            if status.get("destination"):
                markers.append({"lat": status["destination"]["latitude"],
                                "lon": status["destination"]["longitude"], "label": _("Destino"), "time": ""})
            return self._public("field/eta.html", attendance=attendance, status=status,
                                map_data={**map_config(), "track": [], "markers": markers})
        return self._public("field/shared_attendance.html", attendance=attendance, token=token,
                            events=services.timeline(attendance), labels=services.EVENT_LABELS,
                            statuses=services.STATUS_LABELS,
                            distance=pdf.format_distance(attendance.distance_m),
                            duration=pdf.format_duration(attendance.travel_seconds))

    @expose("/acompanhar/<token>/pdf")
    def acompanhar_pdf(self, token):
        link, gone = self._link(token)
        if gone:
            return gone
        if link is None or link.purpose != services.SHARE:
            return self._unknown()
        response = pdf.pdf_response(link.attendance)
        response.headers.update(PUBLIC_HEADERS)
        return response


def register(appbuilder):
    category = {"category": "Field", "category_label": _l("Atendimentos"), "category_icon": "fa-wrench"}
    appbuilder.add_view(AttendanceView, "Attendances", label=_l("Atendimentos – APP"),
                        icon="fa-mobile", **category)
    # Only a technician linked to the ERP can record (the admin holds the permission, not the link).
    appbuilder.add_view(TechnicianWebView, "TechnicianWeb", label=_l("Registrar atendimento"),
                        icon="fa-map-marker", menu_cond=lambda: services.is_technician(current_principal()),
                        **category)
    appbuilder.add_view(TrackingView, "TechnicianTracking", label=_l("Rastreamento de técnicos"),
                        icon="fa-map", **category)
    appbuilder.add_view(SurveyView, "Surveys", label=_l("Avaliações"), icon="fa-star", **category)
    appbuilder.add_view_no_menu(PublicFieldView())
    from app.field import api

    api.register(appbuilder)
