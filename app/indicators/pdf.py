"""The indicators of a period as a PDF (reportlab): the screen's tables, the same cells, for the
monthly e-mail and the screen's download. Text is XML-escaped before entering a Paragraph."""
from html import escape
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.indicators.services import Filters, Table as Indicator, cell

GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text), quote=False), style)


def build_pdf(filters: Filters, tables: list[Indicator]) -> bytes:
    sheet = getSampleStyleSheet()
    small = sheet["BodyText"].clone("small", fontSize=8, leading=10)
    story = [_p(current_app.config["PWS_DEALER_NAME"], sheet["Italic"]),
             _p(_("Indicadores de %(start)s a %(end)s", start=cell(filters.start), end=cell(filters.end)),
                sheet["Title"])]
    width = landscape(A4)[0] - 3 * cm
    for table in tables:
        story += [_p(table.title, sheet["Heading2"])]
        if table.note:
            story.append(_p(table.note, small))
        if not table.rows:
            story += [_p(_("Nenhum chamado no período."), small), Spacer(1, 0.3 * cm)]
            continue
        data = [[_p(column, small) for column in table.columns]]
        data += [[_p(value, small) for value in row] for row in table.cells()]
        story += [Table(data, colWidths=[width / len(table.columns)] * len(table.columns), style=GRID,
                        repeatRows=1), Spacer(1, 0.4 * cm)]
    out = BytesIO()
    SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                      topMargin=1.5 * cm, bottomMargin=1.5 * cm,
                      title=_("Indicadores"), author=current_app.config["PWS_DEALER_NAME"]).build(story)
    return out.getvalue()
