"""recipients_for: the one rule for who receives what (preference, scope, active status)."""
from datetime import datetime

from app.accounts.principal import principal_for_user_id
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.calls.models import PreServiceMessage
from app.contact.models import ContactMessage
from app.core.db import db
from app.core.scoping import get_scoped
from app.deliveries.models import Invoice
from app.notifications.recipients import recipients_for
from tests import factories as f

EVERY_PREFERENCE = {name: True for name in (
    "email_call_opened", "email_call_changed", "email_contact", "email_opportunity",
    "email_supply_request", "email_supply_release")}


def _people():
    company, other = f.company(), f.company()
    a1, a2, b1 = f.client(company), f.client(company), f.client(other)
    t1, t2, c1 = f.technician(), f.technician(), f.carrier()
    users = [
        f.user(ADMIN, **EVERY_PREFERENCE),
        f.user(ATTENDANCE_OPERATOR, [company], **EVERY_PREFERENCE),
        f.user(CALLS_OPERATOR, [company, other], **EVERY_PREFERENCE),
        f.user(SUPPLIES_OPERATOR, [other], **EVERY_PREFERENCE),
        f.user(LOGISTICS_OPERATOR, [company], **EVERY_PREFERENCE),
        f.user(TECHNICIAN, [company], technician=t1, **EVERY_PREFERENCE),
        f.user(TECHNICIAN, [company], technician=t2, **EVERY_PREFERENCE),
        f.user(CARRIER, [company], carrier=c1, **EVERY_PREFERENCE),
        f.user(CLIENT, [company], [a1], client_manager=True, **EVERY_PREFERENCE),
        f.user(CLIENT, [company], [a1], **EVERY_PREFERENCE),
        f.user(CALL_OPENER, [company], [a2], **EVERY_PREFERENCE),
        f.user(BILLING_OPERATOR, [company], [a1, b1], **EVERY_PREFERENCE),
    ]
    return users, (company, other), (a1, a2, b1), (t1, t2, c1)


def test_recipients_of_a_row_are_exactly_the_users_who_may_see_it(app, db_ctx):
    """The inverted rule agrees with the scoping mechanism for every user and every row."""
    with db_ctx() as session:
        users, (company, other), (a1, a2, b1), (t1, t2, c1) = _people()
        opener, opener2 = users[9], users[10]
        calls = [
            f.call(a1, status="A", technician=t1, opened_by=opener),
            f.call(a1, status="L", opened_by=users[8]),
            f.call(a2, status="S", technician=t2, opened_by=opener2),
            f.call(b1, status="M", technician=t1),
        ]
        thread = PreServiceMessage(call_id=calls[0].id, direction="dealer", body="Bom dia")
        invoices = [Invoice(company_id=c.company_id, client_id=c.id, number=str(n), carrier_id=carrier,
                            issued_at=datetime(2026, 11, 1)) for n, (c, carrier) in
                    enumerate(((a1, c1.id), (a2, None), (b1, c1.id)))]
        contact = ContactMessage(company_id=company.id, client_id=a1.id, sender_id=opener.id,
                                 subject="Oi", message="Olá")
        session.add_all([thread, contact, *invoices])
        session.commit()
        rows = [*calls, thread, *invoices, contact]
        wrong = []
        for row in rows:
            received = set(recipients_for("call_changed", row=row))
            for user in users:
                sees = get_scoped(session, type(row), row.id, principal_for_user_id(user.id)) is not None
                if sees != (user.email in received):
                    wrong.append(f"{type(row).__name__} {row.id} / {user.profile} {user.email}: "
                                 f"vê={sees} recebe={user.email in received}")
        assert not wrong, "\n".join(wrong)
        assert len({(r, u) for r in rows for u in users}) > 100  # the check covered the matrix


def test_preference_active_status_and_company_decide(app, db_ctx):
    with db_ctx() as session:
        company, other = f.company(), f.company()
        customer = f.client(company)
        wants = f.user(ATTENDANCE_OPERATOR, [company], email="quer@x.test", email_call_opened=True)
        f.user(ATTENDANCE_OPERATOR, [company], email="nao-quer@x.test")
        f.user(ATTENDANCE_OPERATOR, [other], email="outra@x.test", email_call_opened=True)
        gone = f.user(ATTENDANCE_OPERATOR, [company], email="inativo@x.test", email_call_opened=True)
        admin = f.user(ADMIN, email="admin@x.test", email_call_opened=True)
        f.user(CLIENT, [company], [customer], email="cliente@x.test", email_call_opened=True)
        f.user(CLIENT, [company], [f.client(company)], email="outro-cliente@x.test", email_call_opened=True)
        gone.active = False
        session.commit()
        assert recipients_for("call_opened", company_id=company.id, client_id=customer.id) == [
            "admin@x.test", "cliente@x.test", "quer@x.test"]
        assert recipients_for("call_opened", company_id=company.id, client_id=customer.id,
                              profiles=(ATTENDANCE_OPERATOR,)) == ["quer@x.test"]
        assert recipients_for("call_opened", company_id=company.id, user_ids=[wants.id, admin.id]) == [
            "admin@x.test", "quer@x.test"]
        # a deactivated user stops receiving at once
        wants.active = False
        session.commit()
        assert recipients_for("call_opened", company_id=company.id) == ["admin@x.test"]


def test_contact_kinds_go_to_dealer_staff_only(app, db_ctx):
    with db_ctx():
        company = f.company()
        customer = f.client(company)
        f.user(CLIENT, [company], [customer], email="cliente@x.test", client_manager=True, email_contact=True)
        f.user(SUPPLIES_OPERATOR, [company], email="staff@x.test", email_contact=True, email_opportunity=True)
        assert recipients_for("contact", company_id=company.id, client_id=customer.id) == ["staff@x.test"]
        assert recipients_for("opportunity", company_id=company.id, client_id=customer.id) == ["staff@x.test"]


def test_password_reset_goes_to_the_active_user_himself(app, db_ctx):
    with db_ctx() as session:
        user = f.user(CLIENT, [f.company()], [], email="eu@x.test")
        f.user(ADMIN, email="admin@x.test")
        assert recipients_for("password_reset", user_ids=[user.id]) == ["eu@x.test"]
        user.active = False
        session.commit()
        assert recipients_for("password_reset", user_ids=[user.id]) == []
        db.session.rollback()
