"""Lists issue a constant, small number of queries whatever the number of rows shown."""
import pytest

from tests import factories as f
from tests.conftest import login
from tests.querycount import count_queries

LIMIT = 10


def _queries_for(app, client, url):
    client.get(url)  # warm-up: per-process caches
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    return statements


@pytest.mark.parametrize("profile,url", [
    ("Admin Revenda", "/clientes/list/"),
    ("Operador de Atendimento", "/clientes/list/"),
    ("Operador de Atendimento", "/equipamentos/list/"),
    ("Cliente", "/equipamentos/list/"),
    ("Admin Revenda", "/usuarios/list/"),
    ("Admin Revenda", "/contratos/list/"),
])
def test_list_queries_do_not_grow_with_rows(app, db_ctx, profile, url):
    with db_ctx():
        company = f.company()
        customer = f.client(company)
        f.user(profile, [company], [customer] if profile == "Cliente" else [], email="u@x.test")
    client = app.test_client()
    login(client, "u@x.test")

    def grow(n):
        with db_ctx():
            from app.catalog.models import Company

            company_ = Company.query.first()
            from app.catalog.models import Client

            owner = Client.query.filter_by(company_id=company_.id).first()
            for _ in range(n):
                other = f.client(company_)
                f.contract(other)
                f.equipment(owner)
                f.user("Operador de Chamados", [company_])

    grow(2)
    few = _queries_for(app, client, url)
    grow(18)
    many = _queries_for(app, client, url)
    assert len(many) == len(few), many[len(few):]
    assert len(few) <= LIMIT, few


def test_starts_with_search_uses_an_indexable_like(app, db_ctx):
    with db_ctx():
        company = f.company()
        f.client(company, "ACME IMPRESSAO")
        f.client(company, "BETA_CAFE 50% OFF")
        f.user("Admin Revenda", email="u@x.test")
    client = app.test_client()
    login(client, "u@x.test")
    with count_queries(app) as statements:
        html = client.get("/clientes/list/?_flt_0_name=acme").get_data(as_text=True)
    assert "ACME IMPRESSAO" in html and "BETA_CAFE" not in html
    assert not any("lower(client.name)" in s for s in statements)
    html = client.get("/clientes/list/?_flt_0_name=BETA_CAFE 50%").get_data(as_text=True)
    assert "BETA_CAFE" in html and "ACME" not in html
