"""Apply one batch of ERP records: validate every record, then write all of them in bulk.

Records are merged per (entity, key) in batch order, checked against each other and the
database (references may point to records later in the batch), and written parents first
with a few set-based statements per entity — one SELECT of the keys, one executemany upsert,
one SELECT of the new ids — never one ORM round trip per row. ERP-side changes to calls and
supply requests go through the same services as the web (history, e-mails, deadlines).
Nothing is committed here: the caller commits once, or rolls back on BatchRejected.
"""
import json
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, UTC
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import DateTime, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from app.calls import parts
from app.calls.models import PartsRequest, ServiceCall
from app.calls.services import TransitionError, change_status, tell_call_opened
from app.indicators import outcomes
from app.catalog.models import Equipment, part_model, supply_item_model
from app.core.db import db, utcnow
from app.core.scoping import SYSTEM
from app.supplies.models import SupplyRequest
from app.supplies.services import SupplyError, update_supply_request
from app.sync.contract import APPLY_ORDER, BY_NAME, OPS, REF, REFS, TEXT, Entity

MAX_KEY_LENGTH = 40
MIN_YEAR, MAX_YEAR = 1900, 2999  # dates outside are typing errors (and outside DATETIME's range)
RECORD_KEYS = frozenset({"entity", "op", "erp_id", "data"})
# service_order columns the ERP sets on creation only; later changes go through the services.
CREATE_ONLY = {"service_order": ("status", "opened_by_id")}
# Rows whose model_erp_ids, when sent, replace their list of compatible models.
MODEL_LINKS = {"supply_item": (supply_item_model, "supply_item_id"), "part": (part_model, "part_id")}
# Rows the portal created, which the ERP updates by their id here: entity -> model.
WEB_ROWS = {"supply_request": SupplyRequest, "parts_request": PartsRequest}


class BatchRejected(Exception):
    """At least one record is invalid: nothing is applied; ``errors`` lists every problem."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass(slots=True)
class Item:
    """The records of one (entity, key), merged in batch order."""

    entity: Entity
    key: str | int
    erp_id: str | None
    op: str
    index: int
    values: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)  # field -> index of the record that sent it, once merged
    invalid: set = field(default_factory=set)   # fields already reported as invalid


class Errors(list):
    def add(self, index, entity, erp_id, field_name, message):
        self.append({"index": index, "entity": entity, "erp_id": erp_id, "field": field_name,
                     "message": message})

    def about(self, item: Item, field_name: str | None, message: str):
        index = item.origin.get(field_name, item.index)
        self.add(index, item.entity.name, item.erp_id, field_name, message)


def ingest(records: list, *, actor_id: int | None) -> dict:
    """Validate and apply ``records``; returns the counts. Raises BatchRejected."""
    errors = Errors()
    items = _merge(records, errors)
    lookups = _Lookups(items)
    _check(items, lookups, errors)
    if errors:
        raise BatchRejected(sorted(errors, key=_error_order))
    applier = _Applier(items, lookups, actor_id)
    applier.run(errors)
    if errors:
        raise BatchRejected(sorted(errors, key=_error_order))
    return applier.counts


def _error_order(error):
    return (error["index"] if error["index"] is not None else -1, error["field"] or "")


# --- parsing ---------------------------------------------------------------------------------

def _merge(records: list, errors: Errors) -> dict[tuple, Item]:
    items: dict[tuple, Item] = {}
    coercer = _Coercer()
    for index, raw in enumerate(records):
        parsed = _parse(index, raw, coercer, errors)
        if parsed is None:
            continue
        entity, op, key, erp_id, values, invalid = parsed
        item = items.get((entity.name, key))
        if op == "delete" or item is None or item.op == "delete":
            items[(entity.name, key)] = Item(entity, key, erp_id, op, index, values, invalid=invalid)
            continue
        if not item.origin:  # a second record for the same row: remember who sent which field
            item.origin = dict.fromkeys(item.values, item.index)
        item.origin.update(dict.fromkeys(values, index))
        item.index, item.erp_id = index, erp_id or item.erp_id
        item.values.update(values)
        item.invalid.update(invalid)
    return items


def _parse(index, raw, coercer, errors: Errors):
    """(entity, op, key, erp_id, values, invalid fields), or None when the record has no usable
    entity, op or key. Every problem found is added to ``errors``."""
    if not isinstance(raw, dict):
        errors.add(index, None, None, None, _("Cada registro deve ser um objeto JSON."))
        return None
    entity = BY_NAME.get(raw.get("entity"))
    erp_id = raw.get("erp_id")
    if type(erp_id) is str:
        erp_id = erp_id.strip()
    elif isinstance(erp_id, int) and not isinstance(erp_id, bool):
        erp_id = str(erp_id)
    shown_id = erp_id if type(erp_id) is str else None
    if not raw.keys() <= RECORD_KEYS:
        for name in sorted(set(raw) - RECORD_KEYS):
            errors.add(index, entity.name if entity else None, shown_id, name, _("Campo desconhecido no registro."))
    if entity is None:
        errors.add(index, None, shown_id, "entity", _("Entidade desconhecida: %(name)s.", name=raw.get("entity")))
        return None
    usable = True
    op = raw.get("op")
    if op != "upsert" and (op != "delete" or not entity.deletable):
        usable = False
        errors.add(index, entity.name, shown_id, "op", _("Operação inválida: use upsert ou delete.")
                   if op not in OPS else _("Esta entidade não aceita delete; envie o novo status."))
    if erp_id is not None and shown_id is None or entity.key == "erp_id" and not erp_id:
        usable = False
        errors.add(index, entity.name, None, "erp_id", _("erp_id é obrigatório (texto)."))
    elif erp_id and len(erp_id) > MAX_KEY_LENGTH:
        usable = False
        errors.add(index, entity.name, None, "erp_id", _("Máximo de %(max)d caracteres.", max=MAX_KEY_LENGTH))
    values, invalid = {}, set()
    if op == "upsert":
        data = raw.get("data")
        if isinstance(data, dict):
            steps, texts = coercer.steps[entity.name], coercer.texts[entity.name]
            for name, value in data.items():
                rule = texts.get(name)
                if rule is not None and type(value) is str:  # the common case, inline
                    text = value.strip()
                    if text and len(text) <= rule:
                        values[name] = text
                        continue
                try:
                    step = steps.get(name)
                    if step is None:
                        raise ValueError(_("Campo desconhecido para esta entidade."))
                    values[name] = step(value)
                except ValueError as problem:
                    errors.add(index, entity.name, shown_id, name, str(problem))
                    invalid.add(name)
        else:
            usable = False
            errors.add(index, entity.name, shown_id, "data", _("data deve ser um objeto JSON."))
    key = erp_id
    if entity.key == "web_id" and op == "upsert":
        key = values.get("web_id")
        if key is None:
            usable = False
            if "web_id" not in invalid:
                errors.add(index, entity.name, shown_id, "web_id", _("Campo obrigatório."))
    return (entity, op, key, shown_id, values, invalid) if usable else None


def _whole(value) -> int | None:
    """A JSON integer (or a text of digits) that fits an INT column, else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**31:
        return None
    return value


def _text_key(value) -> str:
    return (value if type(value) is str else str(value)).strip()


class _Coercer:
    """Turns JSON values into column values, or raises ValueError with the pt-BR message."""

    def __init__(self):
        self.tz = ZoneInfo(current_app.config["PWS_TIMEZONE"])
        # entity -> field -> step(value): the column value, or ValueError
        self.steps = {entity.name: {spec.name: self._step(entity, spec) for spec in entity.fields}
                      for entity in BY_NAME.values()}
        # entity -> fields whose non-empty text has nothing to check but its length (texts and
        # erp_id references) -> that length
        self.texts = {entity.name: {spec.name: entity.max_length(spec) for spec in entity.fields
                                    if spec.kind == REF or spec.kind == TEXT and spec.name not in ("state", "email")}
                      for entity in BY_NAME.values()}

    def _step(self, entity: Entity, spec):
        convert, limit, many = getattr(self, f"_{spec.kind}"), entity.max_length(spec), spec.kind == REFS

        def step(value):
            if type(value) is str:
                value = value.strip()
                if not value and not many:
                    value = None
            if value is None:
                if spec.required:
                    raise ValueError(_("Campo obrigatório."))
                return [] if many else None
            return convert(spec, value, limit)

        return step

    def _text(self, spec, value, limit):
        if type(value) is not str:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(_("Deve ser um texto."))
            value = str(value)
        if limit and len(value) > limit:
            raise ValueError(_("Máximo de %(max)d caracteres.", max=limit))
        if spec.name == "state":
            return value.upper()
        if spec.name == "email" and "@" not in value:
            raise ValueError(_("E-mail inválido."))
        return value

    def _int(self, _spec, value, _limit):
        number = _whole(value)
        if number is None or number < 0:
            raise ValueError(_("Deve ser um número inteiro não negativo."))
        return number

    def _bool(self, _spec, value, _limit):
        if not isinstance(value, bool):
            raise ValueError(_("Deve ser true ou false."))
        return value

    def _date(self, _spec, value, _limit):
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(_("Data inválida: use AAAA-MM-DD."))
        return day

    def _datetime(self, _spec, value, _limit):
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            moment = moment.astimezone(UTC) if moment is not None else None
        except (ValueError, OverflowError):
            moment = None
        if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ValueError(_("Data e hora inválida: use ISO 8601, ex.: 2026-11-27T14:05:00-03:00."))
        return moment.replace(tzinfo=None, microsecond=0)

    def _decimal(self, _spec, value, _limit):
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise InvalidOperation
            number = Decimal(str(value).strip()).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise ValueError(_("Deve ser um número (ex.: 1234.56).")) from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValueError(_("Deve ser um número (ex.: 1234.56)."))
        return number

    def _choice(self, spec, value, _limit):
        if value not in spec.choices:
            raise ValueError(_("Valor inválido: %(value)s (aceitos: %(choices)s).",
                               value=value, choices=", ".join(spec.choices)))
        return value

    def _ref(self, _spec, value, _limit=None):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(_("Deve ser o erp_id (texto) do registro referenciado."))
        key = _text_key(value)
        if len(key) > MAX_KEY_LENGTH:
            raise ValueError(_("Máximo de %(max)d caracteres.", max=MAX_KEY_LENGTH))
        return key

    def _refs(self, spec, value, _limit):
        if not isinstance(value, list):
            raise ValueError(_("Deve ser uma lista de erp_id."))
        return list(dict.fromkeys(self._ref(spec, item) for item in value))

    def _web(self, _spec, value, _limit):
        number = _whole(value)
        if number is None or number <= 0:
            raise ValueError(_("Deve ser o número (id) do registro no portal."))
        return number


# --- what the database already holds ---------------------------------------------------------

EXTRA_COLUMNS = {
    "client": ("company_id",),
    "service_order": ("status", "priority_due", "priority_updated_at"),
}


class _Lookups:
    """One SELECT per entity of every key the batch sends or references."""

    def __init__(self, items: dict[tuple, Item]):
        self.upserted: dict[str, set] = {name: set() for name in BY_NAME}
        self.referenced: dict[str, set] = {name: set() for name in BY_NAME}  # keys other rows point to
        wanted: dict[str, set] = {name: set() for name in BY_NAME}
        web: dict[str, set] = {"service_order": set(), **{name: set() for name in WEB_ROWS}}
        for item in items.values():
            name = item.entity.name
            if item.entity.key == "erp_id":
                wanted[name].add(item.key)
            if item.op == "upsert":
                self.upserted[name].add(item.key)
            for spec in item.entity.references:
                value = item.values.get(spec.name)
                if not value:
                    continue
                if spec.kind == REF:
                    wanted[spec.target].add(value)
                    self.referenced[spec.target].add(value)
                elif spec.kind == REFS:
                    wanted[spec.target].update(value)
                    self.referenced[spec.target].update(value)
                else:
                    web[spec.target].add(value)
        self.rows: dict[str, dict] = {}
        for name, keys in wanted.items():
            entity = BY_NAME[name]
            if entity.key != "erp_id" or not keys:
                self.rows[name] = {}
                continue
            self.rows[name] = _rows_by_key(entity.table, ("erp_id", "id", *EXTRA_COLUMNS.get(name, ())), keys)
        calls = ServiceCall.__table__
        self.web_calls = {row.id: row for row in db.session.execute(
            select(calls.c.id, calls.c.erp_id, calls.c.status, calls.c.priority_due,
                   calls.c.priority_updated_at).where(calls.c.id.in_(web["service_order"]))
        )} if web["service_order"] else {}
        self.web_rows = {name: set(db.session.execute(
            select(model.id).where(model.id.in_(web[name]))).scalars()) if web[name] else set()
            for name, model in WEB_ROWS.items()}

    def known(self, entity_name: str, key) -> bool:
        return key in self.upserted[entity_name] or key in self.rows[entity_name]


def _rows_by_key(table, names: tuple[str, ...], keys: set) -> dict:
    """{erp_id: row} of the rows with these erp_ids, in one SELECT. On MariaDB the rows come
    back as one JSON array straight through the session's DB-API cursor: PyMySQL decodes a
    5,000-row result in Python, which costs more than the query."""
    bind = db.session.get_bind()
    if bind.dialect.name != "mysql":
        found = db.session.execute(select(*(table.c[n] for n in names)).where(table.c.erp_id.in_(keys)))
        return {row.erp_id: row for row in found}
    make = _row_type(names)._make
    moments = [i for i, n in enumerate(names) if isinstance(table.c[n].type, DateTime)]
    # MariaDB caps an aggregate's text at group_concat_max_len (1 MB by default)
    limit = "SET STATEMENT group_concat_max_len = 1073741824 FOR " if bind.dialect.is_mariadb else ""
    with _driver_cursor() as cursor:
        cursor.execute(f"{limit}SELECT JSON_ARRAYAGG(JSON_ARRAY({', '.join(f'`{n}`' for n in names)})) "  # nosec B608  # names from the table, values escaped by PyMySQL
                       f"FROM `{table.name}` WHERE `erp_id` IN ({', '.join(['%s'] * len(keys))})", list(keys))
        found = json.loads(cursor.fetchone()[0] or "[]")
    for row in found if moments else ():
        for i in moments:  # JSON gives DATETIME as text
            row[i] = row[i] and datetime.fromisoformat(row[i])
    return {row[0]: make(row) for row in found}


@lru_cache
def _row_type(names: tuple[str, ...]):
    return namedtuple("KnownRow", names)


def _check(items: dict[tuple, Item], lookups: _Lookups, errors: Errors) -> None:
    for item in items.values():
        if item.op != "upsert":
            continue
        entity = item.entity
        exists = item.key in lookups.rows.get(entity.name, {})
        if entity.name == "service_order" and item.values.get("web_id") is not None:
            exists = _check_call_link(item, lookups, errors) or exists
        if entity.name in WEB_ROWS:
            exists = True
        if not exists:
            for spec in entity.fields:
                if spec.required and item.values.get(spec.name) is None and spec.name not in item.invalid:
                    errors.about(item, spec.name, _("Campo obrigatório para incluir o registro."))
        for spec in entity.references:
            name, value = spec.name, item.values.get(spec.name)
            if not value:
                continue
            if spec.kind == REF:
                if spec.target == entity.name and value == item.key:
                    errors.about(item, name, _("Um registro não pode referenciar a si mesmo."))
                elif not lookups.known(spec.target, value):
                    errors.about(item, name, _("%(entity)s %(key)s não existe no portal nem neste lote.",
                                               entity=spec.target, key=value))
            elif spec.kind == REFS:
                missing = [key for key in value if not lookups.known(spec.target, key)]
                if missing:
                    errors.about(item, name, _("%(entity)s não existe no portal nem neste lote: %(keys)s.",
                                               entity=spec.target, keys=", ".join(missing)))
            elif spec.target == "supply_request" and value not in lookups.web_rows[spec.target]:
                errors.about(item, name, _("Solicitação de suprimentos %(id)s não existe no portal.", id=value))
            elif spec.target == "parts_request" and value not in lookups.web_rows[spec.target]:
                errors.about(item, name, _("Solicitação de peças %(id)s não existe no portal.", id=value))


def _check_call_link(item: Item, lookups: _Lookups, errors: Errors) -> bool:
    """A service_order with web_id names a call opened in the portal; True when linkable."""
    web_id = item.values["web_id"]
    call = lookups.web_calls.get(web_id)
    holder = lookups.rows["service_order"].get(item.key)
    if call is None:
        errors.about(item, "web_id", _("Chamado %(id)s não existe no portal.", id=web_id))
    elif call.erp_id not in (None, item.key):
        errors.about(item, "web_id", _("O chamado %(id)s já está vinculado à OS %(erp)s.",
                                       id=web_id, erp=call.erp_id))
    elif holder is not None and holder.id != web_id:
        errors.about(item, "web_id", _("A OS %(erp)s já está vinculada ao chamado %(id)s.",
                                       erp=item.key, id=holder.id))
    else:
        return True
    return False


# --- writing ---------------------------------------------------------------------------------

class _Applier:
    def __init__(self, items: dict[tuple, Item], lookups: _Lookups, actor_id: int | None):
        self.lookups = lookups
        self.actor_id = actor_id
        self.actor = replace(SYSTEM, user_id=actor_id)  # the ERP: any move, recorded as its user
        self.now = utcnow()
        self.counts = {"created": 0, "updated": 0, "deleted": 0}
        self.by_entity: dict[str, list[Item]] = {name: [] for name in APPLY_ORDER}
        for item in items.values():
            self.by_entity[item.entity.name].append(item)
        self.ids = {name: {key: row.id for key, row in rows.items()} for name, rows in lookups.rows.items()}
        self.client_company = {key: row.company_id for key, row in lookups.rows["client"].items()}
        self.dialect = db.session.get_bind().dialect.name

    def run(self, errors: Errors) -> None:
        for name in APPLY_ORDER:
            items = self.by_entity[name]
            if not items:
                continue
            if name == "supply_request":
                self._supply_requests(items, errors)
                continue
            if name == "parts_request":
                self._parts_requests(items, errors)
                continue
            if name == "service_order":
                self._link_calls(items)
            self._upsert(BY_NAME[name], [i for i in items if i.op == "upsert"], errors)
            self._deactivate(BY_NAME[name], [i for i in items if i.op == "delete"])

    # generic ERP-owned rows
    def _upsert(self, entity: Entity, items: list[Item], errors: Errors) -> None:
        if not items:
            return
        table, name = entity.table, entity.name
        known = self.lookups.rows[name]
        full, partial, created, parents, moved = [], [], [], [], []
        required = {spec.name for spec in entity.fields if spec.required}
        for item in items:
            row, before = self._row(entity, item, parents), known.get(item.key)
            if name == "client" and "company_id" in row:
                if before is not None and before.company_id != row["company_id"]:
                    moved.append({"b_client": before.id, "company_id": row["company_id"]})
                self.client_company[item.key] = row["company_id"]
            if before is None:
                row["created_at"] = self.now
                created.append(row)
                continue
            if name == "service_order":
                self._deadline(row, before)
            if item.values.keys() >= required:  # all sent: a null one would have refused the batch
                row["created_at"] = self.now  # ignored: the row exists
                full.append(row)
            else:
                row["b_id"] = before.id
                partial.append(row)
        if full or created:
            self._upsert_rows(table, full + created, CREATE_ONLY.get(name, ()))
        if partial:
            excluded = set(CREATE_ONLY.get(name, ()))
            self._update_rows(table, [{k: v for k, v in r.items() if k not in excluded} for r in partial])
        if created and (self.lookups.referenced[name] or parents or name in MODEL_LINKS):
            new_keys = [row["erp_id"] for row in created]
            found = db.session.execute(
                select(table.c.erp_id, table.c.id).where(table.c.erp_id.in_(new_keys))).all()
            self.ids[name].update({key: pk for key, pk in found})
        self.counts["created"] += len(created)
        self.counts["updated"] += len(full) + len(partial)
        if parents:
            self._update_rows(table, [{"b_id": self.ids[name][key], "parent_id": self.ids[name][parent]}
                                      for key, parent in parents])
        if moved:
            equipment = Equipment.__table__
            db.session.execute(update(equipment).where(equipment.c.client_id == bindparam("b_client")), moved)
        if name in MODEL_LINKS:
            self._compatible_models(name, items)
        if name == "service_order":
            self._call_statuses(items, errors)
            written = select(table.c.id).where(table.c.erp_id.in_([item.key for item in items]))
            outcomes.mark(db.session, db.session.execute(written).scalars())
            if created:
                self._tell_opened([row["erp_id"] for row in created])

    def _row(self, entity: Entity, item: Item, parents: list) -> dict:
        """Column values of one row: data fields keep their names, references become ids."""
        row = dict(item.values)
        for spec in entity.references:
            if spec.name not in row:
                continue
            value = row.pop(spec.name)
            if spec.kind != REF:
                if spec.column is not None:
                    row[spec.column] = value
            elif value is None:
                row[spec.column] = None
            elif spec.target == entity.name and value not in self.ids[entity.name]:
                parents.append((item.key, value))  # a parent created in this batch
            else:
                row[spec.column] = self.ids[spec.target][value]
        row["erp_id"], row["updated_at"] = item.key, self.now
        if entity.has_active:
            row.setdefault("active", True)
        if entity.name == "equipment" and "client_erp_id" in item.values:
            row["company_id"] = self.client_company[item.values["client_erp_id"]]
        if entity.name == "service_order" and item.key not in self.lookups.rows["service_order"]:
            row["opened_by_id"] = self.actor_id
        return row

    def _deadline(self, row: dict, before) -> None:
        """A new prazo marks the call as "prioridade atualizada"."""
        if "priority_due" in row:
            changed = row["priority_due"] != before.priority_due
            row["priority_updated_at"] = self.now if changed else before.priority_updated_at

    def _upsert_rows(self, table, rows: list[dict], create_only=()) -> None:
        for columns, group in _groups(rows):
            updated = [c for c in columns if c not in ("erp_id", "created_at", *create_only)]
            if self.dialect == "mysql":
                _mysql_upsert(table, columns, updated, group)
                continue
            stmt = (sqlite_insert if self.dialect == "sqlite" else postgresql_insert)(table)
            stmt = stmt.on_conflict_do_update(index_elements=[table.c.erp_id],
                                              set_={c: stmt.excluded[c] for c in updated})
            db.session.execute(stmt, group)

    @staticmethod
    def _update_rows(table, rows: list[dict]) -> None:
        for _columns, group in _groups(rows):
            db.session.execute(update(table).where(table.c.id == bindparam("b_id")), group)

    def _deactivate(self, entity: Entity, items: list[Item]) -> None:
        """delete = inactive: history (calls, invoices) keeps pointing at the row."""
        pks = [self.ids[entity.name][i.key] for i in items if i.key in self.ids[entity.name]]
        if pks:
            table = entity.table
            db.session.execute(update(table).where(table.c.id.in_(pks)).values(active=False, updated_at=self.now))
        self.counts["deleted"] += len(pks)

    def _compatible_models(self, name: str, items: list[Item]) -> None:
        sent = [i for i in items if "model_erp_ids" in i.values]
        if not sent:
            return
        table, column = MODEL_LINKS[name]
        item_ids = [self.ids[name][i.key] for i in sent]
        db.session.execute(delete(table).where(table.c[column].in_(item_ids)))
        pairs = [{column: self.ids[name][i.key], "equipment_model_id": self.ids["equipment_model"][key]}
                 for i in sent for key in i.values["model_erp_ids"]]
        if pairs:
            db.session.execute(insert(table), pairs)

    # calls and supply requests: through the domain services
    def _link_calls(self, items: list[Item]) -> None:
        """Give a call opened in the portal its ERP number before the upsert finds it by erp_id."""
        links = []
        for item in items:
            call = self.lookups.web_calls.get(item.values.get("web_id"))
            if item.op == "upsert" and call is not None and item.key not in self.lookups.rows["service_order"]:
                self.lookups.rows["service_order"][item.key] = call
                self.ids["service_order"][item.key] = call.id
                if call.erp_id is None:
                    links.append({"b_id": call.id, "erp_id": item.key})
        if links:
            self._update_rows(ServiceCall.__table__, links)

    def _tell_opened(self, keys: list) -> None:
        """Calls opened in the ERP send the same "Abertura de chamado" e-mails as portal calls."""
        for call in db.session.execute(select(ServiceCall).where(ServiceCall.erp_id.in_(keys))).scalars():
            tell_call_opened(call)

    def _call_statuses(self, items: list[Item], errors: Errors) -> None:
        known = self.lookups.rows["service_order"]
        moves = {known[i.key].id: i for i in items
                 if i.key in known and "status" in i.values and i.values["status"] != known[i.key].status}
        if not moves:
            return
        calls = db.session.execute(select(ServiceCall).where(ServiceCall.id.in_(moves))).scalars()
        for call in calls:
            item = moves[call.id]
            try:
                change_status(call, item.values["status"], actor=self.actor, source="erp")
            except TransitionError as problem:
                errors.about(item, "status", str(problem))

    def _supply_requests(self, items: list[Item], errors: Errors) -> None:
        requests = {r.id: r for r in db.session.execute(
            select(SupplyRequest).where(SupplyRequest.id.in_([i.key for i in items]))).scalars()}
        for item in items:
            changes = {}
            for field_name, value in item.values.items():
                spec = item.entity.field(field_name)
                if spec.kind == REF:
                    changes[spec.column] = self.ids["carrier"][value] if value is not None else None
                elif spec.column is not None:
                    changes[spec.column] = value
            try:
                update_supply_request(requests[item.key], source="erp", **changes)
            except SupplyError as problem:
                errors.about(item, None, str(problem))
        self.counts["updated"] += len(items)


    def _parts_requests(self, items: list[Item], errors: Errors) -> None:
        requests = {r.id: r for r in db.session.execute(
            select(PartsRequest).where(PartsRequest.id.in_([i.key for i in items]))).scalars()}
        for item in items:
            if "state" in item.values:
                try:
                    parts.advance(requests[item.key], item.values["state"], actor=self.actor, source="erp")
                except parts.PartsError as problem:
                    errors.about(item, "state", str(problem))
        self.counts["updated"] += len(items)


def _mysql_upsert(table, columns: tuple, updated: list, rows: list[dict]) -> None:
    """INSERT … ON DUPLICATE KEY UPDATE through the DB-API connection of the session's
    transaction, as multi-row statements of at most the size PyMySQL's executemany sends.

    The VALUES are written column by column: a column of texts is escaped in one pass over all
    its values, and a value repeated down a column (the timestamps, the company) is escaped once.
    PyMySQL's executemany escapes value by value, which costs more than running the statement."""
    defaults = {c.name: c.default.arg for c in table.columns
                if c.name not in columns and c.default is not None and c.default.is_scalar}
    names = (*columns, *defaults)
    with _driver_cursor() as cursor:
        connection = cursor.connection
        literals = [_literals(connection, [row[c] for row in rows]) for c in columns]
        literals += [[connection.escape(value)] * len(rows) for value in defaults.values()]
        head = f"INSERT INTO `{table.name}` ({', '.join(f'`{n}`' for n in names)}) VALUES "  # nosec B608  # names from the table, values escaped by PyMySQL
        tail = " ON DUPLICATE KEY UPDATE " + ", ".join(f"`{c}` = VALUES(`{c}`)" for c in updated)
        tuples = [f"({values})".encode(connection.encoding) for values in map(",".join, zip(*literals))]
        for statement in _statements(head.encode(), tail.encode(), tuples, cursor.max_stmt_length):
            cursor.execute(statement)  # no parameters: PyMySQL sends the bytes as they are


@contextmanager
def _driver_cursor():
    """The DB-API cursor of the session's transaction, for the statements sent past SQLAlchemy
    for speed. A driver error is handled as SQLAlchemy handles its own: a lost connection is
    invalidated (the pool opens a new one) and the error becomes SQLAlchemy's, which
    is_unavailable (503: the ERP resends) and is_conflict (the batch runs again) know."""
    session_connection = db.session.connection()
    dialect = session_connection.dialect
    cursor = session_connection.connection.cursor()
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, session_connection.connection, cursor)
        if lost:
            session_connection.invalidate(error)
        raise DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=dialect) from error
    finally:
        cursor.close()


# No text that can be stored contains a lone surrogate (it has no UTF-8 form).
_SEPARATOR = "\udfff"


def _literals(connection, values: list) -> list[str]:
    """The SQL literals of one column, escaped by PyMySQL: a column of texts in one call, as
    one joined string split again (its escaping maps each character on its own)."""
    if set(map(type, values)) == {str}:
        joined = _SEPARATOR.join(values)
        if joined.count(_SEPARATOR) == len(values) - 1:
            return connection.escape(joined).replace(_SEPARATOR, f"'{_SEPARATOR}'").split(_SEPARATOR)
    escaped = {value: connection.escape(value) for value in set(values)}
    return [escaped[value] for value in values]


def _statements(head: bytes, tail: bytes, tuples: list[bytes], limit: int):
    """head + tuples joined by commas + tail, split into statements of at most ``limit`` bytes."""
    start, size = 0, len(head) + len(tail)
    for index, part in enumerate(tuples):
        if index > start and size + len(part) + 1 > limit:
            yield head + b",".join(tuples[start:index]) + tail
            start, size = index, len(head) + len(tail)
        size += len(part) + 1
    yield head + b",".join(tuples[start:]) + tail


def _groups(rows: list[dict]):
    """executemany needs one column set per statement: group rows by theirs."""
    groups: dict[frozenset, list[dict]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    return [(tuple(sorted(columns)), group) for columns, group in groups.items()]
