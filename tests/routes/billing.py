"""Routes of Faturamento: list, download (logged) and the admin's upload."""
from app.catalog.models import Client
from app.core.db import db
from app.core.files import store_bytes
from tests import factories as f
from tests.access import ADMIN, BILLING_OPERATOR, CLIENT, allow

BILLING_READERS = (ADMIN, CLIENT, BILLING_OPERATOR)
PDF = b"%PDF-1.4\n%minimal\n"


def build(ids, users):
    customer = db.session.get(Client, ids["client"])
    row = f.billing_file(customer, stored_name=store_bytes("billing", PDF, ".pdf"))
    return {"billing_file": row.id}


ROUTES = {
    ("GET", "/faturamento/list/"): allow(*BILLING_READERS),
    ("GET", "/faturamento/list/?_flt_0_year=2026&_flt_0_month=11"): allow(*BILLING_READERS),
    ("GET", "/faturamento/show/{billing_file}"): allow(*BILLING_READERS),
    ("GET", "/faturamento/baixar/{billing_file}"): allow(*BILLING_READERS),
    # the upload needs can_write on BillingFile, which only the Admin Revenda holds
    ("GET", "/faturamento/importar/"): allow(ADMIN),
    ("GET", "/faturamento/importar/?empresa={company}&cliente=JAYOB"): allow(ADMIN),
    ("GET", "/faturamento/importar/{client}"): allow(ADMIN),
    ("POST", "/faturamento/importar/{client}"): allow(ADMIN, ok=422),
    # corrections (remove / replace with a reason) and Quem baixou: the Admin Revenda
    ("GET", "/faturamento/correcao/{billing_file}"): allow(ADMIN),
    ("POST", "/faturamento/correcao/{billing_file}"): allow(ADMIN, ok=422),  # no reason given
    ("GET", "/faturamento/correcao/quem-baixou/"): allow(ADMIN),
}
