"""The audience rule at the service level: choice, active status, page permission and scope.

tests/test_mail_audience.py proves the same through HTTP over every kind and profile.
"""
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.contact.models import ContactMessage
from app.notifications.recipients import account_holders, readers
from tests import factories as f


def _addresses(recipients):
    return [r.address for r in recipients]


def test_choice_active_status_and_company_decide(app, db_ctx):
    with db_ctx() as session:
        company, other = f.company(), f.company()
        customer = f.client(company)
        wants = f.user(ATTENDANCE_OPERATOR, [company], email="quer@x.test", email_call_opened=True)
        f.user(ATTENDANCE_OPERATOR, [company], email="nao-quer@x.test")
        f.user(ATTENDANCE_OPERATOR, [other], email="outra@x.test", email_call_opened=True)
        gone = f.user(ATTENDANCE_OPERATOR, [company], email="inativo@x.test", email_call_opened=True)
        f.user(ADMIN, email="admin@x.test", email_call_opened=True)
        f.user(CLIENT, [company], [customer], email="cliente@x.test", client_manager=True, email_call_opened=True)
        f.user(CLIENT, [company], [f.client(company)], email="outro-cliente@x.test", email_call_opened=True)
        gone.active = False
        session.commit()
        call = f.call(customer, status="A")
        assert _addresses(readers("call_opened", call)) == ["admin@x.test", "cliente@x.test", "quer@x.test"]
        assert _addresses(readers("call_opened", call, among=[wants.id])) == ["quer@x.test"]
        wants.active = False  # a deactivated user stops receiving at once
        session.commit()
        assert _addresses(readers("call_opened", call)) == ["admin@x.test", "cliente@x.test"]


def test_profiles_who_cannot_open_the_call_get_nothing(app, db_ctx):
    """The leak of issue 15: an "Abertura de Chamados" user, a técnico of another technician and
    a non-gestor client who did not open the call ticked the choice and can not open the call."""
    with db_ctx():
        company = f.company()
        customer = f.client(company)
        tech, other_tech = f.technician(), f.technician()
        everyone = {"email_call_changed": True}
        f.user(CALL_OPENER, [company], [customer], email="abertura@x.test", **everyone)
        f.user(CLIENT, [company], [customer], email="cliente@x.test", **everyone)
        f.user(CLIENT, [company], [customer], email="gestor@x.test", client_manager=True, **everyone)
        f.user(TECHNICIAN, [company], technician=other_tech, email="outro-tecnico@x.test", **everyone)
        f.user(TECHNICIAN, [company], technician=tech, email="tecnico@x.test", **everyone)
        f.user(SUPPLIES_OPERATOR, [company], email="suprimentos@x.test", **everyone)
        f.user(CALLS_OPERATOR, [company], email="chamados@x.test", **everyone)
        call = f.call(customer, status="E", technician=tech)
        assert _addresses(readers("call_changed", call)) == [
            "chamados@x.test", "gestor@x.test", "tecnico@x.test"]


def test_contact_kinds_go_to_the_staff_who_can_open_the_inbox(app, db_ctx):
    with db_ctx() as session:
        company = f.company()
        customer = f.client(company)
        sender = f.user(CLIENT, [company], [customer], email="cliente@x.test", client_manager=True,
                        email_contact=True)
        f.user(SUPPLIES_OPERATOR, [company], email="suprimentos@x.test", email_contact=True)
        f.user(ATTENDANCE_OPERATOR, [company], email="atendimento@x.test", email_contact=True,
               email_opportunity=True)
        row = ContactMessage(company_id=company.id, client_id=customer.id, sender_id=sender.id,
                             kind="contact", subject="Oi", message="Olá")
        session.add(row)
        session.commit()
        assert _addresses(readers("contact", row)) == ["atendimento@x.test"]
        assert _addresses(readers("opportunity", row)) == ["atendimento@x.test"]


def test_password_reset_goes_to_the_active_user_himself(app, db_ctx):
    with db_ctx() as session:
        user = f.user(CLIENT, [f.company()], [], email="eu@x.test")
        f.user(ADMIN, email="admin@x.test")
        assert _addresses(account_holders("password_reset", [user.id])) == ["eu@x.test"]
        user.active = False
        session.commit()
        assert account_holders("password_reset", [user.id]) == []
