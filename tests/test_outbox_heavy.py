"""E-mails enviados at volume (issue 25, item 2): the list reads no bodies and pages by keys,
"Contém" searches subject and recipients, and the retention drops old bodies, keeping the rest."""
from datetime import timedelta

from flask_appbuilder.models.sqla.filters import FilterContains
from sqlalchemy import event, select

from app.accounts.roles import ADMIN
from app.core.db import db, utcnow
from app.notifications.models import OutboxMessage
from app.notifications.sending import eml_path
from tests import factories as f
from tests.conftest import login


def _contains(app, column):
    """The position of "Contém" among the column's filters (the ``_flt_N_`` of its URL)."""
    view = next(view for view in app.appbuilder.baseviews if type(view).__name__ == "OutboxView")
    return next(n for n, kind in enumerate(view._filters.get_search_filters()[column])
                if isinstance(kind, FilterContains))


def _admin(app, db_ctx):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
    client = app.test_client()
    login(client, "admin@revenda.test")
    return client


def _statements(app, call):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_the_list_pages_newest_first_by_keys_and_never_reads_bodies(app, db_ctx):
    client = _admin(app, db_ctx)
    start = utcnow() - timedelta(days=3)
    with db_ctx():
        for n in range(25):
            f.outbox_message(status="sent", subject=f"Mensagem {n:02d}", created_at=start + timedelta(minutes=n),
                             attempts=n % 4, body_text=f"corpo-secreto-{n}", body_html=f"<p>corpo-{n}</p>")
    pages = {}
    statements = _statements(app, lambda: pages.update(
        {number: client.get(f"/emails/list/?page_OutboxView={number}").get_data(as_text=True)
         for number in (0, 1)}))
    first, second = pages[0], pages[1]
    assert [n for n in range(25) if f"Mensagem {n:02d}" in first] == list(range(5, 25))
    assert first.index("Mensagem 24") < first.index("Mensagem 05"), "newest first"
    assert [n for n in range(25) if f"Mensagem {n:02d}" in second] == list(range(5))
    assert second.index("Mensagem 04") < second.index("Mensagem 00")
    listed = [sql for sql in statements if "outbox_message" in sql]
    assert listed and not any("body_text" in sql or "body_html" in sql for sql in listed)
    by_attempts = client.get("/emails/list/?_oc_OutboxView=attempts&_od_OutboxView=asc").get_data(as_text=True)
    assert sum(f"Mensagem {n:02d}" in by_attempts for n in range(3, 25, 4)) == 1, "one of six with 3 attempts"
    assert by_attempts.index("Mensagem 08") < by_attempts.index("Mensagem 05") < by_attempts.index("Mensagem 02")


def test_contains_finds_words_of_subject_and_text_of_recipients(app, db_ctx, monkeypatch):
    client = _admin(app, db_ctx)
    with db_ctx():
        f.outbox_message(status="sent", subject="Chamado 4711: Em atendimento",
                         recipients="joao.silva@empresa.com.br")
        f.outbox_message(status="sent", subject="Solicitação de suprimentos 88: Liberada",
                         recipients="maria.souza@outra.com.br")
        f.outbox_message(status="sent", subject="100% de desconto_especial", recipients="ana@x.com.br")

    def found(column, text):
        html = client.get("/emails/list/", query_string={f"_flt_{_contains(app, column)}_{column}": text}
                          ).get_data(as_text=True)
        return [subject for subject in ("4711", "suprimentos 88", "desconto") if subject in html]

    assert found("subject", "atend") == ["4711"]
    assert found("subject", "Chamado 4711: Em") == ["4711"]
    assert found("subject", "SUPRIMENTOS") == ["suprimentos 88"]
    assert found("subject", "100% de") == ["desconto"], "% taken literally"
    assert found("subject", "entrega") == []
    assert found("recipients", "silva@empresa") == ["4711"]
    assert found("recipients", "souza") == ["suprimentos 88"]
    assert found("recipients", "com.br") == ["4711", "suprimentos 88", "desconto"]
    assert found("recipients", "joao.silva@empresa.com.br") == ["4711"]
    assert found("recipients", "o.silva@empr") == ["4711"], "inside a word too: the address's text"
    assert found("recipients", "ana@x.com.br ") == [], "taken literally, the space included"
    assert found("recipients", "_") == [], "_ taken literally"
    # Past the cap of distinct addresses the text is common: the rows are read by the LIKE alone.
    monkeypatch.setattr("app.core.search.VALUES_CAP", 1)
    assert found("recipients", "com.br") == ["4711", "suprimentos 88", "desconto"]
    assert found("recipients", "souza") == ["suprimentos 88"]


def test_retention_drops_old_sent_bodies_and_keeps_the_rest(app, db_ctx):
    client = _admin(app, db_ctx)
    old = utcnow() - timedelta(days=40)
    with db_ctx():
        kept_meta = f.outbox_message(status="sent", subject="Antigo enviado", sent_at=old, created_at=old,
                                     attempts=2, body_text="texto antigo", body_html="<p>antigo</p>").id
        recent = f.outbox_message(status="sent", subject="Recente", sent_at=utcnow(), body_text="texto novo").id
        failed = f.outbox_message(status="failed", subject="Falhou", created_at=old, body_text="texto falho").id
        eml = eml_path(kept_meta)
        eml.write_bytes(b"Subject: Antigo enviado\r\n\r\ntexto antigo")
    result = app.test_cli_runner().invoke(args=["pws", "purge-outbox", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "1 e-mail(s) enviado(s) há mais de 30 dias" in result.output
    with db_ctx() as session:
        rows = {row.id: row for row in session.execute(select(OutboxMessage)).scalars()}
        dropped = rows[kept_meta]
        assert (dropped.body_text, dropped.body_html) == ("", "")
        assert (dropped.subject, dropped.recipients, dropped.status, dropped.attempts) == (
            "Antigo enviado", "operador@revenda.test", "sent", 2)
        assert rows[recent].body_text == "texto novo" and rows[failed].body_text == "texto falho"
    assert not eml.exists()
    again = app.test_cli_runner().invoke(args=["pws", "purge-outbox", "--days", "30"])
    assert again.output.startswith("0 e-mail(s)")
    show = client.get(f"/emails/show/{kept_meta}").get_data(as_text=True)
    assert "Texto descartado pela retenção dos e-mails enviados." in show and "Antigo enviado" in show


def test_contains_a_common_word_lists_and_counts_every_row(app, db_ctx, monkeypatch):
    """A word in more messages than the list counts, or in one of ten, is found by the list's
    ordered read (FULLTEXT would hand over every row holding it to be read twice); a rarer one
    through FULLTEXT on MariaDB. Either way the page and the count are the rows that contain the
    text. A table smaller than the sample is read in order whatever the text."""
    monkeypatch.setitem(app.config, "PWS_COUNT_CAP", 25)  # 30 messages are "more than it counts"
    monkeypatch.setattr("app.core.search.COMMON_SAMPLE", 20)  # 35 messages: a table to sample
    client = _admin(app, db_ctx)
    start = utcnow() - timedelta(days=1)
    with db_ctx():
        for n in range(30):
            f.outbox_message(status="sent", subject=f"Chamado {n:02d}: Em atendimento",
                             created_at=start + timedelta(minutes=n))
        f.outbox_message(status="sent", subject="Solicitação 77: Liberada", created_at=start)
        for n in range(4):  # 4 of 35: under the cap, over one in ten
            f.outbox_message(status="sent", subject=f"Pedido {n}: Entregue", created_at=start)
    column = _contains(app, "subject")
    pages = {}
    statements = _statements(app, lambda: pages.update(
        {text: client.get("/emails/list/", query_string={f"_flt_{column}_subject": text}).get_data(as_text=True)
         for text in ("atendimento", "Entregue", "Liberada")}))
    common, rare = pages["atendimento"], pages["Liberada"]
    assert all(f"Pedido {n}: Entregue" in pages["Entregue"] for n in range(4))
    assert "Chamado 01:" not in pages["Entregue"] and "mostrando 4 registros de 4 no total" in pages["Entregue"]
    assert [n for n in range(30) if f"Chamado {n:02d}:" in common] == list(range(10, 30))
    assert "mostrando registros 1 a 20 de mais de 25" in common, "the count, capped"
    assert "Solicitação 77" not in common
    assert "Solicitação 77" in rare and "Chamado 01:" not in rare
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("mysql"):
        listed = [sql for sql in statements if "outbox_message.id" in sql and "LIMIT" in sql.upper()
                  and "sum(" not in sql.lower()]  # each search's page (its count inside), not the probe
        assert ["MATCH" in sql for sql in listed] == [False, False, True], \
            "the common words read in order, the rare one through FULLTEXT"
    monkeypatch.setattr("app.core.search.COMMON_SAMPLE", 2000)  # now the table is small
    statements = _statements(app, lambda: pages.update(
        inside=client.get("/emails/list/", query_string={f"_flt_{column}_subject": "iberada"}).get_data(as_text=True)))
    assert "Solicitação 77" in pages["inside"] and "Chamado 01:" not in pages["inside"], "inside a word too"
    assert not any("MATCH" in sql for sql in statements)
