"""The ten profiles of the manual (§3.2.1) and the extra functions, declared in one place.

Each view and API names its resource with ``class_permission_name`` and maps its methods to
``can_read`` / ``can_write`` (see app.core.views). A profile grants resources; the menu entries
of the views it can read follow from that. ``flask pws init`` writes these to the database,
where the admin can still grant a user extra functions (the "Função: …" roles).
"""
from dataclasses import dataclass, field

from app.core.i18n import lazy_gettext as _l

READ, WRITE = "can_read", "can_write"
RW = (READ, WRITE)


@dataclass(frozen=True)
class Profile:
    name: str
    label: str
    client_side: bool = False
    all_companies: bool = False
    own_orders: bool = False
    own_carrier: bool = False
    logistics: bool = False
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)


MASTER_DATA_READ = {
    "Client": (READ,), "Contract": (READ,), "Equipment": (READ,), "EquipmentModel": (READ,),
}
# Every logged-in user: his dashboard, LGPD consent, his own profile and password.
EVERYONE = {
    "Dashboard": (READ,), "Consent": RW,
    "PortalUserView": ("can_userinfo", "userinfoedit", "resetmypassword"),
    "UserInfoEditView": ("can_this_form_get", "can_this_form_post"),
    "ResetMyPasswordView": ("can_this_form_get", "can_this_form_post"),
}

ADMIN = "Admin Revenda"
ATTENDANCE_OPERATOR = "Operador de Atendimento"
CALLS_OPERATOR = "Operador de Chamados"
SUPPLIES_OPERATOR = "Operador de Suprimentos"
LOGISTICS_OPERATOR = "Operador de Logística"
TECHNICIAN = "Técnico"
CARRIER = "Transportador"
CLIENT = "Cliente"
CALL_OPENER = "Abertura de Chamados"
BILLING_OPERATOR = "Operador Faturamento"

# "ServiceCall" write means "may move the call through the flow": which move each profile may
# make is declared in app.calls.services.TRANSITIONS.
PROFILES: tuple[Profile, ...] = (
    Profile(ADMIN, _l("Admin Revenda"), all_companies=True),
    Profile(ATTENDANCE_OPERATOR, _l("Operador de Atendimento"), grants={
        **EVERYONE, **MASTER_DATA_READ, "Monitoring": (READ,), "SlaReport": (READ,), "Indicators": (READ,),
        "EquipmentLabel": (READ,),
        "ServiceCall": RW, "CallOpening": (WRITE,), "PreService": RW, "Attendance": (READ,),
        "TechnicianTracking": (READ,), "SupplyRequest": RW, "SupplyOpening": (WRITE,),
        "Delivery": (READ,), "Survey": (READ,), "ContactInbox": (READ,), "PartsRequest": (READ,),
    }),
    Profile(CALLS_OPERATOR, _l("Operador de Chamados"), grants={
        **EVERYONE, **MASTER_DATA_READ, "Monitoring": (READ,), "SlaReport": (READ,), "Indicators": (READ,),
        "EquipmentLabel": (READ,),
        "ServiceCall": RW, "CallOpening": (WRITE,), "PreService": RW, "Attendance": (READ,),
        "PartsRequest": (READ,),
    }),
    Profile(SUPPLIES_OPERATOR, _l("Operador de Suprimentos"), grants={
        **EVERYONE, **MASTER_DATA_READ, "SupplyRequest": RW, "SupplyOpening": (WRITE,),
        "EquipmentLabel": (READ,),
    }),
    Profile(LOGISTICS_OPERATOR, _l("Operador de Logística"), logistics=True, grants={
        **EVERYONE, "ServiceCall": RW, "PartsRequest": RW,  # marks parts separated / sent / received
    }),
    Profile(TECHNICIAN, _l("Técnico"), own_orders=True, grants={
        **EVERYONE, "Equipment": (READ,), "ServiceCall": RW, "CallOpening": (WRITE,),
        "Attendance": RW, "TechnicianApp": RW, "SupplyOpening": (WRITE,),
        "PartsRequest": RW,  # requests parts for his calls
    }),
    Profile(CARRIER, _l("Transportador"), own_carrier=True, grants={
        **EVERYONE, "Delivery": RW,
    }),
    Profile(CLIENT, _l("Cliente"), client_side=True, grants={
        **EVERYONE, "Equipment": (READ,), "ServiceCall": RW, "CallOpening": (WRITE,),
        "PreService": RW, "Attendance": (READ,), "SupplyRequest": (READ,),
        "SupplyOpening": (WRITE,), "ContactMessage": (WRITE,), "BillingFile": (READ,),
        "Survey": (WRITE,), "Delivery": (READ,), "Indicators": (READ,),
    }),
    Profile(CALL_OPENER, _l("Abertura de Chamados"), client_side=True, grants={
        **EVERYONE, "Equipment": (READ,), "ServiceCall": RW, "CallOpening": (WRITE,),
        "PreService": RW,
    }),
    Profile(BILLING_OPERATOR, _l("Operador Faturamento"), client_side=True, grants={
        **EVERYONE, "BillingFile": (READ,),
    }),
)

# Extra functions (§3.2.1.3 "adicione funções"): roles that add permissions, never scope.
FUNCTION_PREFIX = "Função: "
FUNCTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    FUNCTION_PREFIX + "Abrir chamado": {"CallOpening": (WRITE,), "Equipment": (READ,)},
    FUNCTION_PREFIX + "Solicitar suprimentos": {"SupplyOpening": (WRITE,), "Equipment": (READ,)},
    FUNCTION_PREFIX + "Rastreamento de técnicos": {"TechnicianTracking": (READ,)},
    FUNCTION_PREFIX + "Contato": {"ContactMessage": (WRITE,)},
    FUNCTION_PREFIX + "Arquivos de faturamento": {"BillingFile": (READ,)},
}

PROFILE_NAMES = tuple(p.name for p in PROFILES)
_BY_NAME = {p.name: p for p in PROFILES}


def profile_named(name: str | None) -> Profile | None:
    return _BY_NAME.get(name or "")


def grants_for_role(role_name: str) -> dict[str, tuple[str, ...]]:
    profile = profile_named(role_name)
    if profile is not None:
        return profile.grants
    return FUNCTIONS.get(role_name, {})


# "Perfis e funções" (§3.2.1): what each profile and function may do, area by area, in the
# admin's words. Every resource a view declares belongs to one area (tests/test_user_lifecycle.py);
# the resources every user has (EVERYONE) are said once above the matrix.
AREAS: tuple[tuple[object, tuple[str, ...]], ...] = (
    (_l("Chamados"), ("ServiceCall", "CallOpening", "SlaReport")),
    (_l("Pré atendimento"), ("PreService",)),
    (_l("Atendimentos técnicos"), ("Attendance", "TechnicianApp", "Survey")),
    (_l("Peças solicitadas"), ("PartsRequest",)),
    (_l("Rastreamento de técnicos"), ("TechnicianTracking",)),
    (_l("Monitoramento"), ("Monitoring",)),
    (_l("Indicadores"), ("Indicators",)),
    (_l("Suprimentos"), ("SupplyRequest", "SupplyOpening")),
    (_l("Entregas"), ("Delivery",)),
    (_l("Faturamento"), ("BillingFile",)),
    (_l("Contato"), ("ContactMessage", "ContactInbox")),
    (_l("Cadastros ILUX"), ("Client", "Contract", "Equipment", "EquipmentModel", "EquipmentLabel",
                            "Company", "Technician", "Carrier", "SupplyItem")),
    (_l("Configurações"), ("PortalUserView", "ProfileMatrix", "DefectType", "BusinessCalendar", "CallSettings",
                           "Outbox", "SyncToken", "ConsentDocument", "ConsentDecision", "DataRequest",
                           "ObjectChange")),
)
NONE, SEE, CHANGE = "", "ver", "alterar"
EVERYONE_LABEL = _l("Todos os perfis têm o seu painel, Meus dados, a troca da própria senha e o "
                    "consentimento LGPD.")


def area_levels(role_name: str) -> list[str]:
    """Per area: "alterar" (a write), "ver" (reads only) or "" (nothing), as declared."""
    if role_name == ADMIN:
        return [CHANGE for _area in AREAS]
    grants = grants_for_role(role_name)
    levels = []
    for _label, resources in AREAS:
        granted = [perm for resource in resources for perm in grants.get(resource, ())
                   if perm not in EVERYONE.get(resource, ())]
        levels.append(CHANGE if any(perm != READ for perm in granted) else SEE if granted else NONE)
    return levels


def matrix() -> list[tuple[str, object, list[str]]]:
    """(role name, label, level per area) for the ten profiles, then the functions."""
    rows = [(p.name, p.label, area_levels(p.name)) for p in PROFILES]
    return rows + [(name, name, area_levels(name)) for name in FUNCTIONS]
