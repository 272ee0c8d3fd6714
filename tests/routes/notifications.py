"""Routes of E-mails enviados (admin only)."""
from tests import factories as f
from tests.access import ADMIN, allow


def build(ids, users):
    return {"outbox": f.outbox_message(status="failed").id}


ROUTES = {
    ("GET", "/emails/list/"): allow(ADMIN),
    ("GET", "/emails/list/?situacao=failed&tipo=contact"): allow(ADMIN),
    ("GET", "/emails/show/{outbox}"): allow(ADMIN),
    ("GET", "/emails/eml/{outbox}"): allow(ADMIN),
    ("GET", "/emails/html/{outbox}"): allow(ADMIN),
    ("POST", "/emails/action/retry/{outbox}"): allow(ADMIN, ok=302),
    ("POST", "/emails/action_post#action=retry&rowid={outbox}"): allow(ADMIN, ok=302),
}
