"""Every e-mail kind renders its pt-BR subject, text and HTML on the base, links absolute."""
import re
from datetime import datetime
from pathlib import Path

import pytest

from app.notifications.kinds import KINDS, MAIL_KINDS, NOTIFICATION_KINDS

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates" / "email"
BASE = "https://portal.revenda.com.br"


class Row:
    """Any row a template reads: every attribute is another row, printed as a value."""

    def __init__(self, name="VALOR"):
        self._name = name

    def __getattr__(self, name):
        return Row(f"{self._name}.{name}")

    def __call__(self, *args, **kwargs):
        return self._name

    def __str__(self):
        return self._name

    def __iter__(self):
        return iter(())


def _context(contact=False):
    return {
        "dealer_name": "REVENDA MODELO", "base_url": BASE, "call": Row("1427"), "message": Row(),
        "contact": Row(), "sender": Row(), "client": Row(), "supply": Row(), "items": [("TONER", 2, 1000)],
        "files": [("fatura.pdf", f"{BASE}/faturamento/baixar/1")], "status": "Despachado",
        "from_status": "Abertura", "note": None if contact else "Levar toner", "actor": "Ana",
        "changed_at": datetime(2026, 12, 7, 12, 0), "opener": "Ana", "author": "Ana",
        "url": None if contact else f"{BASE}/chamados/show/1427", "link": f"{BASE}/link/abc",
        "name": "Ana", "minutes": 60, "hours": 4, "days": 7, "technician_name": "TECNICO01",
        "assigned": True, "client_name": "JAYOB", "company_name": "REVENDA", "month": 11, "year": 2026,
        "requested_at": "03/11/2026 09:00", "invoice_date": "04/11/2026", "for_contact": contact,
        "file_name": "fatura.pdf", "reason": "Enviado para o mês errado",
        "replacement": ("fatura-certa.pdf", f"{BASE}/faturamento/baixar/2", 12, 2026),
        "unsubscribe_url": None if contact else f"{BASE}/email/descadastrar/abc",
    }


def test_every_kind_is_declared_once_with_a_portuguese_label():
    assert len(NOTIFICATION_KINDS) == len(KINDS) == 17
    for kind in KINDS:
        assert str(kind.label) and not re.search(r"\b(the|of|call|request)\b", str(kind.label), re.I)


VARIANTS = [(kind.name, False) for kind in KINDS if not kind.contact or kind.preference] + [
    (kind.name, True) for kind in KINDS if kind.contact]


@pytest.mark.parametrize("kind,contact", VARIANTS,
                         ids=[f"{k}-{'contato' if c else 'usuário'}" for k, c in VARIANTS])
def test_every_kind_renders_in_portuguese_with_absolute_links(app, kind, contact):
    """Users' copies and, for the kinds the call's contact receives, his (no note, no portal
    page: the pré atendimento thread's own link)."""
    from flask import render_template

    for suffix in ("subject.txt", "txt", "html"):
        assert (TEMPLATES / f"{kind}.{suffix}").is_file(), f"email/{kind}.{suffix}"
    context = _context(contact or not MAIL_KINDS[kind].preference)
    context["for_contact"] = contact
    if contact and kind == "pre_service_message":
        context["url"] = f"{BASE}/pre-atendimento/abc"
    with app.test_request_context():
        subject = render_template(f"email/{kind}.subject.txt", **context).strip()
        text = render_template(f"email/{kind}.txt", **context)
        html = render_template(f"email/{kind}.html", **context)
    assert subject and "\n" not in subject
    for body in (text, html):
        assert "REVENDA MODELO" in body
        assert "Esta mensagem foi enviada por um sistema automático. Por favor, não responda." in body
        assert "{{" not in body and "None" not in body
    assert '<html lang="pt-BR">' in html
    for link in re.findall(r'href="([^"]*)"', html):
        assert link.startswith(BASE + "/"), f"{kind}: relative link {link!r}"
    for link in re.findall(r"https?://\S+", text):
        assert link.startswith(BASE + "/"), f"{kind}: {link!r}"
    if not contact and MAIL_KINDS[kind].preference:
        assert f"{BASE}/email/descadastrar/abc" in text and f"{BASE}/email/descadastrar/abc" in html
    elif contact:
        assert "descadastrar" not in text and "Levar toner" not in text


@pytest.mark.parametrize("kind", sorted(NOTIFICATION_KINDS))
def test_every_kind_extends_the_base(kind):
    for suffix in ("txt", "html"):
        source = (TEMPLATES / f"{kind}.{suffix}").read_text(encoding="utf-8")
        assert f'{{% extends "email/_base.{suffix}" %}}' in source, f"{kind}.{suffix} must extend the base"


def test_the_base_escapes_what_users_typed(app):
    from flask import render_template

    with app.test_request_context():
        html = render_template("email/password_reset.html", dealer_name="REVENDA MODELO", base_url=BASE,
                               name="Ana <b>", link=f"{BASE}/redefinir-senha/abc", minutes=60)
    assert "Ana &lt;b&gt;" in html
