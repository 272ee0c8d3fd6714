"""Every notification kind, with the pt-BR label the admin mail screen shows and filters by.

Each kind has three templates: ``email/<kind>.subject.txt``, ``.txt`` and ``.html``
(tests/test_mail_templates.py checks them). Areas append their kinds here.
"""
from app.core.i18n import lazy_gettext as _l

NOTIFICATION_KINDS = {
    "contact": _l("Contato"),
    "opportunity": _l("Oportunidade Comercial"),
    "password_reset": _l("Redefinir senha"),
    # Areas append theirs: call_opened, call_changed, pre_service_message, pre_service_answer
    # (calls), supply_request, supply_release, billing_files (supplies, billing),
    # survey_invitation (field).
}


def kind_label(kind: str) -> str:
    return str(NOTIFICATION_KINDS.get(kind, kind))
