"""Redefinir senha answers a registered e-mail and an unknown one in the same time
(docs/security.md): the user lookup, the token and the e-mail happen after the answer.

Measured against gunicorn, as an attacker would: many requests, known and unknown in turns,
and the two distributions compared (Mann-Whitney U and the medians), never one request.
"""
import math
import statistics
import time

import pytest
from sqlalchemy import func, select

from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import DATABASE_URL
from tests.live import Browser, Gunicorn, app_env

KNOWN, UNKNOWN = "cadastrada@revenda.test", "desconhecida@revenda.test"
PAIRS = 30
WARM_UP = 3
# The answer must not tell the two apart: a difference this large in the medians, that
# unlikely by chance, fails. The work done in the request before the fix cost 30-50 ms.
MAX_MEDIAN_GAP = 0.010
MIN_P_VALUE = 0.001
# Between requests, the worker finishes what the previous answer left for after it.
PAUSE = 0.15


@pytest.fixture(scope="module")
def server(_schema, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reset-timing")
    env = app_env(DATABASE_URL=DATABASE_URL, PWS_STORAGE_DIR=folder / "storage",
                  RATELIMIT_ENABLED=0, MAIL_SERVER="")
    gunicorn = Gunicorn(env, folder / "gunicorn.log")
    try:
        gunicorn.wait_until_up()
        yield gunicorn.url
    finally:
        gunicorn.stop()


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, no ties in timings)."""
    ranked = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    rank_sum = sum(rank for rank, (_value, side) in enumerate(ranked, start=1) if side == 0)
    n1, n2 = len(a), len(b)
    u = rank_sum - n1 * (n1 + 1) / 2
    z = (u - n1 * n2 / 2) / math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    return math.erfc(abs(z) / math.sqrt(2))


def test_known_and_unknown_emails_answer_in_the_same_time(server, app, db_ctx):
    with db_ctx():
        f.user("Operador de Chamados", [f.company()], email=KNOWN)
    browser = Browser(server)
    token = browser.csrf_token("/redefinir-senha/")

    def ask(email) -> float:
        started = time.perf_counter()
        response = browser.post("/redefinir-senha/", {"csrf_token": token, "email": email})
        elapsed = time.perf_counter() - started
        assert response.status == 200 and "Se o e-mail informado estiver cadastrado" in response.text
        time.sleep(PAUSE)
        return elapsed

    for _ in range(WARM_UP):
        ask(KNOWN), ask(UNKNOWN)
    known, unknown = [], []
    for turn in range(PAIRS):  # in turns, so that load on the machine hits both alike
        order = (KNOWN, UNKNOWN) if turn % 2 else (UNKNOWN, KNOWN)
        for email in order:
            (known if email == KNOWN else unknown).append(ask(email))

    gap = statistics.median(known) - statistics.median(unknown)
    p_value = mann_whitney_p(known, unknown)
    summary = (f"median known {statistics.median(known) * 1000:.1f} ms, unknown "
               f"{statistics.median(unknown) * 1000:.1f} ms, p={p_value:.3g}")
    assert not (abs(gap) > MAX_MEDIAN_GAP and p_value < MIN_P_VALUE), summary
    with db_ctx() as session:  # the work was done, after the answers
        sent = session.execute(select(func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.recipients == KNOWN)).scalar_one()
    assert sent == PAIRS + WARM_UP, summary
    print(summary)
