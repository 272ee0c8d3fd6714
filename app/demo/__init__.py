"""``flask pws demo``: a realistic dealer with months (or years) of history, and its logins.

Loads only into a database without companies; ``--if-empty`` turns that refusal into a quiet
no-op so ``make run`` can call it every time. The same code path serves the small data set of
``make run`` and the million-call benchmark set (see docs/demo.md).
"""
import time

import click
from flask import current_app
from sqlalchemy import select

from app.accounts.models import PortalUser
from app.accounts.roles import PROFILE_NAMES
from app.indicators import outcomes
from app.catalog.models import Company
from app.core.db import db, refresh_statistics, utcnow
from app.demo import data
from app.demo.generator import SCALES, DemoGenerator, Scale, scale_for_calls
from app.demo.users import logins_table
from app.demo.writer import BulkWriter
from app.sync.services import create_token

# The synchronizer the demo dealer runs next to its ERP: its token has just been used, so the
# monitoring is green until PWS_SYNC_STALE_MINUTES pass without a real agent using it.
DEMO_SYNC_TOKEN = "ILUX matriz (demonstração)"  # nosec B105  # the token's name in the list, not a secret
DEMO_SYNC_AGENT = ("pws-sync-agent", "1.0")

# Above this many calls + supply requests a progress bar shows how far the load is.
PROGRESS_FROM = 50_000


class DemoRefused(click.ClickException):
    """The database is not one the demo may load into; the message says why."""


def parse_scale(value) -> Scale:
    text = str(value).strip().lower()
    if text in SCALES:
        return SCALES[text]
    if text.isdigit() and int(text) >= 100:
        return scale_for_calls(int(text))
    raise DemoRefused(
        f"Escala inválida: {value!r}. Use small, medium, large ou um número de chamados (≥ 100).")


def load_demo(scale="small", if_empty=False, echo=print, now=None):
    """Generate the demo into an empty database and print the logins once.

    The same scale gives the same companies, clients and equipment every time; the history
    is the same for the same ``now`` (naive UTC, default: this minute), which it ends at.
    """
    spec = parse_scale(scale)
    session = db.session
    if session.execute(select(Company.id).limit(1)).first() is not None:
        if if_empty:
            echo("O banco já tem dados: demonstração não carregada.")
            return
        raise DemoRefused("O banco já tem empresas cadastradas: a demonstração só é carregada em "
                          "um banco vazio (use --if-empty para ignorar).")
    demo_users = select(PortalUser.id).where(PortalUser.email.like(f"%@{data.DEALER['domain']}"))
    if session.execute(demo_users.limit(1)).first() is not None:
        raise DemoRefused("Os usuários de demonstração já existem: a demonstração só é carregada "
                          "em um banco vazio.")
    sm = current_app.appbuilder.sm
    missing = [name for name in PROFILE_NAMES if sm.role_by_name(name) is None]
    if missing:
        raise DemoRefused(f"Perfis ausentes ({', '.join(missing)}): rode `flask pws init` antes.")
    session.commit()  # end the read transaction: the bulk writer uses its own connections

    started = time.perf_counter()
    writer = BulkWriter(db.engine)
    total = spec.calls + spec.supply_requests
    echo(f"Carregando demonstração '{spec.name}': {_n(spec.calls)} chamados, "
         f"{_n(spec.supply_requests)} solicitações de suprimentos, {_n(spec.equipment)} "
         f"equipamentos, {_n(spec.clients)} clientes, {spec.users} usuários, {spec.months} meses "
         "de histórico.")
    now = (now or utcnow()).replace(second=0, microsecond=0)
    generator = DemoGenerator(spec, writer, now, current_app.config["PWS_STORAGE_DIR"])
    if total >= PROGRESS_FROM:
        with click.progressbar(length=total, label="Gerando histórico") as bar:
            generator.progress = lambda done: bar.update(done - bar.pos)
            users = generator.run()
    else:
        users = generator.run()
    outcomes.rebuild(db.session)  # the bulk writer bypassed the seam that keeps them on commit
    refresh_statistics(db.session)
    plain = _sync_heartbeat(now)
    elapsed = time.perf_counter() - started
    rows = writer.total_written + len(users)
    echo(f"Demonstração carregada: {_n(rows)} linhas em {elapsed:.1f} s "
         f"({_n(round(rows / elapsed))} linhas/s).")
    echo("")
    echo(f"Token do sincronizador '{DEMO_SYNC_TOKEN}' (mostrado só agora; PWS_SYNC_TOKEN de `flask pws sync-agent`)"
         f": {plain}")
    echo("")
    echo("Acessos de demonstração:")
    echo(logins_table(users))


def _sync_heartbeat(now) -> str:
    """The demo's sync token, with a heartbeat at ``now``; returns its plain text."""
    token, plain = create_token(DEMO_SYNC_TOKEN)
    token.last_used_at = token.last_heartbeat_at = now
    token.agent, token.agent_version = DEMO_SYNC_AGENT
    db.session.commit()
    return plain


def _n(number: int) -> str:
    """Thousands with a dot, as in pt-BR."""
    return f"{number:,}".replace(",", ".")
