"""Every e-mail kind the portal sends, declared once: its pt-BR label, the "Recebe e-mail de"
choice that asks for it, the screens its link opens and who besides portal users gets it.

Each kind has three templates: ``email/<kind>.subject.txt``, ``.txt`` and ``.html``
(tests/test_mail_templates.py renders them). app.notifications.recipients turns a declaration
into the people who receive one message: the users who can open the row's page (the same
permissions and scope the views use) and chose the kind. docs/email.md is written from here.
"""
from dataclasses import dataclass

from app.core.i18n import lazy_gettext as _l

CLIENT_SIDE, DEALER_SIDE = "client", "dealer"


@dataclass(frozen=True)
class MailKind:
    name: str
    label: object
    # The PortalUser column ("Recebe e-mail de …") that asks for this kind; None: not chosen by
    # users (their own account, or only the call's contact).
    preference: str | None = None
    # The FAB resources (can_read) the page the e-mail links to needs: a user receives the
    # e-mail only when he can open that page for the row.
    reads: tuple[str, ...] = ()
    # Narrows the audience to one side of the conversation (pré atendimento).
    side: str | None = None
    # The call's contact (a name and address typed at opening or sent by the ERP, who may have
    # no login) receives it too, in a version without the portal's internal details.
    contact: bool = False
    # Sent to the users it is about (his password, his dispatched calls), not to a row's readers.
    personal: bool = False
    # Only the client's gestor (client_manager): figures of the whole client, not of one user.
    managers: bool = False
    # What it says, for the audience table of docs/email.md.
    when: object = ""


KINDS: tuple[MailKind, ...] = (
    MailKind("call_opened", _l("Abertura de chamado"), "email_call_opened", ("ServiceCall",),
             contact=True, when=_l("um chamado é aberto no portal ou no ILUX")),
    MailKind("call_changed", _l("Alteração de chamado"), "email_call_changed", ("ServiceCall",),
             contact=True, when=_l("o status de um chamado muda (portal ou ILUX)")),
    MailKind("call_assignment", _l("Chamado despachado para o técnico"), "email_call_assignment",
             ("ServiceCall",), personal=True,
             when=_l("um chamado é despachado para o técnico ou retirado dele")),
    MailKind("pre_service_message", _l("Pré atendimento: mensagem da revenda"), "email_pre_service",
             ("ServiceCall", "PreService"), side=CLIENT_SIDE, contact=True,
             when=_l("a revenda escreve no pré atendimento de um chamado")),
    MailKind("pre_service_answer", _l("Pré atendimento: resposta do cliente"), "email_pre_service",
             ("ServiceCall", "PreService"), side=DEALER_SIDE,
             when=_l("o cliente ou o contato do chamado responde no pré atendimento")),
    MailKind("supply_request", _l("Solicitação de suprimentos"), "email_supply_request",
             ("SupplyRequest",), when=_l("uma solicitação de suprimentos é feita")),
    MailKind("supply_release", _l("Liberação de suprimentos"), "email_supply_release",
             ("SupplyRequest",), when=_l("uma solicitação de suprimentos é faturada")),
    MailKind("billing_files", _l("Arquivos de faturamento"), "email_billing_files", ("BillingFile",),
             side=CLIENT_SIDE, when=_l("arquivos de faturamento de um cliente são publicados")),
    MailKind("billing_correction", _l("Correção de arquivo de faturamento"), personal=True,
             when=_l("a revenda remove ou substitui um arquivo de faturamento enviado por engano "
                     "(a quem recebeu o e-mail com o arquivo)")),
    MailKind("contact", _l("Contato"), "email_contact", ("ContactInbox",),
             when=_l("um usuário envia uma mensagem de contato")),
    MailKind("opportunity", _l("Oportunidade Comercial"), "email_opportunity", ("ContactInbox",),
             when=_l("um usuário envia uma oportunidade comercial")),
    MailKind("password_reset", _l("Redefinir senha"), personal=True,
             when=_l("o usuário pede para redefinir a senha, ou o administrador envia o link")),
    MailKind("invitation", _l("Convite de acesso"), personal=True,
             when=_l("o administrador cadastra o usuário ou reenvia o convite")),
    MailKind("technician_on_the_way", _l("Técnico a caminho"), contact=True,
             when=_l("o técnico inicia o deslocamento até o cliente")),
    MailKind("survey_invitation", _l("Pesquisa de satisfação"), contact=True,
             when=_l("o atendimento é concluído")),
    MailKind("monthly_indicators", _l("Indicadores do mês"), "email_indicators", ("Indicators",),
             side=CLIENT_SIDE, managers=True,
             when=_l("no primeiro dia útil do mês, com o link do PDF dos indicadores do mês anterior")),
    # To the address typed as a call's contact when the client is not known to use it; the only
    # e-mail that address gets until its owner confirms it (app.notifications.contacts).
    MailKind("contact_confirmation", _l("Confirmação do e-mail do contato"), contact=True,
             when=_l("um chamado é aberto com um e-mail de contato ainda não confirmado para o cliente")),
)
MAIL_KINDS = {kind.name: kind for kind in KINDS}
# Kind -> label, for the outbox screen's "Tipo" column and filter.
NOTIFICATION_KINDS = {kind.name: kind.label for kind in KINDS}


def kind_label(kind: str) -> str:
    return str(NOTIFICATION_KINDS.get(kind, kind))
