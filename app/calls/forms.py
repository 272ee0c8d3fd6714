"""Forms of the chamados screens (Flask-WTF: every POST carries its CSRF token)."""
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from app.calls import files
from app.calls.models import CallStatusChange, PreServiceMessage, ServiceCall
from app.core.bounds import ColumnBoundForm
from app.core.i18n import lazy_gettext as _l


def _checked_files(form, field):
    """Validates every uploaded file by content; the safe copies go to ``field.checked``."""
    uploads = [f for f in (field.data or []) if getattr(f, "filename", "")]
    limit = current_app.config["PWS_CALL_ATTACHMENT_MAX_FILES"]
    if len(uploads) > limit:
        raise ValidationError(_l("Envie no máximo %(count)d arquivos.", count=limit))
    checked = []
    for upload in uploads:
        try:
            checked.append(files.check_upload(upload.filename, upload.stream))
        except files.UploadError as error:
            raise ValidationError(str(error)) from error
    field.checked = checked


class OpenCallForm(ColumnBoundForm, FlaskForm):
    # The service checks the defect against the equipment's listed defects (pt-BR message).
    defect_type = SelectField(_l("Tipo de defeito"), coerce=int, validate_choice=False,
                              validators=[DataRequired(_l("Selecione o tipo de defeito."))])
    description = TextAreaField(_l("Descrição do problema"), validators=[
        DataRequired(_l("Descreva o problema."))])
    contact_name = StringField(_l("Nome do contato"), validators=[
        DataRequired(_l("Informe o nome do contato."))])
    contact_phone = StringField(_l("Telefone do contato"), validators=[
        DataRequired(_l("Informe o telefone do contato."))])
    contact_email = StringField(_l("E-mail do contato"), validators=[
        DataRequired(_l("Informe o e-mail do contato.")),
        Email(_l("Informe um e-mail válido."), check_deliverability=False)])
    # Only for a call by contract without an equipment (the service requires it there).
    service_address = StringField(_l("Endereço do atendimento"), validators=[Optional()])
    bounded_by = {"description": ServiceCall.description, "contact_name": ServiceCall.contact_name,
                  "contact_phone": ServiceCall.contact_phone, "contact_email": ServiceCall.contact_email,
                  "service_address": ServiceCall.service_address}
    attachments = MultipleFileField(_l("Anexos (imagens ou PDF)"), validators=[_checked_files])


class PreServiceForm(ColumnBoundForm, FlaskForm):
    body = TextAreaField(_l("Mensagem"), validators=[DataRequired(_l("Escreva a mensagem."))])
    bounded_by = {"body": PreServiceMessage.body}
    attachments = MultipleFileField(_l("Anexos (imagens ou PDF)"), validators=[_checked_files])


class StatusForm(ColumnBoundForm, FlaskForm):
    note = TextAreaField(_l("Observação"), validators=[Optional()])
    bounded_by = {"note": CallStatusChange.note}
    technician = SelectField(_l("Técnico"), coerce=int, validators=[Optional()],
                             validate_choice=False)
