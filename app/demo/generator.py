"""The demo dealer and its history, generated from one seeded random.

Master data first (companies, clients, contracts, models, supplies, equipment, defects,
technicians, carriers), then users, then the history in chunks: calls with their status
history, pre-service messages and app attendances; supply requests with items, invoices and
deliveries; billing files and contact messages. Every row stays inside one scope: a call's
company is its client's, its equipment belongs to that client, its technician works for that
company, its opener is linked to that client.
"""
import hashlib
import io
import math
import os
import random
import unicodedata
import uuid
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from flask import current_app

from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.billing.models import BillingDownload, BillingFile
from app.billing.services import STORAGE_AREA as BILLING_STORAGE_AREA
from app.accounts.models import ConsentDocument
from app.calls import sla as clock
from app.calls.models import CallStatusChange, Holiday, PreServiceMessage, ServiceCall
from app.catalog.models import (
    Carrier, Client, Company, Contract, DefectType, Equipment, EquipmentModel, Part, SupplyItem,
    Technician, supply_item_model,
)
from app.contact.models import ContactMessage
from app.core.br import cnpj_check_digits, cpf_check_digits, format_cnpj, format_cpf
from app.core.timefmt import to_naive_utc
from app.deliveries.models import Delivery, Invoice
from app.demo import data
from app.demo.users import UserSpec
from app.field.models import Attendance, AttendanceEvent, Survey, TrackPoint
from app.supplies.models import SupplyRequest, SupplyRequestItem, SupplyStatus

SEED = 20161005
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
ERP_CALL_BASE = 100000
MASTER = "id erp_id active created_at updated_at"


@dataclass(frozen=True)
class Scale:
    name: str
    calls: int
    supply_requests: int
    equipment: int
    clients: int
    users: int
    months: int

    @property
    def technicians(self) -> int:
        return max(6, min(150, self.clients // 300))

    @property
    def carriers(self) -> int:
        return max(4, min(len(data.CARRIERS), self.clients // 5000))

    @property
    def app_months(self) -> int:
        """The technicians' app has been in use for the last year of history."""
        return min(12, self.months)


SCALES = {
    "small": Scale("small", calls=1_500, supply_requests=600, equipment=150, clients=40,
                   users=24, months=12),
    "medium": Scale("medium", calls=15_000, supply_requests=6_000, equipment=1_500, clients=400,
                    users=60, months=36),
    "large": Scale("large", calls=1_000_000, supply_requests=500_000, equipment=100_000,
                   clients=50_000, users=300, months=120),
}


def scale_for_calls(calls: int) -> Scale:
    """Everything in proportion to the number of calls, as in the large scale."""
    return Scale(
        name=str(calls), calls=calls, supply_requests=calls // 2,
        equipment=max(150, calls // 10), clients=max(40, calls // 20),
        users=max(20, min(300, 10 + calls * 290 // 1_000_000)),
        months=max(12, min(120, round(120 * math.sqrt(calls / 1_000_000)))),
    )


def _weighted(pairs):
    """(values, cumulative weights) for fast weighted choice with bisect."""
    values, weights = zip(*pairs)
    return values, list(accumulate(weights))


# Final call status by age of the call (days): recent calls are open, old ones closed.
CALL_STATUS_BY_AGE = (
    (2, _weighted([("A", 45), ("E", 25), ("M", 15), ("P", 5), ("C", 5), ("T", 5)])),
    (15, _weighted([("A", 10), ("E", 15), ("M", 15), ("P", 12), ("L", 8), ("S", 5), ("O", 20),
                    ("T", 10), ("C", 5)])),
    (60, _weighted([("P", 4), ("L", 2), ("S", 1), ("O", 60), ("T", 23), ("C", 10)])),
    (None, _weighted([("O", 65), ("T", 24), ("C", 11)])),
)
# The statuses a call went through to reach its final one (weighted), and how many hours
# each step takes.
CALL_PATHS = {
    "A": [(("A",), 1)],
    "E": [(("A", "E"), 1)],
    "M": [(("A", "E", "M"), 1)],
    "P": [(("A", "E", "M", "P"), 1)],
    "L": [(("A", "E", "M", "L"), 1)],
    "S": [(("A", "E", "M", "L", "S"), 1)],
    "O": [(("A", "E", "M", "O"), 70), (("A", "E", "M", "P", "M", "O"), 20),
          (("A", "E", "M", "L", "S", "M", "O"), 10)],
    "T": [(("A", "E", "T"), 50), (("A", "E", "M", "T"), 50)],
    "C": [(("A", "C"), 70), (("A", "E", "C"), 30)],
}
CALL_PATHS = {status: _weighted(paths) for status, paths in CALL_PATHS.items()}
STEP_HOURS = {  # (from, to): (min, max) hours
    ("A", "E"): (0.3, 8), ("E", "M"): (1, 30), ("M", "P"): (0.5, 3), ("M", "L"): (0.5, 3),
    ("L", "S"): (2, 48), ("S", "M"): (24, 120), ("P", "M"): (24, 96), ("M", "O"): (0.5, 4),
    ("M", "T"): (0.5, 4), ("E", "T"): (0.5, 6), ("A", "C"): (1, 48), ("E", "C"): (1, 24),
}
CLOSED = ("O", "T", "C")
# Where clients and technicians are: matriz (SC), filial Curitiba, filial São Paulo.
REGION_WEIGHTS = _weighted([(0, 45), (1, 25), (2, 30)])

SURVEY_RATINGS = _weighted([(5, 55), (4, 25), (3, 10), (2, 5), (1, 5)])
SUPPLY_STATUS_BY_AGE = (
    (3, _weighted([(SupplyStatus.PENDING, 60), (SupplyStatus.CONTROL, 25),
                   (SupplyStatus.OUT_OF_STOCK, 10), (SupplyStatus.CANCELLED, 5)])),
    (15, _weighted([(SupplyStatus.PENDING, 10), (SupplyStatus.CONTROL, 15),
                    (SupplyStatus.OUT_OF_STOCK, 5), (SupplyStatus.INVOICED, 45),
                    (SupplyStatus.DELIVERED, 20), (SupplyStatus.CANCELLED, 5)])),
    (None, _weighted([(SupplyStatus.DELIVERED, 85), (SupplyStatus.INVOICED, 3),
                      (SupplyStatus.CANCELLED, 12)])),
)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _title(text: str) -> str:
    return " ".join(word.capitalize() if len(word) > 2 else word.lower() for word in text.split())


class ClientInfo:
    __slots__ = ("id", "company", "city", "name", "contact", "phone", "email", "cnpj", "sector",
                 "users", "supply_users", "contracts")

    def __init__(self, **kw):
        for key, value in kw.items():
            setattr(self, key, value)
        self.users = []          # client-side users who open calls for this client
        self.supply_users = []   # ... and those who may also request supplies
        self.contracts = []


class DemoGenerator:
    """Generates and writes the demo; ``run()`` returns the users it created."""

    def __init__(self, scale: Scale, writer, now: datetime, storage_dir: str, progress=None):
        self.scale = scale
        self.writer = writer
        self.now = now
        self.start = now - timedelta(days=round(scale.months * 30.44))
        self.storage_dir = storage_dir
        self.progress = progress or (lambda done: None)
        self.rng = random.Random(SEED)  # nosec B311  # demo data, seeded to be reproducible
        self._roots: set[str] = set()
        # The dealer's hours (no company calendar of its own: 08–18, Monday to Friday) and the
        # national holidays of every year the history covers, this one and the next.
        self.holidays = [holiday for year in range(self.start.year, now.year + 2)
                         for holiday in data.national_holidays(year)]
        self.calendar = clock.Calendar(tz=ZoneInfo(current_app.config["PWS_TIMEZONE"]),
                                       holidays=frozenset(day for day, _name in self.holidays))

    # ----------------------------------------------------------------- helpers
    def pick(self, weighted):
        values, cumulative = weighted
        return values[bisect(cumulative, self.rng.random() * cumulative[-1])]

    def cnpj(self, order: int = 1, root: str | None = None) -> tuple[str, str]:
        """(formatted CNPJ, root): a fresh root unless a filial of ``root`` is asked for."""
        while root is None:
            candidate = f"{self.rng.randrange(1, 10 ** 8):08d}"
            if candidate not in self._roots:
                self._roots.add(candidate)
                root = candidate
        body = f"{root}{order:04d}"
        return format_cnpj(body + cnpj_check_digits(body)), root

    def cpf(self) -> str:
        body = f"{self.rng.randrange(1, 10 ** 9):09d}"
        return format_cpf(body + cpf_check_digits(body))

    def person(self) -> tuple[str, str]:
        first = self.rng.choice(data.FIRST_NAMES)
        last = self.rng.choice(data.SURNAMES)
        return f"{first} {last}", f"{_slug(first)}.{_slug(last)}"

    def phone(self, city: data.City, mobile: bool = False) -> str:
        rng = self.rng
        prefix = f"9{rng.randrange(8000, 10000)}" if mobile else f"3{rng.randrange(100, 1000)}"
        return f"({city.ddd}) {prefix}-{rng.randrange(10000):04d}"

    def cep(self, city: data.City) -> str:
        low, high = city.cep_range
        return f"{self.rng.randint(low, high):05d}-{self.rng.randrange(1000):03d}"

    def past(self, max_days: float, min_days: float = 0) -> datetime:
        """A moment before the history starts (when master data was registered)."""
        moment = self.start - timedelta(days=self.rng.uniform(min_days, max_days))
        return moment.replace(microsecond=0)

    def moment(self, i: int, n: int) -> datetime:
        """The i-th of n moments over the history, denser towards now (the dealer grew),
        stratified so ids follow time, on weekdays in business hours (08–18 in Brasília)."""
        u = (i + self.rng.random()) / n
        p = -1 + math.sqrt(1 + 3 * u)  # inverse of the CDF of a density growing from 1 to 2
        day = self.start + (self.now - self.start) * p
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        moment = day.replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(
            seconds=self.rng.randrange(10 * 3600))
        return self.open_hours(moment)

    def open_hours(self, moment: datetime) -> datetime:
        """The moment itself when the dealer is open then (business hours, not a holiday);
        otherwise a little after the next opening, as the staff starts the day, or, when that
        is still to come, a little before the last closing (the demo ends at the load)."""
        if clock.business_time_between(moment, moment + MINUTE, self.calendar) == MINUTE:
            if moment < self.now:
                return moment
        else:
            later = clock.add_business_time(moment, timedelta(minutes=self.rng.randint(5, 90)), self.calendar)
            if later < self.now:
                return later.replace(microsecond=0)
        local = min(moment, self.now - MINUTE).replace(tzinfo=UTC).astimezone(self.calendar.tz)
        day = local.date()
        for _ in range(clock.MAX_DAYS_SCANNED):
            window = self.calendar.window(day)
            if window is not None and window[0] < local:
                end = min(local, window[1]) - timedelta(minutes=self.rng.randint(5, 60))
                return to_naive_utc(max(end, window[0])).replace(microsecond=0)
            day -= timedelta(days=1)
        return moment

    def status_by_age(self, table, when: datetime):
        age = (self.now - when).days
        for limit, weighted in table:
            if limit is None or age < limit:
                return self.pick(weighted)

    # ----------------------------------------------------------------- run
    def run(self) -> list[UserSpec]:
        from app.demo.users import create_users

        self.companies()
        self.calendar_and_documents()
        self.clients()
        self.contracts()
        self.models_and_supplies()
        self.equipment()
        self.defects()
        self.technicians()
        self.carriers()
        self.writer.flush()
        self.users = self.user_specs()
        create_users(self.users)
        self.link_users()
        self.calls()
        self.supply_requests()
        self.other_invoices()
        self.billing_files()
        self.contact_messages()
        self.writer.flush()
        return self.users

    # ----------------------------------------------------------------- master data
    def calendar_and_documents(self):
        """Every company's holidays, and the LGPD documents the first login asks to confirm."""
        holidays = self.writer.table(Holiday, "id company_id day name")
        for day, name in self.holidays:
            holidays.append((holidays.new_id(), None, day, name))
        documents = self.writer.table(ConsentDocument, "id kind version title body published_at")
        published = self.past(60, 30)
        for kind, title, body in data.LGPD_DOCUMENTS:
            documents.append((documents.new_id(), kind, 1, title, body, published))

    def companies(self):
        table = self.writer.table(Company, f"{MASTER} name trade_name cnpj parent_id city state")
        self.company_ids, self.company_regions = [], []
        root = None
        created = self.past(900, 600)
        for order, (trade_name, region) in enumerate(data.DEALER["companies"], start=1):
            pk = table.new_id()
            cnpj, root = self.cnpj(order, root)
            seat = data.REGIONS[region][0]
            table.append((pk, str(order), True, created, created, data.DEALER["name"], trade_name,
                          cnpj, self.company_ids[0] if self.company_ids else None, seat.name,
                          seat.state))
            self.company_ids.append(pk)
            self.company_regions.append(region)

    def clients(self):
        table = self.writer.table(
            Client, f"{MASTER} company_id parent_id name trade_name cnpj_cpf address district zip "
                    "city state contact_name phone email")
        self.client_table = table
        self.client_list: list[ClientInfo] = []
        self.groups: list[list[ClientInfo]] = []
        names: set[tuple[str, str]] = set()
        # The group every printed client-side login belongs to: a matriz and two filiais,
        # one of them served by another company of the dealer.
        first = [(0, data.REGIONS["SC"][0]), (0, data.REGIONS["SC"][3]), (1, data.REGIONS["PR"][0])]
        sector = next(s for s in data.SECTORS if s[1] == "ALIMENTOS")
        self.group(sector, "BOA VISTA", "LTDA", first)
        names.add((sector[0], "BOA VISTA"))
        while len(self.client_list) < self.scale.clients:
            roll = self.rng.random()
            company = self.pick(REGION_WEIGHTS)
            city = self.rng.choice(data.REGIONS[self.company_regions[company]])
            if roll < 0.05:
                self.person_client(company, city)
                continue
            sector = self.rng.choice(data.SECTORS)
            while True:
                words = data.BRAND_WORDS if self.rng.random() < 0.4 else data.SURNAMES
                word = self.rng.choice(words)
                if self.rng.random() < 0.5:
                    word = f"{word} & {self.rng.choice(data.SURNAMES)}"
                if (sector[0], word) not in names:
                    names.add((sector[0], word))
                    break
            members = [(company, city)]
            if roll < 0.25:
                for _ in range(self.rng.randint(1, 3)):
                    other = company if self.rng.random() < 0.7 else self.pick(REGION_WEIGHTS)
                    region = data.REGIONS[self.company_regions[other]]
                    members.append((other, self.rng.choice(region)))
            self.group(sector, word, self.rng.choice(data.LEGAL_SUFFIXES), members)

    def group(self, sector, word, suffix, members):
        """A client matriz and its filiais: same razão social and CNPJ root, one row each."""
        name = f"{sector[0]} {word} {suffix}"
        root, parent, group = None, None, []
        for order, (company, city) in enumerate(members, start=1):
            cnpj, root = self.cnpj(order, root)
            trade = f"{sector[1]} {word}"
            if order > 1:
                trade += f" - {city.name.upper()}"
            info = self.add_client(company, city, name, trade, cnpj, parent, sector)
            parent = parent or info.id
            group.append(info)
        self.groups.append(group)

    def person_client(self, company, city):
        name, _ = self.person()
        info = self.add_client(company, city, name, f"CONSULTORIO {name}", self.cpf(), None,
                               ("CONSULTORIO", "CONSULTORIO", ("RECEPCAO",)))
        self.groups.append([info])

    def add_client(self, company, city, name, trade, document, parent, sector) -> ClientInfo:
        rng = self.rng
        pk = self.client_table.new_id()
        contact, handle = self.person()
        domain = f"{_slug(trade.split(' - ')[0])[:30]}.example"
        email = f"{handle}@{domain}"
        address = (f"{rng.choice(data.STREETS)}, {rng.randint(10, 4000)}"
                   f"{rng.choice(data.ADDRESS_COMPLEMENTS)}")
        created = self.past(700)
        self.client_table.append((
            pk, str(1000 + len(self.client_list)), len(self.client_list) < 3 or rng.random() > 0.02,
            created, created,
            self.company_ids[company], parent, name, trade, document, address,
            rng.choice(city.districts), self.cep(city), city.name, city.state, contact,
            self.phone(city), email))
        info = ClientInfo(id=pk, company=company, city=city, name=trade, contact=contact,
                          phone=self.phone(city, mobile=True), email=email, cnpj=document,
                          sector=sector)
        self.client_list.append(info)
        return info

    def contracts(self):
        table = self.writer.table(
            Contract, f"{MASTER} company_id client_id number starts_on ends_on sla_hours")
        sla_choices = (4, 6, 8, 8, 12, 24, 48)
        for client in self.client_list:
            roll = self.rng.random()
            count = 0 if roll < 0.15 else 2 if roll > 0.9 else 1
            if client is self.client_list[0]:
                count = 1
            for _ in range(count):
                pk = table.new_id()
                starts = (self.start - timedelta(days=self.rng.randrange(0, 720))).date()
                ends = starts + timedelta(days=365 * self.rng.choice((3, 3, 5, 10)))
                sla = self.rng.choice(sla_choices)
                created = datetime.combine(starts, datetime.min.time()) + 12 * HOUR
                table.append((pk, f"CT{pk}", ends >= self.now.date(), created, created,
                              self.company_ids[client.company], client.id,
                              f"{starts.year}/{pk:06d}", starts, ends, sla))
                client.contracts.append((pk, sla))

    def models_and_supplies(self):
        models = self.writer.table(EquipmentModel, f"{MASTER} name manufacturer")
        items = self.writer.table(SupplyItem, f"{MASTER} name page_yield")
        links = self.writer.table(supply_item_model, "supply_item_id equipment_model_id")
        created = self.past(900, 800)
        self.supply_ids = {}
        for key, (name, page_yield) in data.SUPPLY_ITEMS.items():
            pk = items.new_id()
            items.append((pk, key, True, created, created, name, page_yield))
            self.supply_ids[key] = pk
        self.model_ids = []
        for spec in data.MODELS:
            pk = models.new_id()
            models.append((pk, f"M{pk:04d}", True, created, created, spec.name, spec.maker))
            self.model_ids.append(pk)
            for key in spec.supplies:
                links.append((self.supply_ids[key], pk))
        self.model_weights = _weighted([(i, spec.weight) for i, spec in enumerate(data.MODELS)])
        # The ERP's parts list, for any model: what the technicians may request for a call.
        parts = self.writer.table(Part, f"{MASTER} name code")
        for code, name in data.PARTS:
            parts.append((parts.new_id(), f"P-{code}", True, created, created, name, code))

    def serial(self, pattern: str) -> str:
        rng = self.rng
        return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if ch == "A" else
                       str(rng.randrange(10)) if ch == "9" else ch for ch in pattern)

    def equipment(self):
        table = self.writer.table(
            Equipment, f"{MASTER} serial asset_tag model_id company_id client_id contract_id "
                       "department location city state")
        rng = self.rng
        clients = self.client_list
        # Each client has at least one; bigger ones (a heavy-tailed weight) have more.
        owners = list(range(len(clients)))
        owners += [0, 1, 2] * 3  # the printed client group is a well-equipped customer
        weights = list(accumulate(rng.paretovariate(1.3) for _ in clients))
        while len(owners) < self.scale.equipment:
            owners.append(bisect(weights, rng.random() * weights[-1]))
        owners.sort()
        serials: set[str] = set()
        self.equipment_rows = []
        for owner in owners:
            client = clients[owner]
            model = self.pick(self.model_weights)
            serial = self.serial(data.MODELS[model].serial)
            while serial in serials:
                serial = self.serial(data.MODELS[model].serial)
            serials.add(serial)
            on_contract = client.contracts and rng.random() < 0.9
            contract_id, sla = rng.choice(client.contracts) if on_contract else (None, None)
            department = rng.choice(client.sector[2] + data.COMMON_DEPARTMENTS)
            location = rng.choice(data.LOCATIONS)
            pk = table.new_id()
            created = self.past(600)
            table.append((pk, f"E{pk}", True, created, created, serial,
                          f"{rng.randrange(100000, 999999)}" if rng.random() < 0.5 else None,
                          self.model_ids[model], self.company_ids[client.company], client.id,
                          contract_id, department, location, client.city.name, client.city.state))
            # (id, client, model index, contract, SLA, department, location, counter at start,
            #  pages per day): the meter reading grows steadily through the history.
            self.equipment_rows.append((pk, client, model, contract_id, sla, department, location,
                                        rng.randrange(1000, 80000), rng.uniform(20, 400)))

    def defects(self):
        table = self.writer.table(DefectType, f"{MASTER} name category listed_on_portal")
        created = self.past(900, 800)
        self.defect_choices = {}
        for category, defects in data.DEFECTS.items():
            every, listed = [], []
            for code, name, on_portal in defects:
                pk = table.new_id()
                table.append((pk, str(code), True, created, created, name, category, on_portal))
                every.append((pk, name))
                if on_portal:
                    listed.append((pk, name))
            self.defect_choices[category] = (every, listed)

    def technicians(self):
        table = self.writer.table(Technician, f"{MASTER} name email phone last_latitude last_longitude "
                                              "last_accuracy_m last_position_at")
        self.technician_pool = {i: [] for i in range(len(self.company_ids))}
        self.technician_names = {}
        domain = data.DEALER["domain"]
        used = set()
        for n in range(self.scale.technicians):
            company = n % len(self.company_ids) if n < 6 else self.pick(REGION_WEIGHTS)
            name, handle = self.person()
            while handle in used:
                name, handle = self.person()
            used.add(handle)
            pk = table.new_id()
            email = f"tecnico@{domain}" if n == 0 else f"{handle}@{domain}"
            created = self.past(800)
            region = data.REGIONS[self.company_regions[company]]
            seat, city = region[0], self.rng.choice(region)
            # Where the app last saw him, a little while ago, in a city his company serves.
            seen = (self.now - timedelta(minutes=self.rng.uniform(2, 90))).replace(microsecond=0)
            table.append((pk, f"T{n + 1:03d}", True, created, created, name, email,
                          self.phone(seat, mobile=True),
                          round(city.lat + self.rng.uniform(-0.03, 0.03), 6),
                          round(city.lon + self.rng.uniform(-0.03, 0.03), 6),
                          self.rng.choice((5.0, 8.0, 12.0, 25.0)), seen))
            self.technician_pool[company].append(pk)
            self.technician_names[pk] = (name, email, company)

    def carriers(self):
        table = self.writer.table(Carrier, f"{MASTER} name document email")
        self.carrier_ids, self.carrier_domains = [], {}
        for n, (name, domain) in enumerate(data.CARRIERS[:self.scale.carriers]):
            pk = table.new_id()
            created = self.past(800)
            table.append((pk, f"TR{n + 1:02d}", True, created, created, name, self.cnpj()[0],
                          f"contato@{domain}"))
            self.carrier_ids.append(pk)
            self.carrier_domains[pk] = domain

    # ----------------------------------------------------------------- users
    def user_specs(self) -> list[UserSpec]:
        """The ten printed logins (one per profile), then more users up to the scale."""
        domain = data.DEALER["domain"]
        companies = tuple(self.company_ids)
        matriz = (companies[0],)
        group = self.groups[0]
        group_companies = tuple(sorted({self.company_ids[c.company] for c in group}))
        tech = self.technician_pool[0][0]
        tech_name = self.technician_names[tech][0]
        carrier = self.carrier_ids[0]
        everyone = "todas as empresas"
        client_domain = group[0].email.split("@")[1]
        specs = [
            UserSpec(f"admin@{domain}", "Administrador da Revenda", ADMIN, (), scope=everyone),
            UserSpec(f"atendimento@{domain}", "Paula Atendimento", ATTENDANCE_OPERATOR, companies,
                     scope="matriz e filiais"),
            UserSpec(f"chamados@{domain}", "Renato Chamados", CALLS_OPERATOR, matriz,
                     scope="só a matriz"),
            UserSpec(f"suprimentos@{domain}", "Sílvia Suprimentos", SUPPLIES_OPERATOR, companies,
                     scope="matriz e filiais"),
            UserSpec(f"logistica@{domain}", "Luís Logística", LOGISTICS_OPERATOR, companies,
                     scope="matriz e filiais, OS em L/S"),
            UserSpec(f"tecnico@{domain}", _title(tech_name), TECHNICIAN, matriz,
                     technician_id=tech, scope=f"técnico T001 ({tech_name})"),
            UserSpec(f"transportador@{self.carrier_domains[carrier]}", "Marcos Entregas", CARRIER,
                     companies, carrier_id=carrier, scope=data.CARRIERS[0][0]),
            UserSpec(f"cliente@{client_domain}", "Carla Boa Vista", CLIENT, group_companies,
                     tuple(c.id for c in group), scope="BOA VISTA: matriz e filiais (gestor)"),
            UserSpec(f"abertura@{client_domain}", "Jonas Boa Vista", CALL_OPENER,
                     (self.company_ids[group[1].company],), (group[1].id,),
                     scope=group[1].name),
            UserSpec(f"faturamento@{client_domain}", "Fátima Boa Vista", BILLING_OPERATOR,
                     group_companies, tuple(c.id for c in group),
                     scope="BOA VISTA: matriz e filiais"),
        ]
        for spec in specs:
            spec.printed = True
        emails = {spec.email for spec in specs}

        def add(spec):
            if len(specs) < self.scale.users and spec.email not in emails:
                emails.add(spec.email)
                specs.append(spec)

        for company in range(1, len(companies)):
            city = _slug(data.REGIONS[self.company_regions[company]][0].name)
            name = data.DEALER["companies"][company][0]
            add(UserSpec(f"atendimento.{city}@{domain}", f"Atendimento {name}", ATTENDANCE_OPERATOR,
                         (companies[company],)))
            add(UserSpec(f"suprimentos.{city}@{domain}", f"Suprimentos {name}", SUPPLIES_OPERATOR,
                         (companies[company],)))
        for pk in self.carrier_ids[1:3]:
            add(UserSpec(f"entregas@{self.carrier_domains[pk]}", "Entregas", CARRIER, companies,
                         carrier_id=pk))
        technicians = list(self.technician_names.items())[1:self.scale.users // 5]
        for pk, (name, email, company) in technicians:
            add(UserSpec(email, _title(name), TECHNICIAN, (companies[company],), technician_id=pk))
        for n, group in enumerate(self.groups[1:]):
            if len(specs) >= self.scale.users:
                break
            matriz_client = group[0]
            name, handle = self.person()
            domain_part = matriz_client.email.split("@")[1]
            add(UserSpec(f"{handle}@{domain_part}", _title(name), CLIENT,
                         tuple(sorted({self.company_ids[c.company] for c in group})),
                         tuple(c.id for c in group)))
            if n % 3 == 0:
                member = self.rng.choice(group)
                name, handle = self.person()
                add(UserSpec(f"{handle}@{domain_part}", _title(name), CALL_OPENER,
                             (self.company_ids[member.company],), (member.id,)))
        return specs

    def link_users(self):
        """Who opens calls and asks for supplies: the client's users, else the dealer's
        operators whose profile may do it (per company index)."""
        by_client = {c.id: c for c in self.client_list}
        self.technician_user, self.carrier_user = {}, {}
        self.call_openers = {n: [] for n in range(len(self.company_ids))}
        self.supply_openers = {n: [] for n in range(len(self.company_ids))}
        self.contact_senders = []
        for spec in self.users:
            if spec.profile in (CLIENT, CALL_OPENER):
                for pk in spec.client_ids:
                    by_client[pk].users.append(spec.id)
                    if spec.profile == CLIENT:
                        by_client[pk].supply_users.append(spec.id)
                        self.contact_senders.append((spec.id, by_client[pk]))
            elif spec.profile == TECHNICIAN:
                self.technician_user[spec.technician_id] = spec.id
            elif spec.profile == CARRIER:
                self.carrier_user[spec.carrier_id] = spec.id
            for n, company in enumerate(self.company_ids):
                if company in spec.company_ids:
                    if spec.profile in (ATTENDANCE_OPERATOR, CALLS_OPERATOR):
                        self.call_openers[n].append(spec.id)
                    if spec.profile in (ATTENDANCE_OPERATOR, SUPPLIES_OPERATOR):
                        self.supply_openers[n].append(spec.id)

    # ----------------------------------------------------------------- calls
    def calls(self):
        w = self.writer
        calls = w.table(ServiceCall, "id erp_id company_id client_id equipment_id contract_id "
                                     "defect_type_id technician_id opened_by_id status opened_at "
                                     "closed_at priority_due priority_updated_at description "
                                     "contact_name contact_phone contact_email created_at "
                                     "updated_at")
        self.history = w.table(CallStatusChange, "id call_id from_status to_status changed_at "
                                                 "changed_by_id source note")
        self.messages = w.table(PreServiceMessage, "id call_id author_id direction body created_at")
        self.attendances = w.table(
            Attendance, "id client_uid call_id technician_id status started_at finished_at "
                        "services parts counters notes pending distance_m travel_seconds "
                        "signer_name created_at updated_at")
        self.events = w.table(AttendanceEvent, "id client_uid attendance_id kind device_time "
                                               "received_at latitude longitude")
        self.surveys = w.table(Survey, "id attendance_id token_hash sent_at expires_at rating "
                                       "comment answered_at")
        self.track = w.table(TrackPoint, "id client_uid technician_id attendance_id recorded_at "
                                         "latitude longitude accuracy_m")
        rng = self.rng
        n = self.scale.calls
        app_since = self.now - timedelta(days=30 * self.scale.app_months)
        for i in range(n):
            opened = self.moment(i, n)
            eq = self.equipment_rows[rng.randrange(len(self.equipment_rows))]
            eq_id, client, model, contract_id, sla = eq[:5]
            company = client.company
            final = self.status_by_age(CALL_STATUS_BY_AGE, opened)
            path = self.pick(CALL_PATHS[final])
            times = self.timeline(path, opened)
            from_portal = rng.random() < 0.45
            opener = None
            if from_portal:
                if client.users and rng.random() < 0.8:
                    opener = rng.choice(client.users)
                else:
                    opener = rng.choice(self.call_openers[company])
            category = "contract" if contract_id and rng.random() < 0.05 else (
                "with_contract" if contract_id else "without_contract")
            every, listed = self.defect_choices[category]
            defect_id, defect_name = rng.choice(listed if opener else every)
            technician = rng.choice(self.technician_pool[company]) if "E" in path else None
            pk = calls.new_id()
            synced = not (from_portal and final == "A" and rng.random() < 0.5)
            due = clock.deadline(opened, sla, self.calendar)  # the contract's SLA, in business hours
            priority_updated = None
            if final != "A" and rng.random() < 0.08:
                priority_updated = min(self.open_hours(opened + rng.uniform(0.5, sla or 24) * HOUR), times[-1])
                due = due and clock.add_business_time(due, 8 * HOUR, self.calendar)
            if rng.random() < 0.8:
                contact, phone, email = client.contact, client.phone, client.email
            else:
                contact, handle = self.person()
                phone = self.phone(client.city, mobile=True)
                email = f"{handle}@{client.email.split('@')[1]}"
            descriptions = data.CALL_DESCRIPTIONS.get(defect_name, data.GENERIC_DESCRIPTIONS)
            calls.append((pk, str(ERP_CALL_BASE + i) if synced else None,
                          self.company_ids[company], client.id, eq_id, contract_id, defect_id,
                          technician, opener, final, opened, times[-1] if final in CLOSED else None,
                          due, priority_updated, rng.choice(descriptions), contact, phone, email,
                          opened, times[-1]))
            attendance = None
            if technician and opened >= app_since and rng.random() < 0.5:
                attendance = self.attendance(pk, eq, path, times, technician, client)
            self.status_history(pk, path, times, opener, technician, attendance)
            if rng.random() < (0.35 if final == "A" else 0.04):
                self.pre_service(pk, opened, times[1] if len(times) > 1 else self.now, client,
                                 opener, company)
            if w.pending() >= w.chunk_size * 4:
                w.flush()
                self.progress(i + 1)
        w.flush()
        self.progress(n)

    def timeline(self, path, opened: datetime) -> list[datetime]:
        """When the call reached each status of its path, squeezed to end before now."""
        times = [opened]
        for previous, status in zip(path, path[1:]):
            low, high = STEP_HOURS[(previous, status)]
            times.append(times[-1] + self.rng.uniform(low, high) * HOUR)
        limit = self.now - MINUTE
        if times[-1] > limit:
            span = (times[-1] - opened).total_seconds()
            room = max((limit - opened).total_seconds(), 0)
            times = [opened + (t - opened) * (room / span) for t in times]
        times = [t.replace(microsecond=0) for t in times]
        for i in range(1, len(times)):  # moves happen while the dealer is open, in order
            times[i] = max(self.open_hours(times[i]), times[i - 1] + SECOND)
        return times

    def status_history(self, call_id, path, times, opener, technician, attendance):
        rng = self.rng
        tech_user = self.technician_user.get(technician)
        previous = None
        for status, when in zip(path, times):
            if previous is None:
                source, actor, note = ("web" if opener else "erp"), opener, None
            elif attendance and status in ("M", "O", "T"):
                source, actor, note = "app", tech_user, rng.choice(data.STATUS_NOTES[status])
            else:
                source, actor = "erp", None
                note = rng.choice(data.STATUS_NOTES[status]) if rng.random() < 0.6 else None
            self.history.append((self.history.new_id(), call_id, previous, status, when, actor,
                                 source, note))
            previous = status

    def attendance(self, call_id, eq, path, times, technician, client):
        """The app's record of the visit: timeline events, report, GPS and the survey."""
        rng = self.rng
        final = path[-1]
        if "M" in path:
            t_start = times[path.index("M")]
            after = path.index("M") + 1  # the status the visit ended in, if it ended
            t_end = times[after] if after < len(path) else None
        elif final == "C":  # dispatched, then cancelled on the way
            t_start, after, t_end = times[-1], None, None
        else:
            return None
        if t_end:
            status, kinds = Attendance.CONCLUDED, AttendanceEvent.KINDS[:-1]
        elif final == "C":
            status, kinds = Attendance.CANCELLED, ("selected", "travel_started", "cancelled")
        else:
            status, kinds = Attendance.IN_PROGRESS, AttendanceEvent.KINDS[:4]
        t_dispatch = times[path.index("E")]
        span = t_start - t_dispatch
        moments = {
            "selected": t_dispatch + span * 0.05,
            "travel_started": t_start - min(timedelta(minutes=rng.uniform(10, 60)), span * 0.5),
            "arrived": t_start - min(3 * MINUTE, span * 0.1),
            "service_started": t_start,
            "cancelled": t_start,
        }
        if t_end:
            work = t_end - t_start
            moments.update(service_finished=t_start + work * 0.8,
                           form_filled=t_start + work * 0.9, concluded=t_end)
        moments = {kind: when.replace(microsecond=0) for kind, when in moments.items()}
        lat = client.city.lat + rng.uniform(-0.03, 0.03)
        lon = client.city.lon + rng.uniform(-0.03, 0.03)
        travel_seconds = int((moments["arrived"] - moments["travel_started"]).total_seconds())
        concluded = status == Attendance.CONCLUDED
        report = (None, None, None, None)
        if concluded:
            parts = [{"code": code, "description": name, "quantity": 1}
                     for code, name in rng.sample(data.PARTS, rng.randint(0, 2))]
            counter = int(eq[7] + eq[8] * (t_start - self.start).days)
            report = (rng.choice(data.SERVICES_DONE), parts, {"total": counter}, client.contact)
        pk = self.attendances.new_id()
        last = moments[kinds[-1]]
        self.attendances.append((
            pk, self.uid(), call_id, technician, status, moments["selected"],
            None if status == Attendance.IN_PROGRESS else last, *report[:3], None,
            concluded and path[after] in ("P", "L", "S"),
            round(travel_seconds * rng.uniform(5, 12), 1), travel_seconds, report[3],
            moments["selected"], last))
        for kind in kinds:
            received = moments[kind] + timedelta(seconds=rng.randrange(1, 120))
            if rng.random() < 0.05:  # sent later, when the phone found a signal again
                received += timedelta(minutes=rng.randrange(10, 240))
            away = 0.05 if kind == "travel_started" else 0
            self.events.append((self.events.new_id(), self.uid(), pk, kind, moments[kind],
                                min(received, self.now), round(lat + away, 6),
                                round(lon + away, 6)))
        if status == Attendance.IN_PROGRESS:  # the technician's way to the client, on the map
            start = moments["travel_started"]
            for step in range(5):
                away = 0.05 * (1 - step / 4)
                self.track.append((self.track.new_id(), self.uid(), technician, pk,
                                   (start + (t_start - start) * (step / 4)).replace(microsecond=0),
                                   round(lat + away, 6), round(lon + away, 6),
                                   rng.choice((5.0, 8.0, 12.0))))
        if (concluded and final in ("O", "T") and t_end < self.now - 48 * HOUR
                and rng.random() < 0.4):
            self.survey(pk, t_end)
        return pk

    def survey(self, attendance_id, finished):
        """The e-mailed rating request; most clients answer within two days."""
        rng = self.rng
        sent = finished + MINUTE
        answered = rng.random() < 0.7
        token = hashlib.sha256(rng.getrandbits(256).to_bytes(32, "big")).hexdigest()
        self.surveys.append((
            self.surveys.new_id(), attendance_id, token, sent, sent + 7 * 24 * HOUR,
            self.pick(SURVEY_RATINGS) if answered else None,
            (rng.choice(data.SURVEY_COMMENTS) or None) if answered else None,
            (sent + rng.uniform(0.2, 48) * HOUR).replace(microsecond=0) if answered else None))

    def uid(self) -> str:
        """A device-made UUID (the app's idempotency key), from the seeded random."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def pre_service(self, call_id, opened, until, client, opener, company):
        """Operator and client writing before the visit, while the call was in status A."""
        rng = self.rng
        when = opened
        client_author = opener if opener in client.users else (
            rng.choice(client.users) if client.users else None)
        for k in range(rng.randint(1, 3)):
            from_dealer = k % 2 == 0
            when = self.open_hours(when + (until - opened) * rng.uniform(0.1, 0.3))
            if when >= until:
                break
            self.messages.append((
                self.messages.new_id(), call_id,
                rng.choice(self.call_openers[company]) if from_dealer else client_author,
                PreServiceMessage.FROM_DEALER if from_dealer else PreServiceMessage.FROM_CLIENT,
                rng.choice(data.PRE_SERVICE_DEALER if from_dealer else data.PRE_SERVICE_CLIENT),
                when.replace(microsecond=0)))

    # ----------------------------------------------------------------- supplies
    def supply_requests(self):
        w = self.writer
        requests = w.table(
            SupplyRequest, "id kind company_id client_id equipment_id equipment_model_id "
                           "contract_id requested_by_id requested_at status note warning "
                           "carrier_id tracking_code invoice_number invoice_date department "
                           "location created_at updated_at")
        items = w.table(SupplyRequestItem, "id request_id supply_item_id quantity counter")
        self.invoices = w.table(Invoice, f"{MASTER} company_id client_id number series issued_at "
                                         "status carrier_id supply_request_id total confirmed")
        self.deliveries = w.table(Delivery, "id invoice_id outcome received_by delivered_at reason "
                                            "confirmed_by_id confirmed_at latitude longitude")
        self.invoice_numbers = [10000 * (n + 1) for n in range(len(self.company_ids))]
        rng = self.rng
        n = self.scale.supply_requests
        done_before = self.scale.calls
        for i in range(n):
            requested = self.moment(i, n)
            eq = self.equipment_rows[rng.randrange(len(self.equipment_rows))]
            eq_id, client, model, contract_id = eq[:4]
            company = client.company
            by_model = contract_id is not None and rng.random() < 0.15
            status = self.status_by_age(SUPPLY_STATUS_BY_AGE, requested)
            if client.supply_users and rng.random() < 0.7:
                requester = rng.choice(client.supply_users)
            else:
                requester = rng.choice(self.supply_openers[company])
            pk = requests.new_id()
            spec = data.MODELS[model]
            toners = [k for k in spec.supplies if data.SUPPLY_ITEMS[k][0].startswith("TONER")]
            drums = [k for k in spec.supplies if k not in toners]
            wanted = rng.sample(toners, rng.randint(1, len(toners))) if spec.color else toners[:1]
            if drums and rng.random() < 0.2:
                wanted.append(drums[0])
            counter = int(eq[7] + eq[8] * (requested - self.start).days)
            for key in wanted:
                items.append((items.new_id(), pk, self.supply_ids[key],
                              1 if rng.random() < 0.8 else 2, counter))
            carrier = tracking = number = invoice_date = None
            updated = requested
            if status in (SupplyStatus.INVOICED, SupplyStatus.DELIVERED):
                issued = min(requested + rng.uniform(4, 72) * HOUR, self.now - MINUTE)
                issued = issued.replace(microsecond=0)
                carrier = rng.choice(self.carrier_ids) if rng.random() < 0.9 else None
                if carrier:
                    prefix = self.carrier_domains[carrier][:3].upper()
                    tracking = f"{prefix}{rng.randrange(10 ** 8):08d}BR"
                number = self.next_invoice_number(company)
                invoice_date = issued.date()
                updated = issued
                self.invoice(company, client, number, issued, carrier, pk,
                             rng.randrange(15000, 90000) * len(wanted),
                             delivered=status == SupplyStatus.DELIVERED)
            requests.append((
                pk, SupplyRequest.BY_MODEL if by_model else SupplyRequest.BY_EQUIPMENT,
                self.company_ids[company], client.id, None if by_model else eq_id,
                self.model_ids[model] if by_model else None, contract_id, requester, requested,
                status, rng.choice(data.SUPPLY_NOTES) or None,
                "Consumo acima do rendimento esperado desde a última solicitação."
                if rng.random() < 0.03 else None,
                carrier, tracking, number, invoice_date, eq[5], eq[6], requested, updated))
            if w.pending() >= w.chunk_size * 4:
                w.flush()
                self.progress(done_before + i + 1)
        w.flush()
        self.progress(done_before + n)

    def next_invoice_number(self, company: int) -> str:
        self.invoice_numbers[company] += 1
        return str(self.invoice_numbers[company])

    def invoice(self, company, client, number, issued, carrier, request_id, cents, delivered,
                cancelled=False):
        """The NF de saída; with a carrier, its delivery once confirmed (or refused)."""
        rng = self.rng
        pk = self.invoices.new_id()
        refused = (bool(carrier) and not cancelled and not delivered
                   and issued < self.now - 5 * 24 * HOUR and rng.random() < 0.3)
        confirmed = bool(carrier) and not cancelled and (delivered or refused)
        self.invoices.append((
            pk, f"{company + 1}-1-{number}", True, issued, issued, self.company_ids[company],
            client.id, number, "1", issued, Invoice.CANCELLED if cancelled else Invoice.AUTHORIZED,
            carrier, request_id, Decimal(cents).scaleb(-2), confirmed))
        if not confirmed:
            return
        when = min(issued + rng.uniform(4, 120) * HOUR, self.now - MINUTE).replace(microsecond=0)
        outcome, reason = Delivery.DELIVERED, None
        if refused:
            outcome, reason = Delivery.REFUSED, rng.choice(data.DELIVERY_REFUSALS)
        elif rng.random() < 0.03:
            outcome, reason = Delivery.PARTIAL, "Entregue 1 de 2 volumes."
        self.deliveries.append((
            self.deliveries.new_id(), pk, outcome, client.contact, when, reason,
            self.carrier_user.get(carrier), min(when + rng.uniform(1, 30) * MINUTE, self.now),
            round(client.city.lat + rng.uniform(-0.03, 0.03), 6),
            round(client.city.lon + rng.uniform(-0.03, 0.03), 6)))

    def other_invoices(self):
        """NFs the ERP authorised for sales and services, not for a supply request."""
        rng = self.rng
        n = max(20, self.scale.supply_requests // 10)
        for i in range(n):
            issued = self.moment(i, n)
            client = self.equipment_rows[rng.randrange(len(self.equipment_rows))][1]
            carrier = rng.choice(self.carrier_ids) if rng.random() < 0.6 else None
            old = issued < self.now - 10 * 24 * HOUR
            self.invoice(client.company, client, self.next_invoice_number(client.company), issued,
                         carrier, None, rng.randrange(20000, 2500000),
                         delivered=old and rng.random() < 0.95, cancelled=rng.random() < 0.03)
            if self.writer.pending() >= self.writer.chunk_size * 4:
                self.writer.flush()
        # The printed carrier always has deliveries waiting for him.
        group = self.groups[0]
        for k in range(3):
            client = group[k % len(group)]
            issued = (self.now - (k + 1) * 5 * HOUR).replace(microsecond=0)
            self.invoice(client.company, client, self.next_invoice_number(client.company), issued,
                         self.carrier_ids[0], None, rng.randrange(20000, 200000), delivered=False)

    # ----------------------------------------------------------------- billing, contact
    def billing_files(self):
        """A few months of billing PDFs for the printed client group (real, tiny files)."""
        files = self.writer.table(BillingFile, "id company_id client_id contract_id month year "
                                               "note original_name stored_name size "
                                               "uploaded_by_id uploaded_at")
        downloads = self.writer.table(BillingDownload, "id file_id user_id downloaded_at ip")
        admin = next(s.id for s in self.users if s.profile == ADMIN)
        billing_user = next(s.id for s in self.users if s.profile == BILLING_OPERATOR)
        folder = os.path.join(self.storage_dir, BILLING_STORAGE_AREA)
        os.makedirs(folder, exist_ok=True)
        rng = self.rng
        for back in range(6, 0, -1):
            year, month = divmod(self.now.year * 12 + self.now.month - 1 - back, 12)
            period = datetime(year, month + 1, 1, 12)
            for client in self.groups[0]:
                contract = client.contracts[0][0] if client.contracts else None
                value = rng.randrange(80000, 600000)
                content = billing_pdf(client, period, value)
                stored = f"{rng.getrandbits(128):032x}.pdf"
                with open(os.path.join(folder, stored), "wb") as handle:
                    handle.write(content)
                pk = files.new_id()
                uploaded = min((period + timedelta(days=32)).replace(day=5), self.now - HOUR)
                files.append((pk, self.company_ids[client.company], client.id, contract,
                              period.month, period.year, "Fatura de locação e franquia de páginas",
                              f"FATURA_{period:%m_%Y}_{_slug(client.name).upper()[:30]}.pdf",
                              stored, len(content), admin, uploaded))
                if back > 1:
                    downloads.append((downloads.new_id(), pk, billing_user,
                                      uploaded + rng.uniform(1, 72) * HOUR, "200.150.10.7"))

    def contact_messages(self):
        table = self.writer.table(ContactMessage, "id company_id client_id sender_id kind subject "
                                                  "message created_at")
        rng = self.rng
        for _ in range(max(5, min(500, self.scale.clients // 20))):
            sender, client = rng.choice(self.contact_senders)
            kind, subject, message = rng.choice(data.CONTACT_SUBJECTS)
            table.append((table.new_id(), self.company_ids[client.company], client.id, sender, kind,
                          subject, message,
                          (self.now - timedelta(days=rng.uniform(0, 90))).replace(microsecond=0)))


def billing_pdf(client: ClientInfo, period: datetime, cents: int) -> bytes:
    """A one-page invoice PDF (reportlab, deterministic bytes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(f"Fatura {period:%m/%Y}")
    lines = [
        (16, data.DEALER["name"]),
        (12, f"FATURA DE LOCAÇÃO - {period:%m/%Y}"),
        (10, f"Cliente: {client.name}"),
        (10, f"CNPJ/CPF: {client.cnpj}"),
        (10, f"Cidade: {client.city.name} / {client.city.state}"),
        (10, f"Valor: R$ {cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"),
        (8, "Documento de demonstração - sem valor fiscal."),
    ]
    y = 800
    for size, text in lines:
        canvas.setFont("Helvetica", size)
        canvas.drawString(60, y, text)
        y -= size * 2
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
