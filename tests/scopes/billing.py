from app.accounts.roles import BILLING_OPERATOR, CLIENT
from app.billing.models import BillingFile
from tests import factories as f
from tests.scopes import ScopedCase


def _file(tenant):
    return f.billing_file(tenant.client, original_name=f"fatura-{tenant.client.erp_id}.pdf")


CASES = [
    ScopedCase("faturamento-cliente", "/faturamento", CLIENT, _file, lambda row: row.original_name,
               search="original_name", routes=("show", "baixar"), model=BillingFile),
    ScopedCase("faturamento-operador", "/faturamento", BILLING_OPERATOR, _file, lambda row: row.original_name,
               search="original_name", routes=("show", "baixar"), model=BillingFile),
]
