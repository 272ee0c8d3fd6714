"""docs/email.md's audience table (kind × profile), written from the kinds' declarations and
the profiles' grants: ``flask pws email-audience`` prints it, a test keeps the doc equal to it."""
from app.accounts.roles import PROFILES, Profile
from app.notifications.kinds import KINDS, MailKind
from app.notifications.recipients import may_receive


def _permissions(profile: Profile) -> frozenset:
    """What the profile's role grants; Admin Revenda holds every permission of the portal."""
    if profile.all_companies:
        return frozenset(("can_read", resource) for kind in KINDS for resource in kind.reads)
    return frozenset((perm, resource) for resource, perms in profile.grants.items() for perm in perms)


def _cell(kind: MailKind, profile: Profile) -> str:
    permissions = _permissions(profile)
    if kind.personal and not kind.reads:
        return "ele mesmo"
    if not kind.reads or not may_receive(kind, profile.name, permissions):
        return "—"
    if kind.personal:
        return "os seus" if profile.own_orders else "—"
    calls = "ServiceCall" in kind.reads
    if kind.managers:
        return "gestor: do cliente" if profile.client_side else "—"
    if profile.all_companies:
        return "todas as empresas"
    if profile.own_orders and calls:
        return "os seus chamados"
    if profile.logistics and calls:
        return "chamados em L ou S"
    if profile.client_side and calls:
        return "gestor: do cliente; outros: os que abriu"
    if profile.client_side:
        return "dos seus clientes"
    return "das suas empresas"


def audience_markdown() -> str:
    header = ["Tipo", "Quando", "Escolha", *(str(p.label) for p in PROFILES), "Contato do chamado"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for kind in KINDS:
        choice = f"`{kind.preference}`" if kind.preference else "—"
        cells = [str(kind.label), str(kind.when), choice, *(_cell(kind, p) for p in PROFILES),
                 "sim" if kind.contact else "—"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
