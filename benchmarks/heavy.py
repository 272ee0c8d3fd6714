"""Heavy data shapes on top of ``flask pws demo``: a full outbox, years of billing files, a change
feed backlog and a call with a long thread (issue 25).

    DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/pws_large?charset=utf8mb4' \\
        python benchmarks/heavy.py --outbox 500000 --billing 300000 --feed 100000 --thread 400

The demo's shapes are gentle (empty outbox and feed, 18 billing files, 7 changes a call at most);
these are what years of use leave. Rows are written with Core ``insert()`` executemany, 5,000 a
statement, one transaction each; nothing goes through the services (no e-mail is sent, no feed
entry numbered). The billing files have no PDF on disk: the lists never open them. Run it once
per database; ``benchmarks/pages.py --heavy`` then measures the pages these shapes load.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import PortalUser  # noqa: E402
from app.billing.models import BillingFile  # noqa: E402
from app.calls.models import CallAttachment, CallStatusChange, PreServiceMessage, ServiceCall  # noqa: E402
from app.catalog.models import Client, Contract  # noqa: E402
from app.core.db import db, refresh_statistics, utcnow  # noqa: E402
from app.feed.models import ChangeFeedEntry  # noqa: E402
from app.notifications.kinds import NOTIFICATION_KINDS  # noqa: E402
from app.notifications.models import OutboxMessage  # noqa: E402

BATCH = 5000
LONG_THREAD_CALL = "HEAVY-THREAD"  # erp_id of the long-thread call
FIRST_NAMES = ("ana", "bruno", "carla", "diego", "elisa", "fabio", "gabriela", "henrique", "isabela",
               "joao", "karina", "luciano", "marcos", "natalia", "otavio", "paula", "rafael", "sofia")
LAST_NAMES = ("silva", "souza", "oliveira", "pereira", "costa", "rodrigues", "almeida", "nascimento",
              "lima", "araujo", "fernandes", "carvalho", "gomes", "martins", "rocha", "ribeiro")
DOMAINS = ("alimentosboavista.com.br", "imagemsul.com.br", "metalurgicasc.com.br", "hospitalvale.org.br",
           "escolaportal.edu.br", "construtoralitoral.com.br", "gmail.com", "hotmail.com")
SUBJECTS = ("Chamado {n}: {status}", "Chamado {n} atribuído a você", "Solicitação de suprimentos {n}: {status}",
            "Pré atendimento do chamado {n}: nova mensagem", "Arquivos de faturamento de {month}/{year}",
            "Entrega da NF {n} confirmada", "Redefinição de senha", "Avalie o atendimento do chamado {n}")
STATUSES = ("Aberto", "Em atendimento", "Aguardando peça", "Em rota", "Concluído", "Liberada", "Entregue")
BODY = ("Olá {name},\n\n{subject}.\n\nAcesse o portal para ver os detalhes: "
        "https://portal.imagemsul.com.br/chamados/show/{n}\n\n" + "Equipe de atendimento Imagem Sul. " * 6 +
        "\n\nPara não receber mais este tipo de e-mail, acesse o link de descadastramento.\n")
HTML = ('<!doctype html><html lang="pt-BR"><body style="font-family:Arial,sans-serif;color:#222">'
        '<table width="100%" cellpadding="0" cellspacing="0"><tr><td style="padding:24px">'
        "<h1 style=\"font-size:18px\">{subject}</h1><p>Olá {name},</p>"
        + "<p>Equipe de atendimento Imagem Sul: confira os detalhes no portal.</p>" * 8 +
        '<p><a href="https://portal.imagemsul.com.br/chamados/show/{n}">Abrir no portal</a></p>'
        "</td></tr></table></body></html>")


def write(table, rows, label):
    """Insert ``rows`` (an iterable of dicts) 5,000 a statement, committing each batch."""
    done, batch, started = 0, [], time.perf_counter()
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            done += _flush(table, batch)
            print(f"\r{label}: {done:,}", end="", file=sys.stderr, flush=True)
    done += _flush(table, batch)
    print(f"\r{label}: {done:,} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _flush(table, batch):
    if not batch:
        return 0
    db.session.execute(insert(table), batch)
    db.session.commit()
    count = len(batch)
    batch.clear()
    return count


def outbox_rows(count, rng):
    now, kinds = utcnow(), list(NOTIFICATION_KINDS)
    user_ids = db.session.execute(select(PortalUser.id)).scalars().all()
    span = timedelta(days=730).total_seconds()
    for position in range(count):
        created = now - timedelta(seconds=span * (count - position) / count)  # oldest first, as sent
        name = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}"
        n = rng.randint(1000, 999999)
        subject = rng.choice(SUBJECTS).format(n=n, status=rng.choice(STATUSES), month=created.month,
                                             year=created.year)
        roll = rng.random()
        status = (OutboxMessage.SENT if roll < 0.97 else OutboxMessage.FAILED if roll < 0.99
                  else OutboxMessage.PENDING)
        sent = status == OutboxMessage.SENT
        yield {"kind": rng.choice(kinds), "recipients": f"{name}@{rng.choice(DOMAINS)}",
               "user_id": rng.choice(user_ids) if user_ids and roll < 0.8 else None, "subject": subject,
               "body_text": BODY.format(name=name, subject=subject, n=n),
               "body_html": HTML.format(name=name, subject=subject, n=n), "status": status,
               "attempts": 1 if sent else rng.randint(1, 8),
               "last_error": None if sent else "421 4.7.0 Try again later", "created_at": created,
               "next_attempt_at": created, "sent_at": created + timedelta(seconds=rng.randint(1, 90)) if sent else None}


def billing_rows(count, rng):
    clients = db.session.execute(select(Client.id, Client.company_id)).all()
    contracts = {}
    for contract_id, client_id in db.session.execute(select(Contract.id, Contract.client_id)):
        contracts.setdefault(client_id, []).append(contract_id)
    uploader = db.session.execute(select(func.min(PortalUser.id))).scalar()
    per_month = max(1, count // (10 * 12))  # ten years of monthly files
    now = utcnow()
    for position in range(count):
        months_back = min(position // per_month, 119)
        uploaded = now - timedelta(days=30.4 * (119 - months_back), minutes=rng.randint(0, 40000))
        client_id, company_id = rng.choice(clients)
        contract = rng.choice(contracts.get(client_id) or [None])
        yield {"company_id": company_id, "client_id": client_id, "contract_id": contract,
               "month": uploaded.month, "year": uploaded.year, "note": None,
               "original_name": f"fatura-{uploaded.year}-{uploaded.month:02d}-{client_id}-{position}.pdf",
               "stored_name": f"heavy-{uuid.uuid4().hex}.pdf", "size": rng.randint(40_000, 900_000),
               "uploaded_by_id": uploader, "uploaded_at": uploaded}


def feed_rows(count, rng):
    now = utcnow()
    for n in range(count):
        yield {"entity": "service_order", "op": "update", "web_id": rng.randint(1, 1_000_000),
               "data": {"status": rng.choice("AEMPOTC"), "n": n}, "at": now}


def long_thread(changes, rng):
    """One call of the cliente's with ``changes`` status changes, half as many pre-service
    messages and 30 attachments (a third of them on messages)."""
    client_user = db.session.execute(
        select(PortalUser).where(PortalUser.email == "cliente@alimentosboavista.example")).scalar_one()
    template = db.session.execute(
        select(ServiceCall).where(ServiceCall.client_id.in_([c.id for c in client_user.clients]))
        .order_by(ServiceCall.id.desc()).limit(1)).scalar_one()
    started = utcnow() - timedelta(days=60)
    call = ServiceCall(erp_id=f"{LONG_THREAD_CALL}-{uuid.uuid4().hex[:8]}", company_id=template.company_id,
                       client_id=template.client_id, equipment_id=template.equipment_id,
                       contract_id=template.contract_id, opened_by_id=client_user.id, status="E",
                       opened_at=started, description="Equipamento reinicia sozinho durante a impressão.",
                       contact_name="Luciano Peçanha", contact_email="luciano@alimentosboavista.com.br")
    db.session.add(call)
    db.session.flush()
    moves = "EMPMEOTE"
    db.session.execute(insert(CallStatusChange), [
        {"call_id": call.id, "from_status": moves[n % 8], "to_status": moves[(n + 1) % 8],
         "changed_at": started + timedelta(minutes=10 * n), "changed_by_id": client_user.id, "source": "web",
         "note": f"Andamento {n + 1}: técnico retornou ao cliente."} for n in range(changes)])
    messages = changes // 2
    db.session.execute(insert(PreServiceMessage), [
        {"call_id": call.id, "author_id": client_user.id, "direction": "in" if n % 2 else "out",
         "body": f"Mensagem {n + 1} do pré atendimento: o equipamento voltou a falhar.",
         "created_at": started + timedelta(minutes=7 * n)} for n in range(messages)])
    message_ids = db.session.execute(select(PreServiceMessage.id).where(PreServiceMessage.call_id == call.id)
                                     ).scalars().all()
    db.session.execute(insert(CallAttachment), [
        {"call_id": call.id, "message_id": rng.choice(message_ids) if n % 3 == 0 and message_ids else None,
         "original_name": f"foto-{n + 1}.jpg", "stored_name": f"heavy-{uuid.uuid4().hex}.jpg",
         "content_type": "image/jpeg", "size": 120_000, "uploaded_by_id": client_user.id,
         "uploaded_at": started + timedelta(hours=n)} for n in range(30)])
    db.session.commit()
    print(f"long-thread call {call.id}: {changes} changes, {messages} messages, 30 files", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outbox", type=int, default=0, help="e-mails enviados to add")
    parser.add_argument("--billing", type=int, default=0, help="billing files to add (ten years)")
    parser.add_argument("--feed", type=int, default=0, help="change-feed entries to add, not numbered")
    parser.add_argument("--thread", type=int, default=0, help="status changes of a long-thread call")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    app = create_app()
    with app.app_context():
        if args.outbox:
            write(OutboxMessage.__table__, outbox_rows(args.outbox, rng), "outbox")
        if args.billing:
            write(BillingFile.__table__, billing_rows(args.billing, rng), "billing files")
        if args.feed:
            write(ChangeFeedEntry.__table__, feed_rows(args.feed, rng), "feed backlog")
        if args.thread:
            long_thread(args.thread, rng)
        refresh_statistics(db.session)


if __name__ == "__main__":
    main()
