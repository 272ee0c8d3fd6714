"""Security checklist 1 and 2: every route is in the route × role table and answers as it says."""
import re

import pytest

from app.accounts.models import PortalUser
from tests.access import ANONYMOUS
from tests.conftest import csrf_token, login_as
from tests.routes import all_routes
from tests.world import build_world

TABLE = all_routes()
PLACEHOLDER = re.compile(r"<[^>]+>|\{[^}]+\}")


def _shape(path: str) -> str:
    return PLACEHOLDER.sub("*", path.split("?")[0].split("#")[0])


def test_every_registered_route_is_in_the_table(app):
    declared = {(method, _shape(path)) for method, path in TABLE}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            shape = _shape(rule.rule)
            if not any(m == method and _matches(shape, d) for m, d in declared):
                missing.append(f"{method} {rule.rule}")
    assert not missing, "routes missing from tests/routes/*.py: " + ", ".join(missing)


def _matches(rule_shape: str, declared_shape: str) -> bool:
    pattern = "^" + re.escape(rule_shape).replace(r"\*", ".+") + "$"
    return rule_shape == declared_shape or re.match(pattern, declared_shape) is not None


@pytest.mark.parametrize("method,path", sorted(TABLE), ids=[f"{m} {p}" for m, p in sorted(TABLE)])
def test_route_answers_each_role_as_declared(app, db_ctx, method, path):
    with db_ctx():
        world = build_world()
        user_ids = {profile: PortalUser.query.filter_by(email=email).one().id
                    for profile, email in world["users"].items()}
    url, _, form = path.format(**world).partition("#")
    fields = dict(pair.split("=", 1) for pair in form.split("&") if pair)
    wrong = []
    for role, expected in TABLE[(method, path)].items():
        client = app.test_client()
        if role != ANONYMOUS:
            login_as(client, user_ids[role])
        if method == "GET":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = client.post(url, json={})
        else:
            token = csrf_token(client)
            response = client.post(url, data={"csrf_token": token, **fields})
        if response.status_code != expected:
            wrong.append(f"{role}: {response.status_code} (esperado {expected})")
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)
