"""The lean reference for benchmarks/pages.py: each PWS page answered by hand.

A small Flask app on SQLAlchemy Core and Jinja, with nothing of PWS in it, that answers the same
page: the same question asked of the same database with hand-written SQL, the same scope rules
written out per page, and the same page rendered (``lean_templates/``: the frame with the
user's menu, company selector and user menu, the same columns, cards, filters and pagination,
dates in dd/mm/aaaa hh:mm of São Paulo, statuses in Portuguese; the texts are written in
Portuguese, not translated). Per request it reads the logged-in user and his company/client
links, as any real app must; the company names and the permissions of each set of roles are
kept per process, as PWS does (so the ratio measures PWS's own cost, not a cache it has).
``PAGES`` holds the SQL; ``pages.py`` also times those statements alone as "raw SQL".
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import time
from datetime import datetime, timedelta, UTC
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, abort, jsonify, render_template, request, session
from sqlalchemy import bindparam, create_engine, text

CAP = 10000
PAGE = 20
ALL_COMPANIES = {"Admin Revenda"}
CLIENT_SIDE = {"Cliente", "Abertura de Chamados", "Operador Faturamento"}
OWN_ORDERS = {"Técnico"}
OWN_CARRIER = {"Transportador"}
LOGISTICS = {"Operador de Logística"}
REFERENCE_SECONDS = 60
STALE_MINUTES = 5  # PWS_SYNC_STALE_MINUTES
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEAR = timedelta(hours=4)  # PWS counts business hours on the company's calendar; this is cheaper

# PWS's menu as a user sees it: (category, icon, view, [(label, icon, url, view)]); an entry shows
# when the user's roles grant "menu_access" on its view (and on its category), as in FAB.
MENU = [
    ("Configurações", "fa-cog", "Config", [
        ("Administrar usuários", "fa-users", "/usuarios/list/", "Users"),
        ("Perfis e funções", "fa-id-badge", "/perfis/list/", "Roles"),
        ("Tabela de defeitos", "fa-list", "/defeitos/list/", "DefectTypes"),
        ("Expediente (SLA)", "fa-clock-o", "/calendarios/list/", "BusinessCalendars"),
        ("Feriados", "fa-calendar", "/feriados/list/", "Holidays"),
        ("E-mails enviados", "fa-envelope", "/emails/list/", "Outbox"),
        ("Documentos LGPD", "fa-file-text-o", "/documentos-lgpd/list/", "ConsentDocuments"),
        ("Aceites LGPD", "fa-check-square-o", "/aceites-lgpd/list/", "ConsentDecisions"),
        ("Solicitações LGPD", "fa-user-secret", "/solicitacoes-lgpd/list/", "DataRequests"),
        ("Sincronismo", "fa-refresh", "/sincronismo/", "Sincronismo")]),
    ("Cadastros ILUX", "fa-database", "MasterData", [
        ("Empresas", "fa-building", "/empresas/list/", "Companies"),
        ("Clientes", "fa-address-book", "/clientes/list/", "Clients"),
        ("Contratos", "fa-file-text", "/contratos/list/", "Contracts"),
        ("Equipamentos", "fa-print", "/equipamentos/list/", "Equipment"),
        ("Modelos de equipamento", "fa-cubes", "/modelos/list/", "EquipmentModels"),
        ("Suprimentos", "fa-tint", "/itens-suprimento/list/", "SupplyItems"),
        ("Técnicos", "fa-wrench", "/tecnicos/list/", "Technicians"),
        ("Transportadoras", "fa-truck", "/transportadoras/list/", "Carriers")]),
    ("Chamados", "fa-ticket", "Calls", [
        ("Acompanhar chamados", "fa-ticket", "/chamados/list/", "Calls"),
        ("Abrir chamado", "fa-plus-circle", "/chamados/abrir/", "OpenCall"),
        ("Cumprimento do SLA", "fa-line-chart", "/chamados/sla/", "SlaReport")]),
    ("Suprimentos", "fa-tint", "Supplies", [
        ("Solicitar suprimentos", "fa-cart-plus", "/suprimentos/solicitar/", "SupplyOpening"),
        ("Acompanhar solicitações", "fa-list-alt", "/suprimentos/acompanhar/list/", "SupplyRequests")]),
    ("Transporte", "fa-truck", "Transport", [("Entregas", "fa-truck", "/entregas/list/", "Deliveries")]),
    ("Faturamento", "fa-file-text-o", "Billing", [("Arquivos", "fa-file-pdf-o", "/faturamento/list/", "BillingFiles")]),
    ("Contato", "fa-comments", "Contact", [
        ("Enviar mensagem", "fa-comments", "/contato/", "Contact"),
        ("Mensagens de contato", "fa-inbox", "/contato/mensagens/list/", "ContactInbox")]),
    ("Atendimentos", "fa-wrench", "Field", [
        ("Atendimentos – APP", "fa-mobile", "/atendimentos/list/", "Attendances"),
        ("Registrar atendimento", "fa-map-marker", "/atendimentos/registrar/", "TechnicianWeb"),
        ("Rastreamento de técnicos", "fa-map", "/rastreamento/", "TechnicianTracking"),
        ("Avaliações", "fa-star", "/avaliacoes/", "Surveys")]),
]
STYLESHEETS = ("bootstrap.min.css", "fontawesome/fontawesome.min.css", "fontawesome/regular.min.css",
               "fontawesome/solid.min.css", "fontawesome/brands.min.css", "fontawesome/v4-shims.min.css",
               "bootstrap-datepicker/bootstrap-datepicker3.min.css", "select2/select2.min.css",
               "select2/select2-bootstrap.min.css", "flags/flags16.css", "ab.css")
CALL_STATUS = {"A": "Abertura", "E": "Despachado", "M": "Manutenção", "P": "Pendente", "O": "Concluído",
               "T": "Atendido", "C": "Cancelado", "L": "Logística", "S": "Estoque"}
SUPPLY_STATUS = {"pending": "Pendente", "control": "Controle", "out_of_stock": "Em falta", "invoiced": "Faturado",
                 "delivered": "Entregue", "cancelled": "Cancelado"}
OUTBOX_STATUS = {"pending": "Pendente", "sending": "Enviando", "sent": "Enviado", "failed": "Falhou"}
ATTENDANCE_STATUS = {"in_progress": "Em andamento", "concluded": "Concluído", "cancelled": "Atendimento cancelado"}
CALL_SORTS = (("-abertura", "Data de abertura (mais recentes)"), ("abertura", "Data de abertura (mais antigos)"),
              ("status", "Status"), ("-status", "Status (inverso)"),
              ("prazo", "Prazo de atendimento (mais próximos)"), ("-prazo", "Prazo de atendimento (mais distantes)"))
MONTHS = ("Janeiro", "Fevereiro", "Março", "Abril", "Maio", "Junho", "Julho", "Agosto", "Setembro",
          "Outubro", "Novembro", "Dezembro")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def _in(name, values):
    return bindparam(name, value=sorted(values), expanding=True)


class Principal(dict):
    """Who asks: the profile, links and permissions of the logged-in user."""

    def scope(self, alias, *, company="company_id", client="client_id", opener=None,
              technician=None, carrier=None, status=None) -> tuple[str, list]:
        """The WHERE fragment of PWS's rules for one table, written out."""
        conds, params = [], []
        if not self["admin"] or self["selected"]:
            conds.append(f"{alias}.{company} IN :companies")
            params.append(_in("companies", self["companies"] or {0}))
        if self["client_side"] and client:
            conds.append(f"{alias}.{client} IN :clients")
            params.append(_in("clients", self["clients"] or {0}))
        if opener and self["client_side"] and not self["manager"]:
            conds.append(f"{alias}.{opener} = {int(self['id'])}")
        if technician and self["profile"] in OWN_ORDERS:
            mine = f"{alias}.{technician} = {int(self['technician_id'] or 0)}"
            conds.append(f"({mine} OR {alias}.{opener} = {int(self['id'])})" if opener else mine)
        if carrier and self["profile"] in OWN_CARRIER:
            conds.append(f"{alias}.{carrier} = {int(self['carrier_id'] or 0)}")
        if status and self["profile"] in LOGISTICS:
            conds.append(f"{alias}.{status} IN ('L', 'S')")
        return " AND ".join(conds) or "1=1", params

    def can(self, permission, view):
        return (permission, view) in self["permissions"]


def load_principal(conn, user_id: int, selected: int | None = None) -> Principal | None:
    """Two queries: the user with his roles, his links; the permissions of his set of roles are
    kept per process (as PWS keeps them, app/core/cache.py)."""
    user = conn.execute(text("SELECT id, first_name, last_name, profile, active, client_manager, technician_id, "
                             "carrier_id, can_view_monitoring, (SELECT group_concat(role_id) FROM ab_user_role "
                             "WHERE user_id = ab_user.id) AS roles FROM ab_user WHERE id = :id"),
                        {"id": user_id}).mappings().first()
    if user is None or not user["active"]:
        return None
    links = conn.execute(text("SELECT 'c', company_id FROM user_company WHERE user_id = :id UNION ALL "
                              "SELECT 'k', client_id FROM user_client WHERE user_id = :id"),
                         {"id": user_id}).all()
    permissions = role_permissions(conn, tuple(sorted(int(r) for r in (user["roles"] or "").split(",") if r)))
    admin = user["profile"] in ALL_COMPANIES
    linked = {pk for kind, pk in links if kind == "c"}
    companies = {selected} if selected and (admin or selected in linked) else linked
    return Principal(user, admin=admin, selected=bool(selected) and (admin or selected in linked),
                     selected_company=selected, linked=linked, companies=companies,
                     clients={pk for kind, pk in links if kind == "k"},
                     client_side=user["profile"] in CLIENT_SIDE, manager=bool(user["client_manager"]),
                     permissions=permissions,
                     monitoring=bool(user["can_view_monitoring"]) and ("can_read", "Monitoring") in permissions)


_reference: dict = {}


def role_permissions(conn, roles: tuple[int, ...]) -> frozenset:
    """(permission, view) pairs of a set of roles, kept per process for REFERENCE_SECONDS."""
    key = ("permissions", roles)
    entry = _reference.get(key)
    if entry is None or entry[0] < time.monotonic():
        rows = conn.execute(text(
            "SELECT p.name, v.name FROM ab_permission_view_role pvr "
            "JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
            "JOIN ab_permission p ON p.id = pv.permission_id JOIN ab_view_menu v ON v.id = pv.view_menu_id "
            "WHERE pvr.role_id IN :roles").bindparams(_in("roles", roles or (0,)))).all()
        entry = _reference[key] = (time.monotonic() + REFERENCE_SECONDS, frozenset(map(tuple, rows)))
    return entry[1]


def company_names(conn) -> list[tuple[int, str]]:
    """Every active company for the top bar's selector, kept per process (as PWS does)."""
    entry = _reference.get("companies")
    if entry is None or entry[0] < time.monotonic():
        rows = conn.execute(text("SELECT id, coalesce(trade_name, name) FROM company ORDER BY name")).all()
        entry = _reference["companies"] = (time.monotonic() + REFERENCE_SECONDS, [tuple(r) for r in rows])
    return entry[1]


def visible_menu(p) -> list:
    return [(category, icon, [(label, item_icon, href) for label, item_icon, href, view in entries
                              if p.can("menu_access", view)])
            for category, icon, name, entries in MENU
            if p.can("menu_access", name) and any(p.can("menu_access", view) for *_, view in entries)]


def datahora(value) -> str:
    """dd/mm/aaaa hh:mm in São Paulo of a UTC timestamp, as PWS shows them."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(SAO_PAULO).strftime("%d/%m/%Y %H:%M")


def deadline_states(calls) -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    states = {}
    for call in calls:
        due = call.priority_due
        if due is None or call.status == "C":
            states[call.id] = "none"
        elif call.status == "P":
            states[call.id] = "paused"
        elif now >= due:
            states[call.id] = "late"
        else:
            states[call.id] = "near" if due - now <= NEAR else "ok"
    return states


class Page:
    """One page of rows with PWS's "Página X de Y" numbers and links that keep the filters."""

    def __init__(self, rows, total, number):
        self.rows, self.number = rows, number
        self.capped, self.total = total > CAP, min(total, CAP)
        self.pages = max(1, math.ceil(self.total / PAGE))
        self.first = (number - 1) * PAGE + 1 if rows else 0
        self.last = self.first + len(rows) - 1 if rows else 0

    def query(self, number, **changes):
        args = {**request.args.to_dict(), **changes, "pagina": number}
        return urlencode(args)


def page_number() -> int:
    value = request.args.get("pagina", "1")
    return max(1, int(value)) if value.isdigit() else 1


def _capped_count(conn, from_where: str, params) -> int:
    sql = text(f"SELECT count(*) FROM (SELECT 1 {from_where} LIMIT {CAP + 1}) t").bindparams(*params)
    return conn.execute(sql, request_args()).scalar_one()


def request_args() -> dict:
    return {"serie": request.args.get("serie", "") + "%", "tecnico": request.args.get("tecnico", "") + "%",
            "status": request.args.get("status", "")}


CALL_COLUMNS = ("SELECT c.id, c.erp_id, c.status, c.opened_at, c.priority_due, c.priority_updated_at, "
                "e.serial, e.asset_tag, e.city, e.state, m.name AS model, k.name AS client_name, "
                "k.trade_name AS client_trade_name, k.city AS client_city, k.state AS client_state, "
                "ct.number AS contract, t.name AS technician ")
CALL_JOINS = ("FROM service_call c LEFT JOIN equipment e ON e.id = c.equipment_id "
              "LEFT JOIN equipment_model m ON m.id = e.model_id LEFT JOIN client k ON k.id = c.client_id "
              "LEFT JOIN contract ct ON ct.id = c.contract_id LEFT JOIN technician t ON t.id = c.technician_id ")


def _call_scope(p):
    return p.scope("c", opener="opened_by_id", technician="technician_id", status="status")


def calls_list(conn, p):
    where, params = _call_scope(p)
    joins = "FROM service_call c "
    args = request.args
    if args.get("status"):
        where += " AND c.status = :status"
    if args.get("serie"):
        joins += "JOIN equipment e ON e.id = c.equipment_id "
        where += " AND (e.serial LIKE :serie OR e.asset_tag LIKE :serie)"
    if args.get("tecnico"):
        joins += "JOIN technician t ON t.id = c.technician_id "
        where += " AND t.name LIKE :tecnico"
    total = _capped_count(conn, f"{joins} WHERE {where}", params)
    number = min(page_number(), max(1, math.ceil(min(total, CAP) / PAGE)))
    page = (f"(SELECT c.id {joins} WHERE {where} ORDER BY c.opened_at DESC, c.id DESC "
            f"LIMIT {PAGE} OFFSET {(number - 1) * PAGE}) p")
    joined = CALL_JOINS.replace("FROM service_call c", f"FROM {page} JOIN service_call c ON c.id = p.id")
    rows = conn.execute(text(f"{CALL_COLUMNS}{joined}"
                             "ORDER BY c.opened_at DESC, c.id DESC").bindparams(*params), request_args()).all()
    return {"template": "calls.html", "page": Page(rows, total, number), "states": deadline_states(rows),
            "sorts": CALL_SORTS}


def latest_calls(conn, p, limit):
    where, params = _call_scope(p)
    return conn.execute(text(f"{CALL_COLUMNS}{CALL_JOINS} WHERE {where} "
                             f"ORDER BY c.opened_at DESC, c.id DESC LIMIT {limit}").bindparams(*params)).all()


def dashboard(conn, p):
    panels = {}
    if p.can("can_read", "ServiceCall"):
        panels["calls"] = latest_calls(conn, p, 10)
    if p.can("can_read", "Attendance"):
        where, params = _call_scope(p)
        panels["attendances"] = conn.execute(text(
            "SELECT a.id, a.status, a.started_at, c.id AS call_id, c.erp_id, e.serial, m.name AS model, "
            "t.name AS technician FROM attendance a "
            "JOIN service_call c ON c.id = a.call_id LEFT JOIN technician t ON t.id = a.technician_id "
            "LEFT JOIN equipment e ON e.id = c.equipment_id LEFT JOIN equipment_model m ON m.id = e.model_id "
            f"WHERE {where}" + (f" AND a.technician_id = {int(p['technician_id'] or 0)}"
                                if p["profile"] in OWN_ORDERS else "")
            + " ORDER BY a.started_at DESC, a.id DESC LIMIT 10").bindparams(*params)).all()
    if p.can("can_read", "PreService"):
        where, params = _call_scope(p)
        panels["pre_service"] = conn.execute(text(
            "SELECT s.id, s.direction, s.body, s.created_at, c.id AS call_id, c.erp_id FROM pre_service_message s "
            f"JOIN service_call c ON c.id = s.call_id WHERE {where} "
            "ORDER BY s.created_at DESC, s.id DESC LIMIT 10").bindparams(*params)).all()
    if p.can("can_read", "SupplyRequest"):
        where, params = p.scope("s")
        panels["supplies"] = conn.execute(text(
            "SELECT s.id, s.kind, s.status, s.requested_at, e.serial, m.name AS model FROM supply_request s "
            "LEFT JOIN equipment e ON e.id = s.equipment_id "
            f"LEFT JOIN equipment_model m ON m.id = s.equipment_model_id WHERE {where} "
            "ORDER BY s.requested_at DESC, s.id DESC LIMIT 10").bindparams(*params)).all()
    if p.can("can_write", "Delivery"):
        where, params = p.scope("i", carrier="carrier_id")
        panels["deliveries"] = conn.execute(text(
            "SELECT i.id, i.number, i.series, i.issued_at, k.trade_name, k.name AS client, k.city, k.state "
            "FROM invoice i LEFT JOIN client k ON k.id = i.client_id "
            f"WHERE i.status = 'authorized' AND i.carrier_id IS NOT NULL AND i.confirmed = 0 AND {where} "
            "ORDER BY i.issued_at, i.id LIMIT 10").bindparams(*params)).all()
    if p.can("can_read", "BillingFile"):
        where, params = p.scope("b")
        panels["billing"] = conn.execute(text(
            "SELECT b.id, b.original_name, b.month, b.year, b.uploaded_at, k.trade_name, k.name AS client "
            f"FROM billing_file b LEFT JOIN client k ON k.id = b.client_id WHERE {where} "
            "ORDER BY b.uploaded_at DESC, b.id DESC LIMIT 10").bindparams(*params)).all()
    return {"template": "dashboard.html", "panels": panels, "states": deadline_states(panels.get("calls", ()))}


def monitoring(conn, p):
    if not p.can("can_read", "Monitoring"):
        abort(403)
    last = conn.execute(text("SELECT max(last_used_at), max(last_heartbeat_at) FROM sync_token "
                             "WHERE revoked_at IS NULL")).one()
    calls = latest_calls(conn, p, 20)
    last_sync = max((value for value in last if value is not None), default=None)
    stale = last_sync is None or datetime.now(UTC).replace(tzinfo=None) - last_sync > timedelta(minutes=STALE_MINUTES)
    return {"template": "monitoring.html", "calls": calls, "states": deadline_states(calls),
            "last_sync": last_sync, "stale": stale, "stale_minutes": STALE_MINUTES}


def call_detail(conn, p, pk):
    where, params = _call_scope(p)
    call = conn.execute(text(
        f"{CALL_COLUMNS}, c.description, c.contact_name, c.contact_phone, c.contact_email, d.name AS defect, "
        f"co.name AS company {CALL_JOINS} LEFT JOIN defect_type d ON d.id = c.defect_type_id "
        f"JOIN company co ON co.id = c.company_id WHERE c.id = :pk AND {where}").bindparams(*params),
        {"pk": pk}).first()
    if call is None:
        abort(404)
    history = conn.execute(text("SELECT h.from_status, h.to_status, h.changed_at, h.note, u.first_name "
                                "FROM call_status_change h LEFT JOIN ab_user u ON u.id = h.changed_by_id "
                                "WHERE h.call_id = :pk ORDER BY h.changed_at, h.id"), {"pk": pk}).all()
    messages = conn.execute(text("SELECT m.direction, m.body, m.created_at, u.first_name "
                                 "FROM pre_service_message m LEFT JOIN ab_user u ON u.id = m.author_id "
                                 "WHERE m.call_id = :pk ORDER BY m.created_at, m.id"), {"pk": pk}).all()
    files = conn.execute(text("SELECT a.original_name, a.size, a.uploaded_at, u.first_name "
                              "FROM call_attachment a LEFT JOIN ab_user u ON u.id = a.uploaded_by_id "
                              "WHERE a.call_id = :pk ORDER BY a.uploaded_at, a.id"), {"pk": pk}).all()
    targets = [] if p["client_side"] or not p.can("can_write", "ServiceCall") else \
        [t for t in ("E", "M", "P", "O", "T", "C") if t != call.status]
    return {"template": "detail.html", "call": call, "state": deadline_states([call])[call.id],
            "history": history, "messages": messages, "files": files, "targets": targets,
            "tab": request.args.get("aba", "detalhes")}


def supply_list(conn, p):
    where, params = p.scope("s")
    total = _capped_count(conn, f"FROM supply_request s WHERE {where}", params)
    number = page_number()
    rows = conn.execute(text(
        "SELECT s.id, s.kind, e.serial, e.asset_tag, m.name AS model, ct.number AS contract, s.department, "
        "s.location, k.name AS client_name, k.trade_name AS client_trade_name, k.city AS client_city, "
        "k.state AS client_state, s.status, s.requested_at, s.warning FROM supply_request s "
        "LEFT JOIN equipment e ON e.id = s.equipment_id LEFT JOIN equipment_model m ON m.id = s.equipment_model_id "
        "LEFT JOIN contract ct ON ct.id = s.contract_id LEFT JOIN client k ON k.id = s.client_id "
        f"WHERE {where} ORDER BY s.requested_at DESC, s.id DESC LIMIT {PAGE} OFFSET {(number - 1) * PAGE}"
    ).bindparams(*params)).all()
    return {"template": "cards.html", "kind": "supplies", "title": "Solicitações de Suprimentos",
            "page": Page(rows, total, number),
            "filters": (("status", "Status", tuple(SUPPLY_STATUS.items())), ("serie", "Série", None),
                        ("cliente", "Cliente", None), ("contrato", "Contrato", None))}


def billing_list(conn, p):
    where, params = p.scope("b")
    total = _capped_count(conn, f"FROM billing_file b WHERE {where}", params)
    number = page_number()
    rows = conn.execute(text(
        "SELECT b.id, b.original_name, b.month, b.year, b.note, k.name AS client_name, "
        "k.trade_name AS client_trade_name, ct.number AS contract, b.size, b.uploaded_at FROM billing_file b "
        "LEFT JOIN client k ON k.id = b.client_id LEFT JOIN contract ct ON ct.id = b.contract_id "
        f"WHERE {where} ORDER BY b.uploaded_at DESC, b.id DESC LIMIT {PAGE} OFFSET {(number - 1) * PAGE}"
    ).bindparams(*params)).all()
    return {"template": "cards.html", "kind": "billing", "title": "Arquivos de faturamento",
            "page": Page(rows, total, number),
            "filters": (("mes", "Mês", tuple(enumerate(MONTHS, start=1))), ("ano", "Ano", None),
                        ("contrato", "Contrato", None), ("cliente", "Cliente", None))}


def carrier_list(conn, p):
    where, params = p.scope("i", carrier="carrier_id")
    where += " AND i.status = 'authorized' AND i.carrier_id IS NOT NULL AND i.confirmed = 0"
    total = _capped_count(conn, f"FROM invoice i WHERE {where}", params)
    number = page_number()
    rows = conn.execute(text(
        "SELECT i.id, i.number, i.series, i.issued_at, k.name AS client_name, k.trade_name AS client_trade_name, "
        "k.address, k.district, k.city AS client_city, k.state AS client_state, r.name AS carrier, i.total "
        "FROM invoice i LEFT JOIN client k ON k.id = i.client_id "
        f"LEFT JOIN carrier r ON r.id = i.carrier_id WHERE {where} "
        f"ORDER BY i.issued_at, i.id LIMIT {PAGE} OFFSET {(number - 1) * PAGE}").bindparams(*params)).all()
    return {"template": "cards.html", "kind": "carrier", "title": "Entregas", "page": Page(rows, total, number),
            "filters": (("situacao", "Situação", (("pendentes", "Pendentes"), ("entregues", "Entregues"))),
                        ("nf", "NF", None), ("cliente", "Cliente", None))}


def attendance_list(conn, p):
    where, params = _call_scope(p)
    if p["profile"] in OWN_ORDERS:
        where += f" AND a.technician_id = {int(p['technician_id'] or 0)}"
    joins = "FROM attendance a JOIN service_call c ON c.id = a.call_id "
    total = _capped_count(conn, f"{joins} WHERE {where}", params)
    number = page_number()
    rows = conn.execute(text(
        f"SELECT a.id, t.name AS technician, a.status, k.name AS client_name, k.trade_name AS client_trade_name, "
        f"c.id AS call_id, c.erp_id, a.started_at {joins}"
        "LEFT JOIN technician t ON t.id = a.technician_id LEFT JOIN client k ON k.id = c.client_id "
        f"WHERE {where} ORDER BY a.started_at DESC, a.id DESC LIMIT {PAGE} OFFSET {(number - 1) * PAGE}"
    ).bindparams(*params)).all()
    technicians = conn.execute(text("SELECT id, name FROM technician WHERE active = 1 ORDER BY name")).all()
    return {"template": "attendances.html", "page": Page(rows, total, number), "technicians": technicians}


def my_orders(conn, p):
    if p["profile"] not in OWN_ORDERS:
        abort(403)
    where, params = _call_scope(p)
    rows = conn.execute(text(
        "SELECT c.id, c.erp_id, c.status, c.opened_at, c.priority_due, c.description, c.contact_name, "
        "c.contact_phone, k.name, k.trade_name, k.address, k.district, k.city, k.state, e.serial, "
        "e.asset_tag, m.name, d.name FROM service_call c LEFT JOIN client k ON k.id = c.client_id "
        "LEFT JOIN equipment e ON e.id = c.equipment_id LEFT JOIN equipment_model m ON m.id = e.model_id "
        "LEFT JOIN defect_type d ON d.id = c.defect_type_id "
        f"WHERE c.status IN ('E', 'M', 'P') AND c.technician_id = {int(p['technician_id'] or 0)} AND {where} "
        "ORDER BY c.priority_due IS NULL, c.priority_due, c.opened_at LIMIT 500").bindparams(*params)).all()
    ids = [row[0] for row in rows] or [0]
    open_ones = dict(conn.execute(text(
        "SELECT call_id, id FROM attendance WHERE status = 'in_progress' AND call_id IN :ids")
        .bindparams(_in("ids", ids))).all())
    return {"json": {"count": len(rows), "result": [
        {"id": r[0], "erp_id": r[1], "status": r[2], "opened_at": r[3].isoformat(),
         "priority_due": r[4].isoformat() if r[4] else None, "description": r[5],
         "contact": {"name": r[6], "phone": r[7]},
         "client": {"name": r[8], "trade_name": r[9], "address": r[10], "district": r[11],
                    "city": r[12], "state": r[13]},
         "equipment": {"serial": r[14], "asset_tag": r[15], "model": r[16]}, "defect": r[17],
         "attendance_id": open_ones.get(r[0])} for r in rows]}}


def token_of(conn):
    """The sync token (by hash) with its sign of life written, as the API does."""
    plain = request.headers.get("Authorization", "").removeprefix("Bearer ")
    digest = hashlib.sha256(plain.encode()).hexdigest()
    token = conn.execute(text("SELECT id FROM sync_token WHERE token_hash = :h AND revoked_at IS NULL"),
                         {"h": digest}).first()
    if token is None:
        abort(401)
    conn.execute(text("UPDATE sync_token SET last_used_at = :now WHERE id = :id"),
                 {"now": datetime.now(UTC).replace(tzinfo=None), "id": token[0]})
    conn.commit()
    return token[0]


def changes(conn):
    after = int(request.args.get("after", "0"))
    limit = int(request.args.get("limit", "500"))
    rows = conn.execute(text("SELECT seq, entity, op, web_id, erp_id, company_id, data, at FROM change_feed "
                             "WHERE seq > :after ORDER BY seq LIMIT :limit"),
                        {"after": after, "limit": limit + 1}).all()
    return {"json": {"changes": [{"seq": r[0], "entity": r[1], "op": r[2], "web_id": r[3], "erp_id": r[4],
                                  "company_id": r[5], "data": json.loads(r[6]) if isinstance(r[6], str) else r[6],
                                  "at": r[7].isoformat()} for r in rows[:limit]],
                     "has_more": len(rows) > limit}}


UPSERT_CLIENTS = text(
    "INSERT INTO client (erp_id, company_id, name, trade_name, city, state, active, created_at, updated_at) "
    "VALUES (:erp_id, :company_id, :name, :trade_name, :city, :state, 1, :now, :now) "
    "ON DUPLICATE KEY UPDATE company_id = VALUES(company_id), name = VALUES(name), "
    "trade_name = VALUES(trade_name), city = VALUES(city), state = VALUES(state), updated_at = VALUES(updated_at)")


def batch(conn):
    """The same records as plain upserts: resolve the company keys, write, log, commit."""
    records = request.get_json()["records"]
    companies = dict(conn.execute(text("SELECT erp_id, id FROM company")).all())
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute(UPSERT_CLIENTS, [{"erp_id": r["erp_id"], "company_id": companies[r["data"]["company_erp_id"]],
                                   "name": r["data"]["name"], "trade_name": r["data"].get("trade_name"),
                                   "city": r["data"].get("city"), "state": r["data"].get("state"),
                                   "now": now} for r in records])
    conn.commit()
    return {"json": {"applied": len(records)}}


OUTBOX_ORDER = ("created_at", "sent_at", "id")
# InnoDB FULLTEXT skips words under 3 letters and its default stopwords (as app/core/search.py).
FULLTEXT_STOPWORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this to was "
    "what when where who will with und www".split())


ADDRESSES_CAP = 1000
COMMON_SAMPLE = 2000
COMMON_SHARE = 0.1


def _contains_like(value: str) -> str:
    return "%" + value.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def _common_subject(conn, like: str) -> bool:
    """PWS's rule (``reads_in_order``): in a table smaller than the sample, or estimated in more
    messages than the list counts (the share of the newest 2,000 times the highest id) or in one
    of ten, the text is read in order, not through FULLTEXT."""
    sampled, hits, highest = conn.execute(text(
        f"SELECT count(*), coalesce(sum(subject LIKE :like ESCAPE '!'), 0), "
        f"(SELECT max(id) FROM outbox_message) FROM (SELECT subject FROM outbox_message "
        f"ORDER BY id DESC LIMIT {COMMON_SAMPLE}) newest"), {"like": like}).one()
    if sampled < COMMON_SAMPLE:
        return True
    return hits * (highest or 0) / COMMON_SAMPLE > CAP or hits > sampled * COMMON_SHARE


def outbox_list(conn, p):
    """E-mails enviados: filters by status and kind, "contém" on the subject (FULLTEXT words first
    on MariaDB, then LIKE) and on the recipient (its distinct addresses first), newest first or by
    the chosen date."""
    if not p.can("can_read", "Outbox"):
        abort(403)
    conds, params = [], {}
    for column, key in (("status", "situacao"), ("kind", "tipo")):
        if request.args.get(key):
            conds.append(f"{column} = :{key}")
            params[key] = request.args[key]
    address = request.args.get("destinatario", "")
    if address:  # the distinct addresses that contain it, from the address index, then their rows
        like = _contains_like(address)
        found = conn.execute(text("SELECT recipients FROM outbox_message WHERE recipients LIKE :like ESCAPE '!' "
                                  f"GROUP BY recipients LIMIT {ADDRESSES_CAP + 1}"), {"like": like}).scalars().all()
        if len(found) > ADDRESSES_CAP:
            conds.append("recipients LIKE :address_like ESCAPE '!'")
            params["address_like"] = like
        else:
            names = [f"address_{n}" for n in range(len(found))]
            conds.append(f"recipients IN ({', '.join(':' + name for name in names)})" if found else "1=0")
            params.update(zip(names, found))
    subject = request.args.get("assunto", "")
    if subject:
        params["subject_like"] = _contains_like(subject)
        words = [w for w in re.findall(r"\w+", subject.lower()) if len(w) >= 3 and w not in FULLTEXT_STOPWORDS]
        if words and conn.dialect.name in ("mysql", "mariadb") and not _common_subject(conn, params["subject_like"]):
            conds.append("MATCH (subject) AGAINST (:subject_words IN BOOLEAN MODE)")
            params["subject_words"] = " ".join(f"+{w}*" for w in words)
        conds.append("subject LIKE :subject_like ESCAPE '!'")
    where = " AND ".join(conds) or "1=1"
    order = request.args.get("ordem") if request.args.get("ordem") in OUTBOX_ORDER else "created_at"
    total = conn.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM outbox_message WHERE {where} "
                              f"LIMIT {CAP + 1}) t"), params).scalar_one()
    number = page_number()
    rows = conn.execute(text(
        "SELECT id, created_at, kind, recipients, subject, status, attempts, last_error, sent_at "
        f"FROM outbox_message WHERE {where} ORDER BY {order} DESC, id DESC "
        f"LIMIT {PAGE} OFFSET {(number - 1) * PAGE}"), params).all()
    return {"template": "outbox.html", "page": Page(rows, total, number), "outbox_status": OUTBOX_STATUS}


def sla_report(conn, p):
    """Cumprimento do SLA from the summaries: the month's sums per contract (contract_month) and
    the month's open calls past their deadline (call_outcome), then the contracts' names."""
    if not p.can("can_read", "SlaReport"):
        abort(403)
    today = datetime.now(SAO_PAULO).date()
    year, month = today.year, today.month
    first = datetime(year, month, 1, tzinfo=SAO_PAULO)
    following = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SAO_PAULO)
    start, end = (moment.astimezone(UTC).replace(tzinfo=None) for moment in (first, following))
    where, params = p.scope("m", client=None)
    figures = {row.contract_id: {"closed": int(row.closed), "met": int(row.met), "missed": int(row.missed),
                                 "late": 0} for row in conn.execute(text(
        "SELECT m.contract_id, SUM(m.closed) AS closed, SUM(m.met) AS met, SUM(m.missed) AS missed "
        f"FROM contract_month m WHERE m.month = :month AND {where} GROUP BY m.contract_id"
    ).bindparams(*params), {"month": first.date()})}
    where, params = p.scope("o", opener="opened_by_id", technician="technician_id", status="status")
    for contract_id, late in conn.execute(text(
            "SELECT o.contract_id, COUNT(*) FROM call_outcome o WHERE o.status IN ('A', 'E', 'M') "
            "AND o.opened_at >= :start AND o.opened_at < :end AND o.due_at < :now "
            f"AND o.contract_id IS NOT NULL AND {where} GROUP BY o.contract_id").bindparams(*params),
            {"start": start, "end": end, "now": datetime.now(UTC).replace(tzinfo=None)}):
        figures.setdefault(contract_id, {"closed": 0, "met": 0, "missed": 0})["late"] = late
    rows = []
    if figures:
        for row in conn.execute(text(
                "SELECT ct.id, ct.number, COALESCE(cl.trade_name, cl.name) AS client FROM contract ct "
                "JOIN client cl ON cl.id = ct.client_id WHERE ct.id IN :ids ORDER BY ct.number"
        ).bindparams(_in("ids", figures))):
            values = figures[row.id]
            percent = round(100.0 * values["met"] / values["closed"], 1) if values["closed"] else None
            rows.append({"number": row.number, "client": row.client or "", "percent": percent, **values})
    return {"template": "sla.html", "rows": rows, "month": f"{year:04d}-{month:02d}",
            "month_label": f"{month:02d}/{year}"}


PAGES = {"dashboard": dashboard, "monitoring": monitoring, "calls": calls_list,
         "supplies": supply_list, "billing": billing_list, "carrier": carrier_list,
         "attendances": attendance_list, "my_orders": my_orders, "outbox": outbox_list,
         "sla": sla_report}


def create_lean_app(database_url: str | None = None, static_folder: str | None = None) -> Flask:
    """The lean app (``lean:create_lean_app()`` for gunicorn: DATABASE_URL from the environment)."""
    app = Flask(__name__, static_folder=static_folder,
                template_folder=str(Path(__file__).resolve().parent / "lean_templates"))
    database_url = database_url or os.environ["DATABASE_URL"]
    app.secret_key = "lean-benchmark"
    app.jinja_env.filters["datahora"] = datahora
    engine = create_engine(database_url, pool_pre_ping=False, pool_recycle=3600)
    app.extensions["lean_engine"] = engine

    def page(answer, *args):
        with engine.connect() as conn:
            principal = load_principal(conn, session.get("uid", 0), session.get("empresa"))
            if principal is None:
                abort(401)
            result = answer(conn, principal, *args)
            if "json" in result:
                return jsonify(result["json"])
            names = company_names(conn)
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(24)
        companies = names if principal["admin"] else [c for c in names if c[0] in principal["linked"]]
        principal.update(can_open=principal.can("can_write", "CallOpening"),
                         can_edit=principal.can("can_write", "SupplyRequest"),
                         can_confirm=principal.can("can_write", "Delivery"))
        return render_template(result.pop("template"), user=principal, menu=visible_menu(principal),
                               companies=companies, nonce=secrets.token_urlsafe(16), csrf_token=session["csrf"],
                               stylesheets=STYLESHEETS, call_status=CALL_STATUS, supply_status=SUPPLY_STATUS,
                               attendance_status=ATTENDANCE_STATUS, args=request.args, path=request.path,
                               **result)

    @app.after_request
    def headers(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.get("/lean/login/<int:uid>")
    def login(uid):
        session["uid"] = uid
        session.pop("empresa", None)
        if request.args.get("empresa"):
            session["empresa"] = int(request.args["empresa"])
        return "ok"

    @app.get("/lean/<name>")
    def listed(name):
        if name not in PAGES:
            abort(404)
        return page(PAGES[name])

    @app.get("/lean/chamado/<int:pk>")
    def detail(pk):
        return page(call_detail, pk)

    @app.get("/lean/sync/changes")
    def feed():
        with engine.connect() as conn:
            token_of(conn)
            return jsonify(changes(conn)["json"])

    @app.post("/lean/sync/batch")
    def sync_batch():
        with engine.connect() as conn:
            token_of(conn)
            return jsonify(batch(conn)["json"])

    @app.get("/lean/bare")
    def bare():
        return "ok"

    return app
