"""Peças solicitadas: the technician's request form (during or after an attendance) and the
Operador de Logística's list, where each request is marked separated, sent and received."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import PortalUser
from app.calls import parts, queries
from app.calls.models import CallStatus, PartsRequest, PartsRequestItem, ServiceCall
from app.calls.services import TransitionForbidden
from app.catalog.models import Equipment
from app.core.bounds import raw_problems
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal, get_scoped, scoped
from app.core.views import PortalBaseView

PENDING, RECEIVED, ALL = "pendentes", "recebidas", "todas"
LIST_LIMIT = 200
FREE_LINES = 3


class PartsView(PortalBaseView):
    """/pecas/: the requests in the user's scope (the Operador de Logística: calls in L or S)."""

    route_base = "/pecas"
    class_permission_name = "PartsRequest"
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"list": "read", "new": "write", "advance": "write"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        situation = request.args.get("situacao")
        situation = situation if situation in (PENDING, RECEIVED, ALL) else PENDING
        stmt = scoped(select(PartsRequest), PartsRequest).options(
            joinedload(PartsRequest.call).joinedload(ServiceCall.client),
            joinedload(PartsRequest.call).joinedload(ServiceCall.equipment).joinedload(Equipment.model),
            joinedload(PartsRequest.technician),
            selectinload(PartsRequest.items).joinedload(PartsRequestItem.part))
        if situation == PENDING:
            stmt = stmt.where(PartsRequest.state != PartsRequest.RECEIVED).order_by(
                PartsRequest.requested_at.asc(), PartsRequest.id.asc())
        else:
            if situation == RECEIVED:
                stmt = stmt.where(PartsRequest.state == PartsRequest.RECEIVED)
            stmt = stmt.order_by(PartsRequest.requested_at.desc(), PartsRequest.id.desc())
        rows = db.session.execute(stmt.limit(LIST_LIMIT)).unique().scalars().all()
        return self.render_template(
            "calls/parts_list.html", rows=rows, situation=situation, names=_user_names(rows),
            situations={PENDING: _("Pendentes"), RECEIVED: _("Recebidas pelo técnico"), ALL: _("Todas")},
            can_advance=self._can_advance(), form=FlaskForm(), **_labels())

    def _can_advance(self) -> bool:
        return (current_principal().profile in parts.LOGISTICS
                and self.appbuilder.sm.has_access("can_write", self.class_permission_name))

    @expose("/solicitar/<int:pk>", methods=["GET", "POST"])
    @has_access
    def new(self, pk):
        """Solicitar peças for one call of the user's scope."""
        call = queries.load_call(pk)
        if call is None:
            abort(404)
        principal = current_principal()
        if principal.profile not in parts.REQUESTERS:
            abort(403)
        offered = parts.parts_for(call)
        errors, values = [], {}
        if call.status in CallStatus.CLOSED:
            errors.append(_("O chamado está encerrado: não é possível solicitar peças."))
        form = FlaskForm()
        if request.method == "POST" and not errors:
            values = request.form
            wanted, errors = _typed_lines(request.form, offered)
            errors += raw_problems(request.form, {"observacao": (PartsRequest.note, _("Observação"))})
            if not form.validate_on_submit():
                errors.append(_("Não foi possível enviar: recarregue a página e tente de novo."))
            if not errors:
                try:
                    created, _new = parts.request_parts(call, wanted, actor=principal,
                                                        note=request.form.get("observacao"))
                except parts.PartsError as error:
                    db.session.rollback()
                    errors = [str(error)]
                else:
                    db.session.commit()
                    flash(_("Solicitação de peças nº %(id)s registrada.", id=created.id), "success")
                    return redirect(url_for("CallView.show", pk=call.id, aba="detalhes") + "#pecas")
        return self.render_template("calls/parts_request.html", call=call, offered=offered,
                                    errors=errors, values=values, form=form,
                                    free_lines=range(1, FREE_LINES + 1)), 422 if errors else 200

    @expose("/<int:pk>/situacao", methods=["POST"])
    @has_access
    def advance(self, pk):
        """Mark a request separated, sent or received by the technician."""
        row = get_scoped(db.session, PartsRequest, pk)
        if row is None:
            abort(404)
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            parts.advance(row, request.form.get("situacao", ""), actor=current_principal())
        except TransitionForbidden:
            db.session.rollback()
            abort(403)
        except parts.PartsError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Solicitação de peças nº %(id)s: %(state)s.", id=row.id,
                    state=parts.state_label(row.state)), "success")
        back = request.form.get("voltar")
        if back == "chamado":
            return redirect(url_for("CallView.show", pk=row.call_id) + "#pecas")
        return redirect(url_for(".list"))


def _labels() -> dict:
    return {"state_labels": {k: str(v) for k, v in parts.STATE_LABELS.items()},
            "next_state": parts.NEXT_STATE}


def _user_names(rows) -> dict[int, str]:
    ids = {r.requested_by_id for r in rows} | {r.state_changed_by_id for r in rows}
    ids.discard(None)
    if not ids:
        return {}
    rows = db.session.execute(select(PortalUser.id, PortalUser.first_name, PortalUser.last_name)
                              .where(PortalUser.id.in_(ids))).all()
    return {row.id: f"{row.first_name} {row.last_name}".strip() for row in rows}


def call_parts_context(call_id: int) -> dict:
    """What the call page shows of its parts requests (section Peças solicitadas)."""
    rows = parts.requests_of(call_id)
    principal = current_principal()
    return {"parts_requests": rows, "parts_names": _user_names(rows),
            "can_request_parts": principal.profile in parts.REQUESTERS,
            "can_advance_parts": principal.profile in parts.LOGISTICS, **_labels()}


def _typed_lines(form, offered) -> tuple[list[parts.RequestedPart], list[str]]:
    """Quantities typed for listed parts (``quantidade_<id>``) and the free lines
    (``descricao_<n>`` with ``qtd_<n>``); empty quantities are not requested."""
    wanted, errors = [], []

    def quantity(raw, what):
        raw = (raw or "").strip()
        if not raw or raw == "0":
            return None
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= parts.MAX_QUANTITY:
            errors.append(_("Quantidade inválida para %(item)s.", item=what))
            return None
        return int(raw)

    for part in offered:
        amount = quantity(form.get(f"quantidade_{part.id}"), part.name)
        if amount:
            wanted.append(parts.RequestedPart(part_id=part.id, quantity=amount))
    for n in range(1, FREE_LINES + 1):
        description = (form.get(f"descricao_{n}") or "").strip()
        amount = quantity(form.get(f"qtd_{n}"), description or _("a linha %(n)s", n=n))
        if description:  # a described part without a quantity is one of it
            wanted.append(parts.RequestedPart(description=description, quantity=amount or 1))
        elif amount:
            errors.append(_("Descreva a peça da linha %(n)s.", n=n))
    return wanted, errors


def register(appbuilder):
    appbuilder.add_view(PartsView, "PartsRequests", label=_l("Peças solicitadas"), icon="fa-cogs",
                        category="Calls")
