"""Every sort a list offers has an index within each scope column, and deep pages of the big
generated lists: page keys read alone, the last page of a capped list from the reverse order."""
import re
import sys

import pytest

from app.accounts.roles import ADMIN, ATTENDANCE_OPERATOR
from app.calls.queries import sort_plans
from app.core.db import db
from app.core.views import ScopedInterface, list_sort_plans
from tests import factories as f
from tests.conftest import login_as

# The lists of hundreds of thousands of rows (issue: every click fast at a million calls).
BIG_LISTS = {"ClientView", "EquipmentView", "SupplyRequestView", "DeliveryView", "AttendanceView",
             "OutboxView", "BillingFileView"}


def big_lists(app):
    return {type(view).__name__: view for view in app.appbuilder.baseviews
            if isinstance(getattr(view, "datamodel", None), ScopedInterface) and view.datamodel.page_by_keys}


def test_the_big_lists_read_their_pages_by_keys(app):
    assert set(big_lists(app)) == BIG_LISTS


def test_every_sort_of_a_big_list_has_an_index_in_every_scope(app):
    """A new sortable column (or scope column) without an index fails here: add the index, or
    offer the filter with an order an index serves."""
    missing = [(name, column, scope) for name, view in big_lists(app).items()
               for column, plan in list_sort_plans(view).items()
               for scope, index in plan.items() if index is None]
    assert missing == []


def test_every_order_of_the_calls_list_has_an_index_under_every_filter():
    missing = [(sort, filter_name, scope) for sort, filters in sort_plans().items()
               for filter_name, plan in filters.items() for scope, index in plan.items() if index is None]
    assert missing == []


# Searched text columns of big lists without an index of their own, and why that is enough: a
# few values repeated on every row (a state, a kind: an ordered read meets a page at once). The
# rest are issue 23's known gaps (docs/performance.md, "What is left").
UNINDEXED_SEARCHES = {("ClientView", "city"), ("ClientView", "state"), ("EquipmentView", "state"),
                      ("SupplyRequestView", "kind")}


def test_every_searched_text_column_of_a_big_list_has_an_index(app):
    """"Começa com" / "Igual a" on a column no index leads (alone or after a scope column) read
    the whole scope in list order: 0.3–0.7 s on 100,000 equipment for a value no row has."""
    from app.core.search import has_fulltext

    missing = set()
    for name, view in big_lists(app).items():
        model, scope = view.datamodel.obj, view.datamodel.obj.__scope__
        scope_columns = {getattr(scope, kind) for kind in ("company", "client", "technician", "carrier")}
        leads = {index.columns[0].key for index in model.__table__.indexes} | {
            index.columns[1].key for index in model.__table__.indexes
            if len(index.columns) > 1 and index.columns[0].key in scope_columns}
        leads |= {column.key for column in model.__table__.columns if column.unique or column.primary_key}
        missing |= {(name, column) for column in view.search_columns
                    if view.datamodel.is_string(column) and not has_fulltext(model, column)
                    and column not in leads}
    assert missing == UNINDEXED_SEARCHES


@pytest.fixture
def clients_list(app, db_ctx):
    """Company A: AAA, three EMPATE (one name, in id order), MMM, ZZZ; company B: BBB. The
    trade name (T1…T9) tells the rows apart on the page."""
    with db_ctx():
        ours, theirs = f.company(), f.company()
        for n, (company, name) in enumerate([(ours, "AAA"), (ours, "EMPATE"), (ours, "EMPATE"),
                                             (ours, "EMPATE"), (ours, "ZZZ"), (ours, "MMM"),
                                             (theirs, "BBB")], start=1):
            row = f.client(company, name)
            row.trade_name = f"T{n}" if company is ours else "T9"
        db.session.commit()
        admin = f.user(ADMIN).id
        operator = f.user(ATTENDANCE_OPERATOR, [ours]).id
    return {"admin": admin, "operator": operator}


def page_rows(client, page=None):
    url = "/clientes/list/?psize_ClientView=2" + ("" if page is None else f"&page_ClientView={page}")
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r">(T\d)<", response.get_data(as_text=True))


def test_pages_are_stable_with_ties(app, clients_list):
    app.config["PWS_COUNT_CAP"] = 100
    client = login_as(app.test_client(), clients_list["admin"])
    pages = [page_rows(client, n) for n in range(4)]
    assert pages == [["T1", "T9"], ["T2", "T3"], ["T4", "T6"], ["T5"]]


def test_last_page_of_a_capped_list_is_the_reverse_orders_first_page(app, clients_list):
    app.config["PWS_COUNT_CAP"] = 4
    client = login_as(app.test_client(), clients_list["admin"])
    first = client.get("/clientes/list/?psize_ClientView=2").get_data(as_text=True)
    assert "page_ClientView=2" in first  # "»": the capped count's last page
    assert re.search(r"Registros:</strong>\s*mais de 4\s*<", first), "the header's count, capped (not 5)"
    assert page_rows(client) == ["T1", "T9"]
    assert page_rows(client, 1) == ["T2", "T3"]
    last = client.get("/clientes/list/?psize_ClientView=2&page_ClientView=2").get_data(as_text=True)
    assert re.findall(r">(T\d)<", last) == ["T6", "T5"]
    assert "Última página, mostrando os 2 últimos registros de mais de 4" in last
    assert page_rows(client, 1) == ["T2", "T3"]  # "anterior" from the last page


def test_deep_pages_keep_the_scope(app, clients_list):
    app.config["PWS_COUNT_CAP"] = 4
    client = login_as(app.test_client(), clients_list["operator"])
    seen = page_rows(client) + page_rows(client, 1) + page_rows(client, 2)
    assert seen == ["T1", "T2", "T3", "T4", "T6", "T5"]
    assert "T9" not in seen


def _controls_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "controls.py"
    spec = importlib.util.spec_from_file_location("benchmark_controls", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_controls_benchmark_enumerates_every_list_sort_filter_and_reader(app):
    """``benchmarks/pages.py --controls`` reads the views: every generated list, each of its sorts
    both ways on three pages, each filter of its form, as each profile that may read it."""
    controls = _controls_module()
    enumerated = controls.enumerate_controls(app)
    seen = {(c.list, c.control, c.profile, c.page) for c in enumerated}
    for view in controls.generated_lists(app):
        name = type(view).__name__
        for profile in controls.readers(view.class_permission_name):
            for column in list_sort_plans(view):
                for page in ("first", "middle", "last"):
                    assert (name, f"sort {column} desc", profile, page) in seen
            assert sum(1 for c in seen if c[0] == name and c[1].startswith("filter ") and c[2] == profile) \
                == len(controls._filter_args(view, {}))
    assert {type(view).__name__ for view in controls.generated_lists(app)} >= BIG_LISTS
    from app.calls.queries import PREFIX_FILTERS, SORTS

    calls = {c.control for c in enumerated if c.list == "CallView"}
    assert {f"sort {sort}" for sort in SORTS} <= calls
    assert all(any(control.startswith(f"filter {name}=") for control in calls) for name in PREFIX_FILTERS)
