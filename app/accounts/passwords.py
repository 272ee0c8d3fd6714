"""The one password policy: every form that sets a password validates with it (docs/security.md).

At least MIN_LENGTH characters, not one of the common passwords shipped in
``data/common-passwords.txt.gz`` (see data/README.md), and not the user's e-mail nor its part
before the "@". ``check_password_policy`` answers for services; ``PasswordPolicy`` is the
WTForms validator (the reset link, "Redefinir minha senha", the admin's forms).
"""
import gzip
from functools import cache
from pathlib import Path

from flask import g
from flask_babel import gettext as _
from wtforms.validators import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password_policy(password: str | None, email: str | None = None) -> str | None:
    """Why this password may not be used (pt-BR), or None when it may."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("A senha deve ter ao menos %(min)d caracteres.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("A senha deve ter no máximo %(max)d caracteres.", max=MAX_LENGTH)
    folded = password.strip().lower()
    address = (email or "").strip().lower()
    if address and folded in {address, address.partition("@")[0]}:
        return _("A senha não pode ser o seu e-mail.")
    if folded in common_passwords():
        return _("Esta senha está na lista de senhas mais usadas ou vazadas. Escolha outra.")
    return None


class PasswordPolicy:
    """WTForms validator for a new password. The e-mail it is compared with: the form's
    ``email`` field (a form creating a user), else ``form.owner_email`` (set by the view for
    the user whose password is set), else the logged-in user's (his own password)."""

    def __call__(self, form, field):
        problem = check_password_policy(field.data, self._email(form))
        if problem:
            raise ValidationError(problem)

    @staticmethod
    def _email(form) -> str | None:
        if "email" in form and form.email.data:
            return form.email.data
        owner = getattr(form, "owner_email", None)
        if owner:
            return owner
        user = g.get("user")
        return getattr(user, "email", None) if getattr(user, "is_authenticated", False) else None
