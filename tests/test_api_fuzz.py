"""schemathesis against the project's OpenAPI spec (/api/v1/_openapi), in process, as each kind
of API caller: a technician (JWT from the API login), the ERP synchronizer (sync token from
`flask pws sync-token create`) and a client user (the portal's session cookie).

Every operation gets a bounded number of generated requests (valid and invalid data, a fixed
seed), with path ids and body ids drawn from our rows, the foreign tenant's rows and random
numbers. Each answer must not be a 5xx, and no answer to the technician or the client may
contain an id or erp_id of the foreign tenant (its rows get ids no other row has, so a leak
cannot hide behind a coincidence). The sync token acts for the whole dealer: it is checked
for 5xx only.
"""
import re
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import text

from app.accounts.roles import ADMIN, CLIENT, TECHNICIAN
from app.catalog.models import Carrier, Technician
from app.core.db import db
from app.field.models import Attendance, AttendanceEvent, TrackPoint
from tests import factories as f
from tests.conftest import _empty_tables, login, login_as
from tests.field_support import jwt_headers, start
from tests.tenants import Tenant, make_tenant, user_for

EXAMPLES = 12  # per operation and generation mode (valid and invalid data)
CLIENT_EXAMPLES = 5  # a client reaches only the login endpoints: the rest is 403 whatever the data
SPEC = "/api/v1/_openapi"
V1 = "/api/v1/"  # FAB's APIs: the technician's app, login, menu, the spec
# The foreign tenant's ids: one range per table, far from every id the test creates.
FOREIGN_IDS = {"client": 7_100_001, "contract": 7_200_001, "equipment": 7_300_001,
               "technician": 7_400_001, "carrier": 7_450_001, "call": 7_500_001,
               "attendance": 7_600_001, "event": 7_700_001, "point": 7_800_001}
RANDOM_ID = st.integers(min_value=-2, max_value=2**70)


def _foreign_tenant(company) -> tuple[Tenant, list[str]]:
    """Another client of our company with its own technician, order, attendance and GPS."""
    ids = FOREIGN_IDS
    technician = Technician(id=ids["technician"], erp_id="tec-foreign", name="TECNICO ALHEIO")
    carrier = Carrier(id=ids["carrier"], erp_id="tra-foreign", name="TRANSPORTADORA ALHEIA")
    db.session.add_all([technician, carrier])
    db.session.commit()
    client = f.client(company, "CLIENTE ALHEIO", id=ids["client"])
    contract = f.contract(client, id=ids["contract"])
    equipment = f.equipment(client, contract=contract, id=ids["equipment"])
    call = f.call(client, equipment, status="E", technician=technician, id=ids["call"],
                  erp_id="os-foreign")
    attendance = Attendance(id=ids["attendance"], client_uid="att-foreign", call_id=call.id,
                            technician_id=technician.id, started_at=datetime(2026, 11, 27, 11, 0))
    db.session.add(attendance)
    db.session.flush()
    db.session.add_all([
        AttendanceEvent(id=ids["event"], client_uid="evt-foreign", attendance_id=attendance.id,
                        kind="selected", device_time=datetime(2026, 11, 27, 11, 0)),
        TrackPoint(id=ids["point"], client_uid="gps-foreign", technician_id=technician.id,
                   attendance_id=attendance.id, recorded_at=datetime(2026, 11, 27, 11, 5),
                   latitude=-27.59, longitude=-48.55),
    ])
    db.session.commit()
    erp_ids = [technician.erp_id, carrier.erp_id, client.erp_id, contract.erp_id, equipment.erp_id,
               call.erp_id, attendance.client_uid, "evt-foreign", "gps-foreign"]
    tenant = Tenant(company=company, client=client, contract=contract, equipment=equipment,
                    technician=technician, carrier=carrier)
    return tenant, erp_ids


@pytest.fixture
def scopes(app, client, db_ctx):
    """Ours (a technician and a client user with an open order) and the foreign tenant."""
    with db_ctx():
        ours = make_tenant()
        call = f.call(ours.client, ours.equipment, status="E", technician=ours.technician)
        tech = user_for(TECHNICIAN, ours)
        customer = user_for(CLIENT, ours)
        foreign, foreign_erp_ids = _foreign_tenant(ours.company)
        world = {"call": call.id, "client": ours.client.id, "equipment": ours.equipment.id,
                 "tech_email": tech.email, "client_email": customer.email,
                 "admin": f.user(ADMIN).id}
    headers = jwt_headers(client, world["tech_email"])
    world["attendance"] = start(client, headers, world["call"])["id"]
    world["tech_headers"] = headers
    world["foreign"] = {"ids": sorted(FOREIGN_IDS.values()), "erp_ids": foreign_erp_ids}
    yield world
    _reset_sequences(app)


def _reset_sequences(app):
    """Empty the tables and let MariaDB's AUTO_INCREMENT fall back from the foreign ids."""
    _empty_tables(app)
    with app.app_context():
        if db.engine.dialect.name == "mysql":
            with db.engine.begin() as conn:
                for table in ("client", "contract", "equipment", "technician", "carrier",
                              "service_call", "attendance", "attendance_event", "track_point"):
                    conn.execute(text(f"ALTER TABLE `{table}` AUTO_INCREMENT = 1"))
        db.session.remove()


def _load_schema(app, scopes):
    """The project's spec, as an admin reads it (the callers need not see it)."""
    response = login_as(app.test_client(), scopes["admin"]).get(SPEC)
    assert response.status_code == 200, response.status_code
    schema = schemathesis.openapi.from_dict(response.get_json())
    schema.app = app
    return schema


def foreign_id_check(foreign):
    """A schemathesis check: the body names none of the foreign ids or erp_ids."""
    alternatives = "|".join(re.escape(str(token)) for token in [*foreign["ids"], *foreign["erp_ids"]])
    pattern = re.compile(rf"(?<![\w.-])({alternatives})(?![\w.-])")

    def no_foreign_id(ctx, response, case):
        leak = pattern.search(response.content.decode("utf-8", "replace"))
        assert leak is None, f"{case.operation.label} answered with foreign {leak.group(0)!r}"

    return no_foreign_id


def _with_ids(case, ids):
    """Point every id of a JSON body at one of our, foreign or random ids."""
    if isinstance(case.body, dict):
        for key in list(case.body):
            if key.endswith("_id") and key != "erp_id":
                case.body[key] = ids
    return case


def _strategy(operation, mode, id_choices):
    ids = st.one_of(*(st.sampled_from(choices) for choices in id_choices), RANDOM_ID)
    params = {p.name for p in operation.path_parameters}
    if "pk" in params:
        cases = ids.flatmap(lambda pk: operation.as_strategy(mode, path_parameters={"pk": pk}))
    else:
        cases = operation.as_strategy(mode)
    return st.tuples(cases, ids).map(lambda pair: _with_ids(*pair))


def fuzz(schema, *, call, checks, id_choices, operations, examples=EXAMPLES):
    """Run ``examples`` generated requests per operation and mode through ``call``; report
    every failing operation."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not any(operation.path.startswith(prefix) for prefix in operations):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # derandomize: the same examples on every run; no shrinking, the first failure is reported.
            @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=_strategy(operation, mode, id_choices))
            def run(case):
                response = call(case)
                case.validate_response(response, checks=[not_a_server_error, *checks])

            try:
                run()
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - one report per failing operation
                failures.append(f"{operation.label} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)


def _ids(scopes):
    """Ours (the attendance most, as most paths take one), the foreign tenant's; random
    numbers come on top."""
    return ([scopes["attendance"]], [scopes["call"], scopes["attendance"], scopes["client"]],
            scopes["foreign"]["ids"])


def test_technician_api(app, client, scopes):
    """The technician's JWT on every operation: his app API answers, the rest refuses."""
    schema = _load_schema(app, scopes)
    fuzz(schema, call=lambda case: case.call(headers=scopes["tech_headers"]),
         checks=[foreign_id_check(scopes["foreign"])], id_choices=_ids(scopes), operations=[V1])


def test_client_session(app, client, scopes):
    """A client user's session cookie on every operation (the APIs a browser session reaches)."""
    login(client, scopes["client_email"])
    schema = _load_schema(app, scopes)
    fuzz(schema, call=lambda case: case.call(session=client),
         checks=[foreign_id_check(scopes["foreign"])], id_choices=_ids(scopes), operations=[V1],
         examples=CLIENT_EXAMPLES)


def test_sync_token(app, client, scopes):
    """The ERP synchronizer's bearer token on its API (it sees the whole dealer: 5xx only)."""
    created = app.test_cli_runner().invoke(args=["pws", "sync-token", "create", "fuzz"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    schema = _load_schema(app, scopes)
    fuzz(schema, call=lambda case: case.call(headers=headers), checks=[],
         id_choices=_ids(scopes), operations=["/api/sync/v1/"])
