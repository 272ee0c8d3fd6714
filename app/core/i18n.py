"""Translations looked up once per request: templates and lazy labels ask for dozens a page,
and Flask-Babel finds the catalogue again (context, locale, cache) on every call."""
from flask import g, has_app_context
from flask_babel import get_translations, gettext
from flask_babel.speaklater import LazyString


def translations():
    """The catalogue of this request (or app context), found once."""
    found = g.get("pws_translations")
    if found is None:
        found = g.pws_translations = get_translations()
    return found


class CatalogString(LazyString):
    """Flask-Babel's lazy string, read from the request's catalogue when shown."""

    def __str__(self):
        if not has_app_context():
            return super().__str__()
        message = translations().ugettext(self._args[0])
        return message % self._kwargs if self._kwargs else message


def lazy_gettext(string: str, **variables) -> LazyString:
    """``_l``: translated when shown, as with Flask-Babel's, at a dictionary lookup a use."""
    return CatalogString(gettext, string, **variables)
