"""Routes of Entregas (Transportador)."""
from datetime import datetime

from app.catalog.models import Carrier, Client
from app.core.db import db
from app.core.files import store_bytes
from app.deliveries.models import Delivery
from tests import factories as f
from tests.access import ADMIN, ATTENDANCE_OPERATOR, CARRIER, CLIENT, allow

DELIVERY_READERS = (ADMIN, ATTENDANCE_OPERATOR, CARRIER, CLIENT)
DELIVERY_WRITERS = (ADMIN, CARRIER)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
       b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def build(ids, users):
    customer, carrier = db.session.get(Client, ids["client"]), db.session.get(Carrier, ids["carrier"])
    pending = f.invoice(customer, carrier)
    delivered = f.invoice(customer, carrier)
    db.session.add(Delivery(invoice_id=delivered.id, received_by="MARIA SILVA",
                            delivered_at=datetime(2026, 11, 5, 15, 0),
                            signature_stored_name=store_bytes("deliveries", PNG, ".png"),
                            photo_stored_name=store_bytes("deliveries", b"\xff\xd8\xff", ".jpg")))
    return {"invoice": pending.id, "delivered_invoice": delivered.id}


ROUTES = {
    ("GET", "/entregas/list/"): allow(*DELIVERY_READERS),
    ("GET", "/entregas/list/?situacao=entregues&_flt_0_number=1&_oc_DeliveryView=number"): allow(*DELIVERY_READERS),
    ("GET", "/entregas/show/{invoice}"): allow(*DELIVERY_READERS),
    ("GET", "/entregas/show/{delivered_invoice}"): allow(*DELIVERY_READERS),
    ("GET", "/entregas/confirmar/{invoice}"): allow(*DELIVERY_WRITERS),
    # without the recipient's name nothing is recorded
    ("POST", "/entregas/confirmar/{invoice}"): allow(*DELIVERY_WRITERS, ok=422),
    ("GET", "/entregas/comprovante/{delivered_invoice}/assinatura"): allow(*DELIVERY_READERS),
    ("GET", "/entregas/comprovante/{delivered_invoice}/foto"): allow(*DELIVERY_READERS),
}
