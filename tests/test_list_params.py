"""Every generated list (found through the registered views) answers bad list arguments with
400 and a pt-BR message, never 500 or 503, and never gives a page longer than
PWS_MAX_PAGE_SIZE; the hand-written lists do the same with their own arguments."""
import re

import pytest
from flask_appbuilder import ModelView

from tests.conftest import csrf_token, login_as
from tests.test_page_queries import World

CAP = 2


@pytest.fixture
def admin(app, db_ctx):
    with db_ctx():
        world = World()
        world.grow(CAP + 1)
        admin_id = world.admin
    return login_as(app.test_client(), admin_id)


def model_views(app):
    return [view for view in app.appbuilder.baseviews if isinstance(view, ModelView)
            and "list" not in view.exclude_route_methods
            and (view.include_route_methods is None or "list" in view.include_route_methods)]


def _get(client, url):
    response = client.get(url)
    assert response.status_code not in (500, 503), (url, response.status_code)
    return response, response.get_data(as_text=True)


def test_no_list_is_longer_than_the_cap(app, admin):
    app.config["PWS_MAX_PAGE_SIZE"] = CAP
    full = []
    for view in model_views(app):
        name, url = type(view).__name__, f"{view.route_base}/list/"
        for query in (f"?psize_{name}=100000", f"?psize_{name}=100000&page_{name}=1", ""):
            response, body = _get(admin, url + query)
            assert response.status_code == 200, (url + query, response.status_code)
            shown = [int(n) for n in re.findall(r"mostrando (?:registros \d+ a )?(\d+)", body)]
            assert all(n <= CAP for n in shown), (url + query, shown)
            full += [url] if CAP in shown and not query else []
    assert len(full) >= 10, "most lists hold more rows than the cap: the cap was what cut them"


BAD_ARGUMENTS = {
    "_oc_{name}=x&_od_{name}=asc": "não pode ser ordenada",
    "_oc_{name}=client.cnpj_cpf&_od_{name}=desc": "não pode ser ordenada",
    "_oc_{name}=id;drop&_od_{name}=asc": "não pode ser ordenada",
    "page_{name}=-1": "Página ou tamanho de página inválido",
    "page_{name}=x": "Página ou tamanho de página inválido",
    "page_{name}=99999999999999999999": "Página ou tamanho de página inválido",
    "psize_{name}=0x10": "Página ou tamanho de página inválido",
    "psize_{name}=-5": "Página ou tamanho de página inválido",
    "page_{name}=²": "Página ou tamanho de página inválido",
    "_flt_0_nao_existe=1": "Filtro desconhecido",
    "_flt_{index}_{column}=1": "Filtro desconhecido",
}


def test_bad_list_arguments_are_400_in_portuguese_on_every_list(app, admin):
    for view in model_views(app):
        name, url = type(view).__name__, f"{view.route_base}/list/"
        filters = view._filters.get_search_filters()
        column = min(filters, key=lambda c: len(filters[c]), default="id")
        index = len(filters.get(column, ()))  # one past the column's last filter
        for template, message in BAD_ARGUMENTS.items():
            query = template.format(name=name, column=column, index=index)
            response, body = _get(admin, f"{url}?{query}")
            assert response.status_code == 400 and message in body, (url, query, response.status_code)
            assert "navbar" in body, "the error page is in the portal's frame"


def test_every_filter_of_every_list_takes_an_out_of_range_value_without_a_500(app, admin):
    for view in model_views(app):
        url = f"{view.route_base}/list/"
        for column, filters in view._filters.get_search_filters().items():
            for index in range(len(filters)):
                # a number past any integer column, not a date, and text to a text filter
                value = "99999999999999999999"
                response, _body = _get(admin, f"{url}?_flt_{index}_{column}={value}")
                assert response.status_code in (200, 400), (url, column, index, value)


def test_unknown_actions_are_400(app, admin):
    token = csrf_token(admin)
    for view in model_views(app):
        base = view.route_base
        if f"{view.endpoint}.action_post" not in app.view_functions:
            continue
        for path, data in ((f"{base}/action_post", {"action": "nao-existe", "rowid": "1"}),
                           (f"{base}/action/nao-existe/1", {})):
            response = admin.post(path, data={**data, "csrf_token": token})
            assert response.status_code == 400, (path, response.status_code)
            assert "Ação desconhecida" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("ordem=client.cnpj_cpf", "não pode ser ordenada"),
    ("pagina=-1", "Página ou tamanho de página inválido"),
    ("pagina=99999999999999999999", "Página ou tamanho de página inválido"),
    ("pagina=²", "Página ou tamanho de página inválido"),
])
def test_the_call_list_refuses_bad_arguments(admin, query, message):
    response = admin.get(f"/chamados/list/?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_hand_written_lists_are_capped_too(app, admin):
    app.config["PWS_MAX_PAGE_SIZE"] = CAP
    body = admin.get("/chamados/list/").get_data(as_text=True)
    assert len(re.findall(r'href="/chamados/show/\d+"', body)) <= CAP * 2
    assert admin.get("/avaliacoes/?pagina=99999999999999999999").status_code == 400
    assert admin.get("/avaliacoes/?pagina=1").status_code == 200
