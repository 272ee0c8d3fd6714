"""Demo data a newcomer believes (issue 17 item 7): the dealer works in business hours and
closes on the national holidays, the LGPD documents are published (the first login asks),
the technicians were seen a little while ago and the synchronizer has just called in."""
from datetime import date, datetime, time, timedelta, UTC
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.accounts.models import ConsentDocument
from app.calls.models import CallStatusChange, Holiday, PreServiceMessage, ServiceCall
from app.catalog.models import Technician
from app.demo import load_demo
from app.demo.data import easter, national_holidays
from app.sync.models import SyncToken
from app.sync.services import is_stale, last_sync_at
from tests.conftest import login

# A Wednesday afternoon in São Paulo (14:00), two days before Consciência Negra.
NOW = datetime(2026, 11, 18, 17, 0)
# A Sunday, a minute before midnight in São Paulo: the last moves happened on Friday.
SUNDAY_NIGHT = datetime(2026, 12, 7, 2, 59)
TZ = ZoneInfo("America/Sao_Paulo")


def load(app, now):
    with app.app_context():
        load_demo("small", echo=lambda *_: None, now=now)


@pytest.fixture
def loaded(app):
    load(app, NOW)


def open_at(moment: datetime, holidays: set[date]) -> bool:
    local = moment.replace(tzinfo=UTC).astimezone(TZ)
    return (local.weekday() < 5 and local.date() not in holidays
            and time(8) <= local.time() <= time(18))


def test_easter_and_the_national_holidays():
    assert [easter(year) for year in (2024, 2025, 2026, 2027)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28)]
    days = dict(national_holidays(2026))
    assert len(days) == 10 and days[date(2026, 4, 3)] == "Sexta-feira Santa"
    assert date(2026, 11, 20) in days and date(2026, 12, 25) in days


@pytest.mark.parametrize("now", (NOW, SUNDAY_NIGHT))
def test_calls_messages_and_deadlines_fall_in_business_hours(app, db_ctx, now):
    load(app, now)
    with db_ctx() as session:
        holidays = set(session.execute(select(Holiday.day).where(Holiday.company_id.is_(None))).scalars())
        assert {day for day, _name in national_holidays(2026) + national_holidays(2027)} <= holidays
        moments = {
            "abertura": session.execute(select(ServiceCall.opened_at)).scalars().all(),
            "prazo": session.execute(select(ServiceCall.priority_due)
                                     .where(ServiceCall.priority_due.is_not(None))).scalars().all(),
            "status": session.execute(select(CallStatusChange.changed_at)).scalars().all(),
            "mensagem": session.execute(select(PreServiceMessage.created_at)).scalars().all(),
        }
    for kind, values in moments.items():
        assert len(values) > 100 or kind == "mensagem" and values, kind
        closed = [value for value in values if not open_at(value, holidays)]
        assert not closed, (kind, len(closed), closed[:5])
        assert kind == "prazo" or max(values) < now


def test_the_first_login_asks_for_the_lgpd_documents(app, db_ctx, loaded):
    with db_ctx() as session:
        kinds = set(session.execute(select(ConsentDocument.kind)).scalars())
    assert kinds == {"privacy", "terms", "consent"}
    client = app.test_client()
    login(client, "cliente@alimentosboavista.example")
    html = client.get("/").get_data(as_text=True)
    assert 'id="pws-consent"' in html
    for title in ("Política de privacidade", "Termos e condições gerais de uso", "Termo de consentimento"):
        assert title in html


def test_technicians_were_seen_recently_and_the_sync_is_alive(app, db_ctx, loaded):
    with db_ctx() as session:
        seen = session.execute(select(Technician.last_position_at, Technician.last_latitude)).all()
        assert seen and all(NOW - timedelta(hours=2) <= at < NOW and lat < -20 for at, lat in seen)
        token = session.execute(select(SyncToken)).scalar_one()
        assert token.last_heartbeat_at == NOW and token.agent == "pws-sync-agent"
    with app.app_context():
        assert last_sync_at() == NOW
        assert not is_stale(last_sync_at(), NOW + timedelta(minutes=1))
        assert is_stale(last_sync_at(), NOW + timedelta(hours=1))  # red once the sync really stops
    admin = app.test_client()
    login(admin, "admin@imagemsul.example")
    assert "Técnico" in admin.get("/rastreamento/").get_data(as_text=True)
