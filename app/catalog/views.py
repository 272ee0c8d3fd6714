"""Read-mostly screens for the ERP's master data, and the Tabela de defeitos."""
from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _
from markupsafe import Markup

from app.catalog.models import (
    Carrier, Client, Company, Contract, DefectType, Equipment, EquipmentModel, SupplyItem,
    Technician,
)
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.views import PortalModelView, ScopedInterface

READ_ONLY = ["can_read"]
COMMON_LABELS = {
    "erp_id": _l("Código ILUX"), "name": _l("Razão social"), "trade_name": _l("Nome fantasia"),
    "active": _l("Ativo"), "city": _l("Cidade"), "state": _l("UF"), "company": _l("Empresa"),
    "client": _l("Cliente"), "contract": _l("Contrato"), "model": _l("Modelo"),
    "created_at": _l("Incluído em"), "updated_at": _l("Alterado em"), "email": _l("E-mail"),
    "phone": _l("Telefone"),
}


class MasterDataView(PortalModelView):
    """ERP rows are changed by the sync; the portal only lists and shows them."""

    base_permissions = READ_ONLY
    exclude_route_methods = PortalModelView.exclude_route_methods | {
        "add", "edit", "delete", "action", "action_post"}
    label_columns = COMMON_LABELS


class CompanyView(MasterDataView):
    route_base = "/empresas"
    datamodel = ScopedInterface(Company)
    class_permission_name = "Company"
    list_title = show_title = _l("Empresas")
    list_columns = ["erp_id", "name", "trade_name", "cnpj", "city", "state", "parent", "active"]
    show_columns = list_columns
    label_columns = {**COMMON_LABELS, "cnpj": _l("CNPJ"), "parent": _l("Matriz")}


class ClientView(MasterDataView):
    route_base = "/clientes"
    datamodel = ScopedInterface(Client, page_by_keys=True)
    class_permission_name = "Client"
    list_title = show_title = _l("Clientes")
    list_columns = ["erp_id", "trade_name", "name", "cnpj_cpf", "city", "state", "company", "active"]
    show_columns = ["erp_id", "name", "trade_name", "cnpj_cpf", "company", "parent", "address",
                    "district", "zip", "city", "state", "contact_name", "phone", "email", "active"]
    search_columns = ["erp_id", "name", "trade_name", "cnpj_cpf", "city", "state"]
    order_columns = ["name", "trade_name"]
    base_order = ("name", "asc")
    label_columns = {**COMMON_LABELS, "cnpj_cpf": _l("CNPJ/CPF"), "parent": _l("Matriz"),
                     "address": _l("Endereço"), "district": _l("Bairro"), "zip": _l("CEP"),
                     "contact_name": _l("Contato")}


class ContractView(MasterDataView):
    route_base = "/contratos"
    datamodel = ScopedInterface(Contract)
    class_permission_name = "Contract"
    list_title = show_title = _l("Contratos")
    list_columns = ["number", "client", "company", "starts_on", "ends_on", "sla_hours", "active"]
    show_columns = list_columns + ["erp_id"]
    search_columns = ["number", "erp_id", "starts_on", "ends_on"]
    label_columns = {**COMMON_LABELS, "number": _l("Número"), "starts_on": _l("Início"),
                     "ends_on": _l("Término"), "sla_hours": _l("SLA (horas)")}


class EquipmentModelView(MasterDataView):
    route_base = "/modelos"
    datamodel = ScopedInterface(EquipmentModel)
    class_permission_name = "EquipmentModel"
    list_title = show_title = _l("Modelos de equipamento")
    list_columns = ["name", "manufacturer", "erp_id", "active"]
    show_columns = list_columns
    base_order = ("name", "asc")
    label_columns = {**COMMON_LABELS, "name": _l("Modelo"), "manufacturer": _l("Fabricante")}


def label_link(equipment_id) -> Markup | str:
    """The QR label of a listed equipment, for those who may print labels."""
    if not current_app.appbuilder.sm.has_access("can_read", "EquipmentLabel"):
        return ""
    return Markup('<a href="{}" target="_blank" title="{}"><i class="fa fa-qrcode"></i></a>').format(
        url_for("LabelView.label", pk=equipment_id), _("Etiqueta do equipamento"))


class EquipmentView(MasterDataView):
    route_base = "/equipamentos"
    datamodel = ScopedInterface(Equipment, page_by_keys=True)
    class_permission_name = "Equipment"
    list_title = show_title = _l("Equipamentos")
    show_template = "catalog/equipment_show.html"
    list_columns = ["serial", "asset_tag", "model", "client", "contract", "city", "state", "active", "id"]
    formatters_columns = {"id": label_link}
    show_columns = ["serial", "asset_tag", "model", "client", "company", "contract", "department",
                    "location", "city", "state", "erp_id", "active"]
    search_columns = ["serial", "asset_tag", "department", "location", "city", "state"]
    order_columns = ["serial"]
    base_order = ("serial", "asc")
    label_columns = {**COMMON_LABELS, "serial": _l("Série"), "asset_tag": _l("Patrimônio"),
                     "department": _l("Departamento"), "location": _l("Local de Instalação"),
                     "id": _l("Etiqueta")}


class SupplyItemView(MasterDataView):
    route_base = "/itens-suprimento"
    datamodel = ScopedInterface(SupplyItem)
    class_permission_name = "SupplyItem"
    list_title = show_title = _l("Suprimentos")
    list_columns = ["name", "page_yield", "erp_id", "active"]
    show_columns = ["name", "page_yield", "models", "erp_id", "active"]
    label_columns = {**COMMON_LABELS, "name": _l("Suprimento"), "page_yield": _l("Rendimento (páginas)"),
                     "models": _l("Modelos compatíveis")}


class TechnicianView(MasterDataView):
    route_base = "/tecnicos"
    datamodel = ScopedInterface(Technician)
    class_permission_name = "Technician"
    list_title = show_title = _l("Técnicos")
    list_columns = ["name", "email", "phone", "erp_id", "active"]
    show_columns = list_columns
    label_columns = {**COMMON_LABELS, "name": _l("Nome")}
    # The last position is shown on the map (Acompanhamento), not searched for.
    search_exclude_columns = ["last_latitude", "last_longitude", "last_accuracy_m", "last_position_at"]


class CarrierView(MasterDataView):
    route_base = "/transportadoras"
    datamodel = ScopedInterface(Carrier)
    class_permission_name = "Carrier"
    list_title = show_title = _l("Transportadoras")
    list_columns = ["name", "document", "email", "erp_id", "active"]
    show_columns = list_columns
    label_columns = {**COMMON_LABELS, "name": _l("Nome"), "document": _l("CNPJ/CPF")}


DEFECT_CATEGORY_LABELS = {
    DefectType.WITH_CONTRACT: _l("Equipamentos Com Contrato"),
    DefectType.WITHOUT_CONTRACT: _l("Equipamentos Sem Contrato"),
    DefectType.CONTRACT: _l("Contratos Chamados"),
}


class DefectTypeView(PortalModelView):
    """Tabela de defeitos (§3.1): the admin ticks which ERP defects the portal offers."""

    route_base = "/defeitos"
    datamodel = ScopedInterface(DefectType)
    class_permission_name = "DefectType"
    base_permissions = ["can_read", "can_write"]
    list_template = "pws/defect_list.html"
    list_title = _l("Lista de Tipo de Defeitos")
    show_title = edit_title = _l("Tipo de defeito")
    list_columns = ["erp_id", "name", "listed_on_portal"]
    show_columns = ["erp_id", "name", "category", "listed_on_portal", "active"]
    edit_columns = ["listed_on_portal"]
    search_columns = ["erp_id", "name", "listed_on_portal"]
    order_columns = ["erp_id", "name", "listed_on_portal"]
    base_order = ("erp_id", "asc")
    base_filters = [["active", FilterEqual, True]]
    formatters_columns = {"category": lambda value: DEFECT_CATEGORY_LABELS.get(value, value)}
    label_columns = {"erp_id": _l("#"), "name": _l("Defeito"), "category": _l("Lista"),
                     "listed_on_portal": _l("Listar no portal"), "active": _l("Ativo")}
    exclude_route_methods = PortalModelView.exclude_route_methods | {"add", "delete"}
    method_permission_name = {**PortalModelView.method_permission_name,
                              "list_on_portal": "write", "unlist_on_portal": "write"}

    def current_category(self) -> str:
        category = request.args.get("categoria")
        return category if category in DefectType.CATEGORIES else DefectType.WITH_CONTRACT

    def _get_list_widget(self, filters, **kwargs):
        filters = filters.copy()
        filters.add_filter("category", FilterEqual, self.current_category())
        return super()._get_list_widget(filters, **kwargs)

    def render_template(self, template, **kwargs):
        kwargs.setdefault("defect_categories", DEFECT_CATEGORY_LABELS)
        kwargs.setdefault("current_category", self.current_category())
        return super().render_template(template, **kwargs)

    def _set_listed(self, items, listed: bool):
        items = items if isinstance(items, list) else [items]
        for item in items:
            item.listed_on_portal = listed
        db.session.commit()
        flash(_("%(count)d defeito(s) atualizado(s).", count=len(items)), "success")
        return redirect(request.referrer or url_for(".list"))

    @action("list_on_portal", _l("Listar no portal"), icon="fa-check", single=False)
    def list_on_portal(self, items):
        return self._set_listed(items, True)

    @action("unlist_on_portal", _l("Não listar no portal"), icon="fa-ban", single=False)
    def unlist_on_portal(self, items):
        return self._set_listed(items, False)


MASTER_DATA_VIEWS = (
    (CompanyView, "Companies", _l("Empresas"), "fa-building"),
    (ClientView, "Clients", _l("Clientes"), "fa-address-book"),
    (ContractView, "Contracts", _l("Contratos"), "fa-file-text"),
    (EquipmentView, "Equipment", _l("Equipamentos"), "fa-print"),
    (EquipmentModelView, "EquipmentModels", _l("Modelos de equipamento"), "fa-cubes"),
    (SupplyItemView, "SupplyItems", _l("Suprimentos"), "fa-tint"),
    (TechnicianView, "Technicians", _l("Técnicos"), "fa-wrench"),
    (CarrierView, "Carriers", _l("Transportadoras"), "fa-truck"),
)


def register(appbuilder):
    appbuilder.add_view(DefectTypeView, "DefectTypes", label=_l("Tabela de defeitos"),
                        icon="fa-list", category="Config", category_label=_l("Configurações"),
                        category_icon="fa-cog")
    for view, name, label, icon in MASTER_DATA_VIEWS:
        appbuilder.add_view(view, name, label=label, icon=icon, category="MasterData",
                            category_label=_l("Cadastros ILUX"), category_icon="fa-database")
