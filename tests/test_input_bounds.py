"""Every form a registered screen renders (found through the route × role table, not a hand
list) posted with each field at and past its bound: no 500 anywhere, and past the bound a
pt-BR field error. Every text field and number field of a form that writes rows carries its
column's bound (``maxlength`` / ``max``)."""
import re
from html.parser import HTMLParser

from app.accounts.models import PortalUser
from tests.access import ANONYMOUS
from tests.conftest import csrf_token, login_as
from tests.routes import all_routes
from tests.world import build_world

TEXT_TYPES = {"text", "email", "tel", "url", "search", "password"}
HUGE_TEXT = 100_000
NUMBERS = ("2147483648", "9223372036854775808", "99999999999999999999", "-2147483649")
# Forms that read rows instead of writing them: a login looks a user up, searches filter.
NUMBER_ERROR = re.compile(r"Informe um número entre|inválid|Não é um valor inteiro|Informe o ano", re.IGNORECASE)
TOO_LONG = re.compile(r"(no máximo|até|mais do que) [\d.]+ caracteres", re.IGNORECASE)
READING_FORMS = ("/login/", "/redefinir-senha/")


class FormParser(HTMLParser):
    """The POST forms of a page: action and fields (name, kind, value, maxlength, max)."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.current = {"action": attrs.get("action"), "fields": []}
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag in ("input", "textarea") and attrs.get("name"):
            kind = "textarea" if tag == "textarea" else (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                kind = "unchecked-" + kind
            if "data-format" in attrs:  # a date picker: bounded by its format, not a length
                kind = "date"
            self.current["fields"].append({"name": attrs["name"], "kind": kind, "value": attrs.get("value") or "",
                                           "maxlength": attrs.get("maxlength"), "max": attrs.get("max")})
        elif tag == "button" and attrs.get("name"):
            self.current["fields"].append({"name": attrs["name"], "kind": "submit", "value": attrs.get("value") or "",
                                           "maxlength": None, "max": None})
        elif tag == "select" and attrs.get("name"):
            self.select = {"name": attrs["name"], "kind": "select", "value": "", "maxlength": None, "max": None}
            self.current["fields"].append(self.select)
        elif tag == "option" and self.select is not None and not self.select["value"]:
            self.select["value"] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def _pages(app, db_ctx):
    """(client, page url) for every GET route someone may open, as the first role allowed."""
    with db_ctx():
        world = build_world()
        users = {profile: PortalUser.query.filter_by(email=email).one().id
                 for profile, email in world["users"].items()}
    for (method, path), expected in sorted(all_routes().items()):
        if method != "GET" or "#" in path or path.startswith("/api/"):
            continue
        role = next((role for role, status in expected.items() if status == 200), None)
        if role is None:
            continue
        client = app.test_client()
        if role != ANONYMOUS:
            login_as(client, users[role])
        yield client, path.format(**world)


def _forms(client, url):
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.content_type:
        return []
    parser = FormParser()
    parser.feed(response.get_data(as_text=True))
    return [(form["action"] or url, form["fields"]) for form in parser.forms]


def _bounded(field) -> bool:
    return field["kind"] in TEXT_TYPES | {"textarea", "number"}


def _post(client, action, fields, name, value):
    data = {f["name"]: f["value"] for f in fields
            if f["kind"] not in ("unchecked-checkbox", "unchecked-radio", "file", "submit")}
    for choice in fields:  # a choice nobody made yet, the button pressed: the first, as a person would
        if choice["kind"] in ("unchecked-radio", "submit"):
            data.setdefault(choice["name"], choice["value"])
    data[name] = value
    data["csrf_token"] = csrf_token(client)
    response = client.post(action, data=data)
    assert response.status_code not in (500, 503), (action, name, len(value), response.status_code)
    return response


def _shown(client, response) -> str:
    """What the user reads next: the page, or the page a redirect leads to (its flashes)."""
    if response.status_code in (302, 303):
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def test_every_form_field_at_and_past_its_bound(app, db_ctx):
    unbounded, silent, checked = [], [], 0
    seen = set()
    for client, url in _pages(app, db_ctx):
        for action, fields in _forms(client, url):
            shape = (re.sub(r"\d+", "N", action), tuple(f["name"] for f in fields))
            if shape in seen or action.rstrip("/").endswith(("/logout", "/delete")):
                continue
            seen.add(shape)
            for field in filter(_bounded, fields):
                name, limit = field["name"], field["maxlength"] or field["max"]
                if field["max"]:  # a number (FAB shows some in text inputs)
                    for value in NUMBERS:
                        shown = _shown(client, _post(client, action, fields, name, value))
                        if int(value) > int(field["max"]) and not NUMBER_ERROR.search(shown):
                            silent.append(f"{action} {name}={value}")
                elif limit:
                    # past the bound first: the post at the bound may succeed and change the page
                    past = _shown(client, _post(client, action, fields, name, "a" * (int(limit) + 1)))
                    if not TOO_LONG.search(past):
                        silent.append(f"{action} {name}")
                    at = _shown(client, _post(client, action, fields, name, "a" * int(limit)))
                    assert not TOO_LONG.search(at), (action, name, "at the bound")
                else:
                    _post(client, action, fields, name, "a" * HUGE_TEXT)
                if not limit and not action.startswith(READING_FORMS) and field["kind"] != "password":
                    unbounded.append(f"{action} {name}")
                checked += 1
    assert checked > 40, checked
    assert not silent, "past the bound without a field error: " + ", ".join(silent)
    assert not unbounded, "fields without their column's bound: " + ", ".join(unbounded)
