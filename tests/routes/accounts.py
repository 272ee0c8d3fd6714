"""Routes of Redefinir senha, the LGPD pages of every user and the admin's LGPD screens."""
from app.accounts.models import ConsentDecision, DataRequest
from app.core.db import db
from tests import factories as f
from tests.access import ADMIN, LOGGED_IN, allow, public


def build(ids, users):
    document = f.consent_document("terms")
    decision = ConsentDecision(user_id=ids["user"], document_id=document.id, choice=ConsentDecision.ACCEPTED)
    request = DataRequest(user_id=ids["user"], kind=DataRequest.ERASURE)
    db.session.add_all([decision, request])
    db.session.commit()
    return {"consent_document": document.id, "consent_decision": decision.id, "data_request": request.id}


ROUTES = {
    # Redefinir senha: public, one answer for everyone
    ("GET", "/redefinir-senha/"): public(200),
    ("POST", "/redefinir-senha/#email=alvo@revenda.test"): public(200),
    ("GET", "/redefinir-senha/token-inexistente"): public(404),
    ("POST", "/redefinir-senha/token-inexistente#password=nova-senha-1&confirm=nova-senha-1"): public(404),
    # LGPD: every logged-in user
    ("GET", "/lgpd/consentimento"): allow(*LOGGED_IN),
    ("POST", "/lgpd/consentimento#acao=agora-nao"): allow(*LOGGED_IN, ok=302),
    ("GET", "/lgpd/documento/{consent_document}"): allow(*LOGGED_IN),
    ("GET", "/lgpd/meus-dados"): allow(*LOGGED_IN),
    ("POST", "/lgpd/meus-dados/exportar"): allow(*LOGGED_IN),
    ("POST", "/lgpd/meus-dados/exclusao"): allow(*LOGGED_IN, ok=302),
    # Documentos, aceites e solicitações LGPD (admin)
    ("GET", "/documentos-lgpd/list/"): allow(ADMIN),
    ("GET", "/documentos-lgpd/show/{consent_document}"): allow(ADMIN),
    ("GET", "/documentos-lgpd/add"): allow(ADMIN),
    ("POST", "/documentos-lgpd/add"): allow(ADMIN),
    ("GET", "/aceites-lgpd/list/"): allow(ADMIN),
    ("GET", "/aceites-lgpd/list/?usuario=alvo@revenda.test&decisao=accepted"): allow(ADMIN),
    ("GET", "/aceites-lgpd/show/{consent_decision}"): allow(ADMIN),
    ("GET", "/solicitacoes-lgpd/list/"): allow(ADMIN),
    ("GET", "/solicitacoes-lgpd/show/{data_request}"): allow(ADMIN),
    ("POST", "/solicitacoes-lgpd/action/reject/{data_request}"): allow(ADMIN, ok=302),
    ("POST", "/solicitacoes-lgpd/action/anonymize/{data_request}"): allow(ADMIN, ok=302),
    # a single-row action
    ("POST", "/solicitacoes-lgpd/action_post#action=anonymize&rowid={data_request}"): allow(ADMIN, ok=404),
    # the admin anonymises a user from his page (Administrar usuários)
    ("POST", "/solicitacoes-lgpd/anonimizar-usuario/{user}"): allow(ADMIN, ok=302),
}
