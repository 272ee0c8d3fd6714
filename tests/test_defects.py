"""Tabela de defeitos (§3.1): three lists, and the admin decides what the portal offers."""
from app.catalog.models import DefectType
from tests import factories as f
from tests.conftest import csrf_token, form_fields, login


def test_three_lists_and_the_listing_toggle(app, client, db_ctx):
    with db_ctx():
        with_contract = f.defect(DefectType.WITH_CONTRACT, listed=False, name="ATOLAMENTO PAPEL")
        f.defect(DefectType.WITHOUT_CONTRACT, name="NÃO PUXA PAPEL")
        f.defect(DefectType.CONTRACT, name="INSTALACAO EQUIPAMENTO")
        f.user("Admin Revenda", email="admin@revenda.test")
        defect_id = with_contract.id
    login(client, "admin@revenda.test")

    html = client.get("/defeitos/list/").get_data(as_text=True)
    assert "Equipamentos Com Contrato" in html and "Contratos Chamados" in html
    assert "ATOLAMENTO PAPEL" in html and "NÃO PUXA PAPEL" not in html
    html = client.get("/defeitos/list/?categoria=without_contract").get_data(as_text=True)
    assert "NÃO PUXA PAPEL" in html and "ATOLAMENTO PAPEL" not in html
    html = client.get("/defeitos/list/?categoria=contract").get_data(as_text=True)
    assert "INSTALACAO EQUIPAMENTO" in html

    client.post("/defeitos/action_post", data={"csrf_token": csrf_token(client),
                                               "action": "list_on_portal", "rowid": [defect_id]})
    with db_ctx() as session:
        assert session.get(DefectType, defect_id).listed_on_portal is True
    client.post("/defeitos/action_post", data={"csrf_token": csrf_token(client),
                                               "action": "unlist_on_portal", "rowid": [defect_id]})
    with db_ctx() as session:
        assert session.get(DefectType, defect_id).listed_on_portal is False


def test_unticking_listar_no_portal_in_the_edit_form(app, client, db_ctx):
    with db_ctx():
        defect_id = f.defect(listed=True).id
        f.user("Admin Revenda", email="admin@revenda.test")
    login(client, "admin@revenda.test")
    response = client.post(f"/defeitos/edit/{defect_id}",
                           data=form_fields(client, f"/defeitos/edit/{defect_id}", "row_version"))
    assert response.status_code == 302
    with db_ctx() as session:
        assert session.get(DefectType, defect_id).listed_on_portal is False
