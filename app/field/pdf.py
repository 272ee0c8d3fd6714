"""The complete service order (OS) as a PDF: dealer and client, equipment, defect, timeline,
report, counters, photos and signature. Every user-supplied text is XML-escaped before it
enters a reportlab Paragraph (whose markup would otherwise interpret it)."""
from html import escape
from io import BytesIO

from flask import current_app, send_file
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from app.core.db import db, utcnow
from app.core.numbers import format_integer
from app.core.timefmt import format_datetime
from app.field import images, services
from app.field.models import Attendance, AttendancePhoto

GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])
FIELDS = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])


def _styles():
    sheet = getSampleStyleSheet()
    return {"title": sheet["Title"], "h2": sheet["Heading2"], "body": sheet["BodyText"],
            "small": sheet["Italic"]}


def _p(text, style) -> Paragraph:
    """A paragraph of user text: escaped, line breaks kept."""
    return Paragraph(escape("" if text is None else str(text), quote=False).replace("\n", "<br/>"), style)


def format_distance(metres: float | None) -> str:
    return "" if metres is None else f"{metres / 1000:.2f} km".replace(".", ",")


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, minutes = divmod(round(seconds / 60), 60)
    return _("%(h)d h %(m)02d min", h=hours, m=minutes) if hours else _("%(m)d minutos", m=minutes)


def _fields(rows, st) -> Table:
    data = [[_p(label, st["body"]), _p(value, st["body"])] for label, value in rows if value not in (None, "")]
    return Table(data or [[""]], colWidths=[4.5 * cm, 12.5 * cm], style=FIELDS)


def _grid(header, rows, widths, st) -> Table:
    data = [[_p(h, st["body"]) for h in header]] + [[_p(c, st["body"]) for c in row] for row in rows]
    return Table(data, colWidths=widths, style=GRID, repeatRows=1)


def _picture(stored_name: str, max_w: float, max_h: float) -> Image | None:
    path = images.path_of(stored_name)
    if not path.exists():
        return None
    width, height = ImageReader(str(path)).getSize()
    scale = min(max_w / width, max_h / height)
    return Image(str(path), width=width * scale, height=height * scale)


def build_pdf(attendance: Attendance) -> bytes:
    st = _styles()
    call, client, technician = attendance.call, attendance.call.client, attendance.technician
    company, equipment = call.company, call.equipment
    story = [
        _p(current_app.config["PWS_DEALER_NAME"], st["small"]),
        _p(_("Ordem de Serviço — Chamado Nº %(call)s", call=call), st["title"]),
        _p(_("Revenda"), st["h2"]),
        _fields([(_("Empresa"), company.name), (_("Nome fantasia"), company.trade_name),
                 (_("CNPJ"), company.cnpj), (_("Cidade/UF"), f"{company.city or ''} / {company.state or ''}")], st),
        _p(_("Cliente"), st["h2"]),
        _fields([(_("Razão social"), client.name), (_("Nome fantasia"), client.trade_name),
                 (_("CNPJ/CPF"), client.cnpj_cpf), (_("Endereço"), client.address),
                 (_("Bairro"), client.district), (_("CEP"), client.zip), (_("Cidade/UF"), client.city_uf),
                 (_("Contato"), call.contact_name or client.contact_name),
                 (_("Telefone"), call.contact_phone or client.phone),
                 (_("E-mail"), services.contact_email(call))], st),
        _p(_("Equipamento e defeito"), st["h2"]),
        _fields([(_("Série"), equipment.serial if equipment else None),
                 (_("Patrimônio"), equipment.asset_tag if equipment else None),
                 (_("Modelo"), equipment.model.name if equipment and equipment.model else None),
                 (_("Local de Instalação"), equipment.location if equipment else None),
                 (_("Contrato"), call.contract.number if call.contract else None),
                 (_("Endereço do atendimento"), call.service_address),
                 (_("Defeito"), call.defect_type.name if call.defect_type else None),
                 (_("Descrição"), call.description)], st),
        _p(_("Atendimento"), st["h2"]),
        _fields([(_("Técnico"), technician.name),
                 (_("Status"), services.STATUS_LABELS[attendance.status]),
                 (_("Início"), format_datetime(attendance.started_at)),
                 (_("Fim"), format_datetime(attendance.finished_at)),
                 (_("Distância percorrida"), format_distance(attendance.distance_m)),
                 (_("Tempo de deslocamento"), format_duration(attendance.travel_seconds))], st),
    ]
    events = services.timeline(attendance)
    if events:
        story += [_p(_("Timeline"), st["h2"]),
                  _grid([_("Data/hora"), _("Evento")],
                        [[format_datetime(e.device_time), services.EVENT_LABELS[e.kind]] for e in events],
                        [4.5 * cm, 12.5 * cm], st)]
    story += [_p(_("Relatório"), st["h2"]),
              _fields([(_("Serviços executados"), attendance.services or "—"),
                       (_("Observações"), attendance.notes),
                       (_("Pendência"), _("Sim") if attendance.pending else _("Não"))], st)]
    if attendance.parts:
        story += [Spacer(1, 6), _grid([_("Código"), _("Peça"), _("Qtd.")],
                                      [[p.get("code") or "", p["description"], f"{p['quantity']:g}"]
                                       for p in attendance.parts], [3 * cm, 11.5 * cm, 2.5 * cm], st)]
    if attendance.counter_list:
        story += [_p(_("Contadores"), st["h2"]),
                  _grid([_("Contador"), _("Valor")],
                        [[c["name"], format_integer(c["value"])] for c in attendance.counter_list],
                        [8.5 * cm, 8.5 * cm], st)]
    photos = list(db.session.execute(select(AttendancePhoto).where(
        AttendancePhoto.attendance_id == attendance.id).order_by(AttendancePhoto.id)).scalars())
    cells = []
    for photo in photos:
        picture = _picture(photo.stored_name, 8 * cm, 6 * cm)
        if picture is not None:
            cells.append([picture, _p(photo.caption, st["small"])])
    if cells:
        rows = [cells[i:i + 2] for i in range(0, len(cells), 2)]
        story += [_p(_("Fotos"), st["h2"]),
                  Table([[Table([[c[0]], [c[1]]]) for c in row] + [""] * (2 - len(row)) for row in rows],
                        colWidths=[8.5 * cm, 8.5 * cm])]
    if attendance.signature_stored_name:
        signature = _picture(attendance.signature_stored_name, 7 * cm, 3.5 * cm)
        story += [_p(_("Assinatura do cliente"), st["h2"])]
        if signature is not None:
            story.append(signature)
        story.append(_p(attendance.signer_name, st["body"]))
    generated = _("Gerado em %(when)s", when=format_datetime(utcnow()))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, 1.2 * cm, f"{generated} — {_('Página %(n)d', n=doc.page)}")
        canvas.restoreState()

    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                                 topMargin=1.5 * cm, bottomMargin=2 * cm,
                                 title=_("OS %(call)s", call=call), author=current_app.config["PWS_DEALER_NAME"])
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def pdf_response(attendance: Attendance):
    response = send_file(BytesIO(build_pdf(attendance)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"OS-{attendance.call_id}-{attendance.id}.pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
