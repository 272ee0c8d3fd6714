"""Every list screen, the dashboards and the main JSON APIs issue a constant, small number of
queries whatever the number of rows: found through the registered views, so a new list is
covered without touching this file."""
from datetime import datetime, timedelta

import pytest
from flask_appbuilder import ModelView

from app.accounts.models import PortalUser
from app.calls.models import CallStatusChange, ServiceCall
from app.catalog.models import Carrier, Company, Technician
from app.core.db import db
from app.feed.changes import record_change
from tests import factories as f
from tests.conftest import login_as
from tests.querycount import count_queries

LIMIT = 10
ADMIN, TECHNICIAN = "Admin Revenda", "Técnico"
# Hand-written pages (not generated list views) that show rows, and who sees them.
PAGES = [
    (ADMIN, "/"),
    (ADMIN, "/monitoramento/"),
    (ADMIN, "/chamados/list/"),
    (ADMIN, "/chamados/list/?status=E"),
    (ADMIN, "/chamados/show/{call}"),
    (ADMIN, "/chamados/sla/"),
    (ADMIN, "/sincronismo/"),
    (TECHNICIAN, "/"),
    (TECHNICIAN, "/api/v1/tecnico/chamados"),
    (TECHNICIAN, "/api/v1/tecnico/atendimentos"),
    ("sync", "/api/sync/v1/changes?after=0&limit=500"),
]


def list_urls(app):
    """The list route of every registered model view (PWS's and FAB's security screens)."""
    urls = []
    for view in app.appbuilder.baseviews:
        exposed = view.include_route_methods is None or "list" in view.include_route_methods
        if isinstance(view, ModelView) and exposed and "list" not in view.exclude_route_methods:
            urls.append(f"{view.route_base}/list/")
    return sorted(urls)


class World:
    """One dealer company with a technician's login, grown by ``grow`` in every kind of row."""

    def __init__(self):
        company = f.company()
        client = f.client(company)
        technician = f.technician()
        self.company, self.technician, self.carrier = company.id, technician.id, f.carrier().id
        self.admin = f.user(ADMIN, email="admin@x.test", can_view_monitoring=True).id
        self.tech_user = f.user(TECHNICIAN, [company], technician=technician).id
        self.call = f.call(client, f.equipment(client), status="E", technician=technician).id
        _token, self.plain = f.sync_token()
        self.grown = 0

    def grow(self, n):
        """``n`` more rows of every kind the lists show."""
        company, technician = db.session.get(Company, self.company), db.session.get(Technician, self.technician)
        carrier, admin = db.session.get(Carrier, self.carrier), db.session.get(PortalUser, self.admin)
        first_call = db.session.get(ServiceCall, self.call)
        model = f.equipment_model()
        for i in range(n):
            other = f.client(company)
            contract = f.contract(other)
            equipment = f.equipment(other, model=model, contract=contract)
            call = f.call(other, equipment, status="E", technician=technician,
                          priority_due=datetime(2030, 1, 7, 15))
            f.attendance(call, status="in_progress" if i % 2 else "concluded")
            f.pre_service_message(first_call, admin)
            f.pre_service_message(call, admin)
            db.session.add(CallStatusChange(call_id=self.call, from_status="A", to_status="E",
                                            changed_at=datetime(2026, 11, 2) + timedelta(minutes=self.grown + i),
                                            changed_by_id=self.admin))
            request = f.supply_request(equipment)
            f.invoice(other, carrier=carrier, supply_request=request)
            f.billing_file(other)
            f.contact_message(other, admin)
            f.outbox_message()
            f.user("Operador de Chamados", [company])
            f.technician()
            f.carrier()
            f.supply_item([model])
            f.defect()
            f.holiday(datetime(2027, 1, 1).date() + timedelta(days=self.grown + i), company=company)
            record_change("service_call", "update", data={"status": "E"}, web_id=call.id,
                          company_id=self.company)
        self.grown += n
        db.session.commit()


def _client_for(app, who, world):
    client = app.test_client()
    if who == "sync":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.plain}"
        return client
    return login_as(client, world.admin if who == ADMIN else world.tech_user)


def _statements(app, client, url):
    client.get(url)  # warm-up: per-process caches
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return statements


def test_every_list_page_and_api_has_constant_queries(app, db_ctx):
    with db_ctx():
        world = World()
        world.grow(2)
        call = world.call
    targets = [(ADMIN, url) for url in list_urls(app)] + [(who, url.format(call=call)) for who, url in PAGES]
    clients = {who: _client_for(app, who, world) for who in {ADMIN, TECHNICIAN, "sync"}}
    few = {target: _statements(app, clients[target[0]], target[1]) for target in targets}
    with db_ctx():
        world.grow(18)
    for target in targets:
        many = _statements(app, clients[target[0]], target[1])
        assert len(many) == len(few[target]), (target, many[len(few[target]):])
        assert len(many) <= LIMIT, (target, many)


@pytest.mark.parametrize("needle", ["/clientes/list/", "/equipamentos/list/", "/suprimentos/acompanhar/list/",
                                    "/entregas/list/", "/faturamento/list/", "/atendimentos/list/"])
def test_the_main_lists_are_found_among_the_registered_views(app, needle):
    assert needle in list_urls(app)
