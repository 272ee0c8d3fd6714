"""LGPD self-service: download my data, ask for erasure; the admin anonymises (records stay)."""
import json

from sqlalchemy import select

from app.accounts.models import ConsentDecision, DataRequest, PortalUser
from app.accounts.roles import ADMIN, CLIENT
from app.calls.models import ServiceCall
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import csrf_token, login


def _world(db_ctx):
    with db_ctx() as session:
        company = f.company()
        customer = f.client(company, "JAYOB COMPANY")
        ana = f.user(CLIENT, [company], [customer], email="ana@jayob.test", client_manager=True,
                     email_call_changed=True)
        other = f.user(CLIENT, [company], [customer], email="outro@jayob.test")
        f.user(ADMIN, email="admin@revenda.test")
        mine = f.call(customer, opened_by=ana, description="Impressora com ruído")
        f.call(customer, opened_by=other, description="Chamado de outra pessoa")
        f.contact_message(customer, ana, subject="Pedido de visita")
        document = f.consent_document("privacy")
        session.add(ConsentDecision(user_id=ana.id, document_id=document.id, choice="accepted", ip="10.0.0.7"))
        f.outbox_message(recipients="ana@jayob.test", subject="Só para a Ana")
        f.outbox_message(recipients="ana@jayob.test,outro@jayob.test", subject="Para os dois")
        session.commit()
        return ana.id, mine.id


def test_a_user_downloads_his_own_data(app, db_ctx):
    ana_id, call_id = _world(db_ctx)
    client = app.test_client()
    login(client, "ana@jayob.test")
    assert "Baixar meus dados" in client.get("/lgpd/meus-dados").get_data(as_text=True)
    response = client.post("/lgpd/meus-dados/exportar", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="meus-dados-{ana_id}.json"'
    data = json.loads(response.data)
    assert data["usuario"]["email"] == "ana@jayob.test"
    assert data["usuario"]["clientes"] == ["JAYOB COMPANY"]
    assert data["usuario"]["recebe_email_de"]["email_call_changed"] is True
    assert [c["id"] for c in data["chamados_abertos"]] == [call_id]
    assert "Chamado de outra pessoa" not in response.get_data(as_text=True)
    assert data["mensagens_contato"][0]["subject"] == "Pedido de visita"
    assert data["decisoes_lgpd"][0]["ip"] == "10.0.0.7"
    with db_ctx() as session:
        request = session.execute(select(DataRequest)).scalar_one()
        assert (request.user_id, request.kind, request.status) == (ana_id, "export", "done")


def test_erasure_request_and_anonymisation_keep_the_records(app, db_ctx):
    ana_id, call_id = _world(db_ctx)
    ana = app.test_client()
    login(ana, "ana@jayob.test")
    for _ in range(2):
        response = ana.post("/lgpd/meus-dados/exclusao", data={"csrf_token": csrf_token(ana),
                                                               "motivo": "Saí da empresa"})
        assert response.status_code == 302
    page = ana.get("/lgpd/meus-dados").get_data(as_text=True)
    assert "Você já tem uma solicitação de exclusão em aberto." in page and "Aberta" in page
    with db_ctx() as session:
        request = session.execute(select(DataRequest)).scalar_one()
        request_id = request.id

    admin = app.test_client()
    login(admin, "admin@revenda.test")
    listing = admin.get("/solicitacoes-lgpd/list/").get_data(as_text=True)
    assert "ana@jayob.test" in listing and "Exclusão dos dados" in listing
    show = admin.get(f"/solicitacoes-lgpd/show/{request_id}").get_data(as_text=True)
    assert "Saí da empresa" in show and "Anonimizar usuário" in show
    response = admin.post(f"/solicitacoes-lgpd/action/anonymize/{request_id}",
                          data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 302
    assert "Usuário anonimizado" in admin.get(response.headers["Location"]).get_data(as_text=True)

    with db_ctx() as session:
        user = session.get(PortalUser, ana_id)
        assert user.email == user.username == f"anonimizado-{ana_id}@anonimizado.invalid"
        assert not user.active and user.companies == [] and user.clients == []
        assert "ana" not in (user.first_name + user.last_name).lower()
        assert not user.email_call_changed
        assert session.get(ServiceCall, call_id).opened_by_id == ana_id  # the call is kept
        assert session.execute(select(ConsentDecision.ip)).scalar_one() is None
        subjects = {row.subject: row.recipients for row in session.execute(select(OutboxMessage)).scalars()}
        assert subjects == {"Para os dois": "outro@jayob.test"}
        request = session.get(DataRequest, request_id)
        assert request.status == "done" and request.handled_by_id is not None
    # his open session ends with his account
    assert ana.get("/").status_code == 302
    again = app.test_client()
    login(again, "ana@jayob.test")
    assert again.get("/").status_code == 302

    twice = admin.post(f"/solicitacoes-lgpd/action/anonymize/{request_id}", data={"csrf_token": csrf_token(admin)})
    assert "Esta solicitação já foi tratada." in admin.get(twice.headers["Location"]).get_data(as_text=True)


def test_admin_rejects_and_never_anonymises_himself(app, db_ctx):
    _world(db_ctx)
    with db_ctx() as session:
        admin_user = session.execute(select(PortalUser).where(PortalUser.email == "admin@revenda.test")).scalar_one()
        own = DataRequest(user_id=admin_user.id, kind="erasure")
        session.add(own)
        session.commit()
        own_id = own.id
    admin = app.test_client()
    login(admin, "admin@revenda.test")
    response = admin.post(f"/solicitacoes-lgpd/action/anonymize/{own_id}", data={"csrf_token": csrf_token(admin)})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Você não pode anonimizar o seu próprio usuário." in page
    admin.post(f"/solicitacoes-lgpd/action/reject/{own_id}", data={"csrf_token": csrf_token(admin)})
    with db_ctx() as session:
        assert session.get(DataRequest, own_id).status == "rejected"
        assert session.execute(select(PortalUser.active).where(PortalUser.email == "admin@revenda.test")).scalar()
