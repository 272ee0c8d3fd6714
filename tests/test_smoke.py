from tests import factories as f
from tests.conftest import login


def test_admin_sees_clients_list(app, client, db_ctx):
    with db_ctx():
        company = f.company()
        f.client(company, name="JAYOB COMPANY")
        f.user("Admin Revenda", email="admin@revenda.com.br")
    login(client, "admin@revenda.com.br")
    response = client.get("/clientes/list/")
    assert response.status_code == 200
    assert "JAYOB COMPANY" in response.get_data(as_text=True)
