"""Builders for test rows: small, explicit, each returns the committed object's id."""
import io
import itertools
from datetime import datetime, timedelta

from pypdf import PdfWriter

from app.accounts.services import create_user
from app.calls.models import ServiceCall
from app.catalog.models import (
    Carrier, Client, Company, Contract, DefectType, Equipment, EquipmentModel, SupplyItem,
    Technician,
)
from app.core.db import db

_seq = itertools.count(1)
PASSWORD = "senha-demo"


def _n():
    return next(_seq)


def company(name=None, **kw):
    n = _n()
    row = Company(erp_id=f"emp{n}", name=name or f"REVENDA {n} LTDA", trade_name=name or f"REVENDA {n}",
                  cnpj="11.222.333/0001-81", city="Florianópolis", state="SC", **kw)
    db.session.add(row)
    db.session.commit()
    return row


def client(company, name=None, **kw):
    n = _n()
    row = Client(erp_id=f"cli{n}", company_id=company.id, name=name or f"CLIENTE {n} LTDA",
                 trade_name=name or f"CLIENTE {n}", city="Florianópolis", state="SC", **kw)
    db.session.add(row)
    db.session.commit()
    return row


def contract(client, **kw):
    n = _n()
    row = Contract(erp_id=f"ctr{n}", company_id=client.company_id, client_id=client.id,
                   number=f"C-{n}", sla_hours=8, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def equipment_model(name=None):
    n = _n()
    row = EquipmentModel(erp_id=f"mod{n}", name=name or f"BROTHER {8000 + n}DN", manufacturer="Brother")
    db.session.add(row)
    db.session.commit()
    return row


def equipment(client, model=None, contract=None, **kw):
    n = _n()
    model = model or equipment_model()
    kw.setdefault("serial", f"SER{n:06d}")
    row = Equipment(erp_id=f"eq{n}", model_id=model.id,
                    company_id=client.company_id, client_id=client.id,
                    contract_id=contract.id if contract else None, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def defect(category=DefectType.WITH_CONTRACT, listed=True, name=None):
    n = _n()
    row = DefectType(erp_id=str(1000 + n), name=name or f"DEFEITO {n}", category=category,
                     listed_on_portal=listed)
    db.session.add(row)
    db.session.commit()
    return row


def technician(name=None):
    n = _n()
    row = Technician(erp_id=f"tec{n}", name=name or f"TECNICO {n}")
    db.session.add(row)
    db.session.commit()
    return row


def carrier(name=None):
    n = _n()
    row = Carrier(erp_id=f"tra{n}", name=name or f"TRANSPORTADORA {n}")
    db.session.add(row)
    db.session.commit()
    return row


def supply_item(models=(), name=None):
    n = _n()
    row = SupplyItem(erp_id=f"sup{n}", name=name or f"TONER {n}", models=list(models))
    db.session.add(row)
    db.session.commit()
    return row


def call(client, equipment=None, status="A", technician=None, opened_by=None, **kw):
    row = ServiceCall(company_id=client.company_id, client_id=client.id,
                      equipment_id=equipment.id if equipment else None, status=status,
                      technician_id=technician.id if technician else None,
                      opened_by_id=opened_by.id if opened_by else None,
                      opened_at=kw.pop("opened_at", datetime(2026, 11, 2, 12, 0) + timedelta(minutes=_n())),
                      description=kw.pop("description", "Atolamento de papel"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def user(profile, companies=(), clients=(), email=None, **kw):
    n = _n()
    return create_user(email=email or f"user{n}@exemplo.com.br", name=f"Usuário {n}",
                       password=PASSWORD, profile=profile, companies=companies, clients=clients, **kw)


def role_id(name):
    from flask import current_app

    return current_app.appbuilder.sm.role_by_name(name).id


def supply_request(equipment, items=(), status="pending", requested_at=None, **kw):
    """A request for ``items`` = [(supply_item, quantity, counter)] on ``equipment``."""
    from app.supplies.models import SupplyRequest, SupplyRequestItem

    row = SupplyRequest(kind=SupplyRequest.BY_EQUIPMENT, company_id=equipment.company_id,
                        client_id=equipment.client_id, equipment_id=equipment.id,
                        equipment_model_id=equipment.model_id, contract_id=equipment.contract_id,
                        status=status, requested_at=requested_at or datetime(2026, 11, 3, 12, 0),
                        items=[SupplyRequestItem(supply_item_id=s.id, quantity=q, counter=c)
                               for s, q, c in items], **kw)
    db.session.add(row)
    db.session.commit()
    return row


def meter_reading(equipment, counter, read_at):
    from app.supplies.models import MeterReading

    row = MeterReading(equipment_id=equipment.id, counter=counter, read_at=read_at)
    db.session.add(row)
    db.session.commit()
    return row


def invoice(client, carrier=None, number=None, status="authorized", supply_request=None, **kw):
    from app.deliveries.models import Invoice

    n = _n()
    row = Invoice(erp_id=f"nf{n}", company_id=client.company_id, client_id=client.id,
                  number=number or f"{100000 + n}", series="1",
                  issued_at=kw.pop("issued_at", datetime(2026, 11, 4, 12, 0)), status=status,
                  carrier_id=carrier.id if carrier else None,
                  supply_request_id=supply_request.id if supply_request else None, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def billing_file(client, stored_name=None, month=11, year=2026, **kw):
    from app.billing.models import BillingFile

    n = _n()
    row = BillingFile(company_id=client.company_id, client_id=client.id, month=month, year=year,
                      original_name=kw.pop("original_name", f"fatura_{n}.pdf"),
                      stored_name=stored_name or f"{n:032x}.pdf", size=kw.pop("size", 100), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def business_calendar(company, **kw):
    from app.calls.models import BusinessCalendar

    row = BusinessCalendar(company_id=company.id, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def holiday(day, company=None, name="Feriado"):
    from app.calls.models import Holiday

    row = Holiday(company_id=company.id if company else None, day=day, name=name)
    db.session.add(row)
    db.session.commit()
    return row


def pre_service_message(call, author, body="Pode enviar uma foto do painel?", direction="dealer",
                        token=None, expires_at=None, link_email=None):
    """A thread message; with ``token`` its e-mailed link answers to that token (with
    ``link_email``: the link e-mailed to the call's contact, which needs no login)."""
    from app.calls.models import PreServiceMessage
    from app.core.tokens import digest

    row = PreServiceMessage(call_id=call.id, author_id=author.id, body=body, direction=direction,
                            link_token_hash=digest(token) if token else None,
                            link_expires_at=expires_at or datetime(2100, 1, 1), link_email=link_email)
    db.session.add(row)
    db.session.commit()
    return row


def call_attachment(call, data=b"%PDF-1.4 demo", name="laudo.pdf", content_type="application/pdf"):
    """An attachment with its file really written in the storage folder."""
    from app.calls import files
    from app.calls.models import CallAttachment

    stored = files.store(files.CheckedFile(name, data, content_type, name.rsplit(".", 1)[-1]))
    row = CallAttachment(call_id=call.id, original_name=name, stored_name=stored,
                         content_type=content_type, size=len(data))
    db.session.add(row)
    db.session.commit()
    return row


def consent_document(kind="privacy", body="Texto do documento.", title=None):
    """Publish the next version of an LGPD document (text)."""
    from app.lgpd.consent import prepare_document
    from app.accounts.models import ConsentDocument

    row = ConsentDocument(kind=kind, title=title, body=body)
    prepare_document(row, None, None)
    db.session.add(row)
    db.session.commit()
    return row


def outbox_message(kind="contact", status="pending", recipients="operador@revenda.test", **kw):
    from app.notifications.models import OutboxMessage

    row = OutboxMessage(kind=kind, status=status, recipients=recipients,
                        subject=kw.pop("subject", f"Assunto {_n()}"), body_text=kw.pop("body_text", "Texto"),
                        body_html=kw.pop("body_html", "<p>Texto</p>"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def confirmed_contact(client, email):
    """An address typed as a call's contact whose owner confirmed it for ``client``: it gets the
    call's e-mails (app.notifications.contacts)."""
    from app.notifications.models import ContactAddress

    row = ContactAddress(client_id=client.id, email=email.lower(), requested_at=datetime(2026, 11, 1, 12, 0),
                         expires_at=datetime(2026, 11, 8, 12, 0), confirmed_at=datetime(2026, 11, 1, 12, 5))
    db.session.add(row)
    db.session.commit()
    return row


def contact_message(client, sender, subject=None, kind="contact"):
    from app.contact.models import ContactMessage

    row = ContactMessage(company_id=client.company_id, client_id=client.id, sender_id=sender.id,
                         kind=kind, subject=subject or f"Assunto {_n()}", message="Mensagem de teste")
    db.session.add(row)
    db.session.commit()
    return row


def attendance(call, technician=None, status="concluded", **kw):
    from app.field.models import Attendance

    technician_id = technician.id if technician else call.technician_id
    row = Attendance(client_uid=kw.pop("client_uid", f"att-{_n():08d}"), call_id=call.id,
                     technician_id=technician_id, status=status,
                     started_at=kw.pop("started_at", datetime(2026, 11, 3, 11, 0)),
                     finished_at=kw.pop("finished_at", datetime(2026, 11, 3, 12, 30)
                                        if status != "in_progress" else None), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def sync_token(name=None):
    """A synchronizer token: (row, the plain token the ERP sends)."""
    from app.sync.services import create_token

    token, plain = create_token(name or f"ILUX {_n()}")
    db.session.commit()
    return token, plain


def pdf_bytes(pages=1, password=None, padding=0) -> bytes:
    """A real PDF of blank A4 pages (optionally password-protected or padded with metadata)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_metadata({"/Subject": "x" * padding})
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
