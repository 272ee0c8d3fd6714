"""The entities and fields of POST /api/sync/v1/batch (docs: api.md §1), declared once.

Validation, the bulk apply and the OpenAPI schemas all read this table.
"""
from dataclasses import dataclass
from functools import cached_property

from app.calls.models import CallStatus, PartsRequest, ServiceCall
from app.catalog.models import (
    Carrier, Client, Company, Contract, DefectType, Equipment, EquipmentModel, Part, SupplyItem,
    Technician,
)
from app.deliveries.models import Invoice
from app.supplies.models import SupplyRequest, SupplyStatus

MAX_RECORDS = 5000
MAX_BYTES = 10 * 1024 * 1024
MAX_TEXT = 16000  # characters of an unbounded text column (64 KB in MariaDB, 4 bytes a character)
OPS = ("upsert", "delete")

# kinds of value
TEXT, INT, BOOL, DATE, DATETIME, DECIMAL, CHOICE, REF, REFS, WEB = (
    "text", "int", "bool", "date", "datetime", "decimal", "choice", "ref", "refs", "web")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = TEXT
    column: str | None = None     # model column written (None: handled by the entity's apply)
    required: bool = False        # required when the row is created
    target: str | None = None     # entity named by a *_erp_id / *_web_id reference
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    name: str
    model: type
    fields: tuple[Field, ...]
    key: str = "erp_id"           # "web_id": the record updates a row the portal created
    deletable: bool = True

    @cached_property
    def table(self):
        return self.model.__table__

    def field(self, name: str) -> Field | None:
        return self.specs.get(name)

    @cached_property
    def specs(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def has_active(self) -> bool:
        return "active" in self.table.c

    @cached_property
    def references(self) -> tuple[Field, ...]:
        """Fields naming another row (by erp_id or by its id in the portal)."""
        return tuple(f for f in self.fields if f.kind in (REF, REFS, WEB))

    def max_length(self, field: Field) -> int | None:
        if field.kind in (REF, REFS):
            return 40
        if field.column is None or field.kind != TEXT:
            return None
        return getattr(self.table.c[field.column].type, "length", None) or MAX_TEXT


def _f(name, kind=TEXT, column=None, **kw) -> Field:
    if column is None and kind not in (REFS,):
        column = name
    return Field(name, kind, column, **kw)


def _ref(name, target, column, **kw) -> Field:
    return Field(name, REF, column, target=target, **kw)


ENTITIES: tuple[Entity, ...] = (
    Entity("company", Company, (
        _f("name", required=True), _f("trade_name"), _f("cnpj"),
        _ref("parent_erp_id", "company", "parent_id"), _f("city"), _f("state"),
    )),
    Entity("equipment_model", EquipmentModel, (_f("name", required=True), _f("manufacturer"))),
    Entity("technician", Technician, (
        _f("name", required=True), _f("email"), _f("phone"), _f("active", BOOL),
    )),
    Entity("carrier", Carrier, (
        _f("name", required=True), _f("document"), _f("email"), _f("active", BOOL),
    )),
    Entity("defect_type", DefectType, (
        _f("name", required=True), _f("category", CHOICE, required=True, choices=DefectType.CATEGORIES),
    )),
    Entity("client", Client, (
        _ref("company_erp_id", "company", "company_id", required=True), _f("name", required=True),
        _f("trade_name"), _f("cnpj_cpf"), _ref("parent_erp_id", "client", "parent_id"),
        _f("address"), _f("district"), _f("zip"), _f("city"), _f("state"), _f("contact_name"),
        _f("phone"), _f("email"),
    )),
    Entity("contract", Contract, (
        _ref("client_erp_id", "client", "client_id", required=True),
        _ref("company_erp_id", "company", "company_id", required=True),
        _f("number", required=True), _f("starts_on", DATE), _f("ends_on", DATE),
        _f("active", BOOL), _f("sla_hours", INT),
    )),
    Entity("equipment", Equipment, (
        _f("serial", required=True), _ref("model_erp_id", "equipment_model", "model_id", required=True),
        _ref("client_erp_id", "client", "client_id", required=True),
        _ref("contract_erp_id", "contract", "contract_id"), _f("asset_tag"), _f("department"),
        _f("location"), _f("city"), _f("state"),
    )),
    Entity("supply_item", SupplyItem, (
        _f("name", required=True), Field("model_erp_ids", REFS, None, target="equipment_model"),
    )),
    Entity("part", Part, (
        _f("name", required=True), _f("code"),
        Field("model_erp_ids", REFS, None, target="equipment_model"),
    )),
    Entity("service_order", ServiceCall, (
        _ref("company_erp_id", "company", "company_id", required=True),
        _ref("client_erp_id", "client", "client_id", required=True),
        _ref("equipment_erp_id", "equipment", "equipment_id"),
        _ref("contract_erp_id", "contract", "contract_id"),
        _ref("defect_erp_id", "defect_type", "defect_type_id"),
        _f("status", CHOICE, required=True, choices=CallStatus.ALL),
        _ref("technician_erp_id", "technician", "technician_id"),
        _f("opened_at", DATETIME, required=True), _f("priority_due", DATETIME), _f("description"),
        Field("web_id", WEB, None, target="service_order"),
    ), deletable=False),
    Entity("invoice", Invoice, (
        _ref("company_erp_id", "company", "company_id", required=True),
        _ref("client_erp_id", "client", "client_id", required=True),
        _f("number", required=True), _f("series"), _f("issued_at", DATETIME, required=True),
        _f("status", CHOICE, required=True, choices=(Invoice.AUTHORIZED, Invoice.CANCELLED)),
        _ref("carrier_erp_id", "carrier", "carrier_id"),
        Field("supply_request_web_id", WEB, "supply_request_id", target="supply_request"),
        _f("total", DECIMAL),
    )),
    Entity("supply_request", SupplyRequest, (
        Field("web_id", WEB, None, required=True, target="supply_request"),
        _f("status", CHOICE, choices=SupplyStatus.ALL), _ref("carrier_erp_id", "carrier", "carrier_id"),
        _f("tracking_code"), _f("invoice_number"), _f("invoice_date", DATE),
    ), key="web_id", deletable=False),
    Entity("parts_request", PartsRequest, (
        Field("web_id", WEB, None, required=True, target="parts_request"),
        _f("state", CHOICE, choices=PartsRequest.STATES),
    ), key="web_id", deletable=False),
)
BY_NAME = {entity.name: entity for entity in ENTITIES}
# Parents before children: the order the batch is applied in.
APPLY_ORDER = tuple(entity.name for entity in ENTITIES)
