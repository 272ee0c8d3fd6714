"""Builders for test rows: small, explicit, each returns the committed object's id."""
import itertools
from datetime import datetime, timedelta

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
    row = Equipment(erp_id=f"eq{n}", serial=f"SER{n:06d}", model_id=model.id,
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


def sync_token(name=None):
    """A synchronizer token: (row, the plain token the ERP sends)."""
    from app.sync.services import create_token

    token, plain = create_token(name or f"ILUX {_n()}")
    db.session.commit()
    return token, plain
