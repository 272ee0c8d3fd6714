"""A dealer desk for the chamados tests: one tenant with a user of every profile, a foreign
tenant, listed and unlisted defects, and helpers to open and move calls through HTTP."""
import io
import re
from dataclasses import dataclass

from PIL import Image

from app.accounts.models import PortalUser
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, PROFILE_NAMES, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.catalog.models import DefectType
from app.core.db import db
from tests import factories as f
from tests.conftest import csrf_token, login_as
from tests.factories import pdf_bytes
from tests.tenants import make_tenant

__all__ = ["Desk", "make_desk", "png_bytes", "pdf_bytes", "post", "user_id", "ADMIN",
           "ATTENDANCE_OPERATOR", "BILLING_OPERATOR", "CALL_OPENER", "CALLS_OPERATOR", "CARRIER",
           "CLIENT", "LOGISTICS_OPERATOR", "PROFILE_NAMES", "SUPPLIES_OPERATOR", "TECHNICIAN"]


@dataclass
class Desk:
    company: int
    client: int
    contract: int
    equipment: int
    serial: str
    loose_equipment: int      # without contract
    technician: int
    defect: int               # listed, with contract
    unlisted_defect: int
    loose_defect: int         # listed, without contract
    foreign_equipment: int
    foreign_client: int
    users: dict               # profile -> user id
    emails: dict              # profile -> e-mail


def make_desk(sla_hours=8) -> Desk:
    """Must run inside ``db_ctx()``. Operators ask for call e-mails; the clerk does not."""
    ours = make_tenant()
    ours.contract.sla_hours = sla_hours
    ours.equipment.asset_tag = "PAT-0042"
    loose = f.equipment(ours.client, location="Recepção")
    f.confirmed_contact(ours.client, "contato@cliente.com.br")
    foreign = make_tenant()
    users = {}
    for profile in PROFILE_NAMES:
        client_side = profile in (CLIENT, CALL_OPENER, BILLING_OPERATOR)
        users[profile] = f.user(
            profile, companies=[ours.company], clients=[ours.client] if client_side else [],
            technician=ours.technician if profile == TECHNICIAN else None,
            carrier=ours.carrier if profile == CARRIER else None,
            client_manager=profile == CLIENT,
            email_call_opened=profile == ATTENDANCE_OPERATOR,
            email_call_changed=profile == ATTENDANCE_OPERATOR)
    db.session.commit()
    return Desk(
        company=ours.company.id, client=ours.client.id, contract=ours.contract.id,
        equipment=ours.equipment.id, serial=ours.equipment.serial, loose_equipment=loose.id,
        technician=ours.technician.id, defect=f.defect(name="ATOLAMENTO DE PAPEL").id,
        unlisted_defect=f.defect(listed=False, name="DEFEITO INTERNO").id,
        loose_defect=f.defect(DefectType.WITHOUT_CONTRACT, name="NÃO LIGA").id,
        foreign_equipment=foreign.equipment.id, foreign_client=foreign.client.id,
        users={p: u.id for p, u in users.items()}, emails={p: u.email for p, u in users.items()})


def user_id(email: str) -> int:
    return PortalUser.query.filter_by(email=email).one().id


def as_user(app, uid):
    return login_as(app.test_client(), uid)


def post(client, url, data=None, **kw):
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kw)


def png_bytes(trailer=b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue() + trailer


def link_in(text: str) -> str:
    match = re.search(r"https?://\S+/chamados/pre-atendimento/[\w-]+", text)
    assert match, "no pre-service link in the e-mail"
    return match.group(0)
