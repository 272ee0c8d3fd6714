"""ERP master data (ILUX owns these rows; the sync API writes them)."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, Column, Date, DateTime, Double, Float, ForeignKey, Index, Integer, String, Table,
)
from sqlalchemy.orm import relationship

from app.core.changelog import Tracked
from app.core.concurrency import Versioned
from app.core.i18n import lazy_gettext as _l
from app.core.db import ErpMixin, IdMixin, TimestampMixin
from app.core.scoping import Scope


class Company(IdMixin, ErpMixin, TimestampMixin, Model):
    """A dealer company: the matriz or one of its filiais."""

    __tablename__ = "company"
    __scope__ = Scope(company="id")
    name = Column(String(150), nullable=False)
    trade_name = Column(String(150))
    cnpj = Column(String(18))
    parent_id = Column(Integer, ForeignKey("company.id"), index=True)
    city = Column(String(80))
    state = Column(String(2))
    parent = relationship("Company", remote_side="Company.id")
    # What the properties read, so lists load only those columns (app/core/views.py).
    __property_columns__ = {"display_name": ("name", "trade_name")}

    @property
    def display_name(self) -> str:
        return self.trade_name or self.name

    def __str__(self) -> str:
        return self.display_name


class Client(IdMixin, ErpMixin, TimestampMixin, Model):
    """A customer of the dealer (matriz or filial)."""

    __tablename__ = "client"
    __scope__ = Scope(company="company_id", client="id")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False)
    parent_id = Column(Integer, ForeignKey("client.id"), index=True)
    name = Column(String(150), nullable=False, index=True)
    trade_name = Column(String(150), index=True)
    cnpj_cpf = Column(String(18), index=True)
    address = Column(String(200))
    district = Column(String(80))
    zip = Column(String(9))
    city = Column(String(80))
    state = Column(String(2))
    contact_name = Column(String(120))
    phone = Column(String(40))
    email = Column(String(320))
    company = relationship("Company")
    parent = relationship("Client", remote_side="Client.id")
    __property_columns__ = {"display_name": ("name", "trade_name"), "city_uf": ("city", "state")}

    @property
    def display_name(self) -> str:
        return self.trade_name or self.name

    @property
    def city_uf(self) -> str:
        return f"{self.city or ''} / {self.state or ''}".strip(" /")

    def __str__(self) -> str:
        return self.display_name


class Contract(IdMixin, ErpMixin, TimestampMixin, Model):
    __tablename__ = "contract"
    __scope__ = Scope(company="company_id", client="client_id")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False, index=True)
    number = Column(String(40), nullable=False, index=True)
    starts_on = Column(Date)
    ends_on = Column(Date)
    sla_hours = Column(Integer)
    company = relationship("Company")
    client = relationship("Client")

    def __str__(self) -> str:
        return self.number


class EquipmentModel(IdMixin, ErpMixin, TimestampMixin, Model):
    __tablename__ = "equipment_model"
    __scope__ = Scope()
    name = Column(String(120), nullable=False, index=True)
    manufacturer = Column(String(80))

    def __str__(self) -> str:
        return self.name


supply_item_model = Table(
    "supply_item_model",
    Model.metadata,
    Column("supply_item_id", Integer, ForeignKey("supply_item.id", ondelete="CASCADE"), primary_key=True),
    Column("equipment_model_id", Integer, ForeignKey("equipment_model.id", ondelete="CASCADE"), primary_key=True),
)


class SupplyItem(IdMixin, ErpMixin, TimestampMixin, Model):
    """A consumable (toner, drum, …) and the models it fits."""

    __tablename__ = "supply_item"
    __scope__ = Scope()
    name = Column(String(120), nullable=False)
    page_yield = Column(Integer)
    models = relationship("EquipmentModel", secondary=supply_item_model)

    def __str__(self) -> str:
        return self.name


part_model = Table(
    "part_model",
    Model.metadata,
    Column("part_id", Integer, ForeignKey("part.id", ondelete="CASCADE"), primary_key=True),
    Column("equipment_model_id", Integer, ForeignKey("equipment_model.id", ondelete="CASCADE"), primary_key=True),
)


class Part(IdMixin, ErpMixin, TimestampMixin, Model):
    """A spare part of the ERP's parts list, which a technician may request for a call."""

    __tablename__ = "part"
    __scope__ = Scope()
    name = Column(String(120), nullable=False)
    code = Column(String(40))
    models = relationship("EquipmentModel", secondary=part_model)

    def __str__(self) -> str:
        return f"{self.code} – {self.name}" if self.code else self.name


class Equipment(IdMixin, ErpMixin, TimestampMixin, Model):
    __tablename__ = "equipment"
    __scope__ = Scope(company="company_id", client="client_id")
    serial = Column(String(60), nullable=False, index=True)
    asset_tag = Column(String(60), index=True)
    model_id = Column(Integer, ForeignKey("equipment_model.id"), nullable=False, index=True)
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False, index=True)
    contract_id = Column(Integer, ForeignKey("contract.id"), index=True)
    department = Column(String(120))
    location = Column(String(120))
    city = Column(String(80))
    state = Column(String(2))
    model = relationship("EquipmentModel")
    company = relationship("Company")
    client = relationship("Client")
    contract = relationship("Contract")

    def __str__(self) -> str:
        return self.serial


class DefectType(IdMixin, ErpMixin, TimestampMixin, Versioned, Model):
    """Defects from the ERP; the admin chooses which the portal offers."""

    __tablename__ = "defect_type"
    __changelog__ = Tracked(label=_l("Defeito"))
    __scope__ = Scope()
    WITH_CONTRACT, WITHOUT_CONTRACT, CONTRACT = "with_contract", "without_contract", "contract"
    CATEGORIES = (WITH_CONTRACT, WITHOUT_CONTRACT, CONTRACT)
    name = Column(String(120), nullable=False)
    category = Column(String(20), nullable=False, index=True)
    listed_on_portal = Column(Boolean, default=False, nullable=False)

    def __str__(self) -> str:
        return self.name


class Technician(IdMixin, ErpMixin, TimestampMixin, Model):
    __tablename__ = "technician"
    __scope__ = Scope(dealer_only=True)
    name = Column(String(120), nullable=False)
    email = Column(String(320))
    phone = Column(String(40))
    # Last known position (Rastreamento de técnicos), cleared after the GPS retention.
    last_latitude = Column(Double)
    last_longitude = Column(Double)
    last_accuracy_m = Column(Float)
    last_position_at = Column(DateTime)

    def __str__(self) -> str:
        return self.name


class Carrier(IdMixin, ErpMixin, TimestampMixin, Model):
    """A transportadora / entregador registered in the ERP."""

    __tablename__ = "carrier"
    __scope__ = Scope(dealer_only=True)
    name = Column(String(120), nullable=False)
    document = Column(String(18))
    email = Column(String(320))

    def __str__(self) -> str:
        return self.name


# Each list sort within each scope column (app.core.views.sort_plan).
Index("ix_client_company_name", Client.company_id, Client.name)
Index("ix_client_company_trade_name", Client.company_id, Client.trade_name)
# "Contém" on a name: MariaDB FULLTEXT on its words (app.core.search.contains).
Index("ix_client_name_words", Client.name, mysql_prefix="FULLTEXT")
Index("ix_client_trade_name_words", Client.trade_name, mysql_prefix="FULLTEXT")
Index("ix_equipment_client_serial", Equipment.client_id, Equipment.serial)
Index("ix_equipment_company_serial", Equipment.company_id, Equipment.serial)
# The equipment search fields the manual offers ("Começa com", "Igual a"): the matching rows
# found by the filtered column, within a company, sorted by série from the index alone.
Index("ix_equipment_city_company_serial", Equipment.city, Equipment.company_id, Equipment.serial)
Index("ix_equipment_location_company_serial", Equipment.location, Equipment.company_id, Equipment.serial)
Index("ix_equipment_department_company_serial", Equipment.department, Equipment.company_id, Equipment.serial)
