"""Security checklist 3–5: another scope's rows are 404 everywhere and never listed."""
import pytest
from sqlalchemy import inspect as sa_inspect

from tests.conftest import csrf_token, login_as
from tests.scopes import all_cases
from tests.tenants import tenant_pair, user_for

CASES = all_cases()


def _snapshot(row):
    mapper = sa_inspect(row).mapper
    return {column.key: getattr(row, column.key) for column in mapper.column_attrs}


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def scoped(request, app, db_ctx):
    case = request.param
    with db_ctx():
        ours, foreign = tenant_pair(case.profile)
        mine, theirs = case.make(ours), case.make(foreign)
        user = user_for(case.profile, ours)
        data = {"case": case, "mine_id": mine.id, "theirs_id": theirs.id,
                "mine_marker": case.marker(mine), "theirs_marker": case.marker(theirs),
                "theirs_before": _snapshot(theirs) if case.model else None, "user_id": user.id}
    client = app.test_client()
    login_as(client, data["user_id"])
    return client, data


def _unchanged(db_ctx, data):
    case = data["case"]
    if case.model is None:
        return
    with db_ctx() as session:
        row = session.get(case.model, data["theirs_id"])
        assert row is not None, "foreign row was deleted"
        assert _snapshot(row) == data["theirs_before"], "foreign row was changed"


def test_list_shows_own_rows_only(scoped):
    client, data = scoped
    html = client.get(f"{data['case'].base}/list/").get_data(as_text=True)
    assert data["mine_marker"] in html
    assert data["theirs_marker"] not in html


def _search_url(app, base, column) -> str:
    """The list searched by the column's "contém" (or "começa com") filter. A hand-written list,
    or a column its screen offers no such filter for, is the plain list (a filter index the list
    does not have is refused with 400; it used to be ignored)."""
    view = next(v for v in app.appbuilder.baseviews if getattr(v, "route_base", None) == base)
    filters = view._filters.get_search_filters().get(column, []) if hasattr(view, "_filters") else []
    for wanted in ("FilterContains", "FilterStartsWith"):
        for index, found in enumerate(filters):
            if any(cls.__name__ == wanted for cls in type(found).__mro__):
                return f"{base}/list/?_flt_{index}_{column}="
    return f"{base}/list/?pws_search="


def test_search_never_finds_foreign_rows(scoped):
    client, data = scoped
    column = data["case"].search
    base = data["case"].base
    url = _search_url(client.application, base, column)
    mine_link, theirs_link = f"{base}/show/{data['mine_id']}", f"{base}/show/{data['theirs_id']}"
    assert mine_link in client.get(url + data["mine_marker"]).get_data(as_text=True)
    assert theirs_link not in client.get(url + data["theirs_marker"]).get_data(as_text=True)


def test_foreign_row_is_404_on_every_route(scoped, db_ctx):
    client, data = scoped
    base, pk = data["case"].base, data["theirs_id"]
    for route in data["case"].routes:
        assert client.get(f"{base}/{route}/{pk}").status_code == 404, route
    token = csrf_token(client)
    for route in ("edit", "delete"):
        if route in data["case"].routes:
            assert client.post(f"{base}/{route}/{pk}", data={"csrf_token": token}).status_code == 404
    _unchanged(db_ctx, data)


def test_own_row_is_visible(scoped):
    client, data = scoped
    assert client.get(f"{data['case'].base}/show/{data['mine_id']}").status_code == 200
