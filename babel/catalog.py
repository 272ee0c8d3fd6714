"""Rebuilds babel/translations/pt_BR/LC_MESSAGES/messages.po (``make catalog``).

Message ids of PWS are the pt-BR text itself, so their translation is the id. The catalog
exists to translate Flask-AppBuilder's English strings (its shipped pt_BR catalog is stale
and incomplete) — those translations are kept by hand in the .po file. New FAB ids start
from FAB's own pt_BR catalog; whatever is still empty is listed and fails the test suite.
"""
from io import BytesIO
from pathlib import Path

import flask_appbuilder
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "babel" / "translations" / "pt_BR" / "LC_MESSAGES" / "messages.po"
FAB_DIR = Path(flask_appbuilder.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
JINJA_OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}}


def _extract(directory: Path, prefix: str):
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(directory), METHODS, keywords=KEYWORDS, options_map=JINJA_OPTIONS,
    ):
        yield message, (f"{prefix}/{filename}", lineno)


def _msgid(message):
    return message if isinstance(message, str) else message[0]


def build() -> tuple[Catalog, list[str]]:
    existing = {}
    if PO_PATH.exists():
        with PO_PATH.open("rb") as handle:
            existing = {m.id: m.string for m in read_po(handle) if m.id}
    with (FAB_DIR / "translations" / "pt_BR" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        fab_pt = {m.id: m.string for m in read_po(handle) if m.id}

    catalog = Catalog(locale="pt_BR", project="PWS", charset="utf-8", fuzzy=False)
    ours, english = set(), set()
    for message, location in _extract(ROOT / "app", "app"):
        ours.add(_msgid(message))
        catalog.add(message, locations=[location])
    for message, location in _extract(FAB_DIR, "flask_appbuilder"):
        english.add(_msgid(message))
        catalog.add(message, locations=[location])
    ours -= english  # an English FAB id used in our templates still needs a real translation

    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id
        previous = existing.get(key) or fab_pt.get(key)
        if _msgid(key) in english and previous == key:
            previous = None  # an identity "translation" of an English string is no translation
        if _msgid(message.id) in ours:
            message.string = previous or (key if isinstance(key, str) else key)
        else:
            message.string = previous or ("" if isinstance(key, str) else ("", ""))
        if not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            untranslated.append(_msgid(key))
    return catalog, untranslated


def main():
    catalog, untranslated = build()
    PO_PATH.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False)
    PO_PATH.write_bytes(buffer.getvalue())
    print(f"{PO_PATH.relative_to(ROOT)}: {len(catalog)} mensagens, {len(untranslated)} sem tradução")
    for msgid in untranslated:
        print("  sem tradução:", msgid)


if __name__ == "__main__":
    main()
