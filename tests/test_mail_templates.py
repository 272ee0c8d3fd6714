"""Every notification kind has its pt-BR subject, text and HTML templates, built on the base."""
from pathlib import Path

import pytest

from app.notifications.kinds import NOTIFICATION_KINDS

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates" / "email"


@pytest.mark.parametrize("kind", sorted(NOTIFICATION_KINDS))
def test_every_kind_has_its_three_templates_on_the_base(kind):
    for suffix in ("subject.txt", "txt", "html"):
        assert (TEMPLATES / f"{kind}.{suffix}").is_file(), f"email/{kind}.{suffix}"
    for suffix in ("txt", "html"):
        source = (TEMPLATES / f"{kind}.{suffix}").read_text(encoding="utf-8")
        assert f'{{% extends "email/_base.{suffix}" %}}' in source, f"{kind}.{suffix} must extend the base"


def test_the_base_carries_dealer_portal_link_and_no_reply_notice(app):
    from flask import render_template

    with app.test_request_context():
        for suffix in ("txt", "html"):
            body = render_template(f"email/password_reset.{suffix}", dealer_name="REVENDA MODELO",
                                   base_url="https://portal.revenda.com.br", name="Ana <b>",
                                   link="https://portal.revenda.com.br/redefinir-senha/abc", minutes=60)
            assert "REVENDA MODELO" in body
            assert "https://portal.revenda.com.br/" in body
            assert "Esta mensagem foi enviada por um sistema automático. Por favor, não responda." in body
            assert ("Ana &lt;b&gt;" if suffix == "html" else "Ana <b>") in body
