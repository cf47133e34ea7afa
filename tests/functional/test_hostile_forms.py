"""Every HTML form posted with hostile values answers a 4xx page or the form again with its messages,
never a 500 and never an accepted change (README "Bad input"; spec §10).

The forms are found by walking the pages an admin reaches from the home page, so a new form is
covered without being listed here.
"""
from urllib.parse import urlsplit

import pytest

from tests.functional.conftest import login

TEXT_TYPES = {"text", "textarea", "email", "number", "date", "time", "datetime-local", "password", "search", "tel",
              "url", None}
SKIPPED_PATHS = ("/logout", "/language", "/static/", "/feeds/")
MAX_PAGES = 80
OUT_OF_RANGE = {"number": "99999999999999999999", "date": "0006-01-01", "time": "25:61",
                "datetime-local": "0006-01-01T10:00", "email": "a@" + "b" * 300 + ".it"}


def text_fields(form):
    """(name, type) of the fields a user types into."""
    fields = []
    for name, items in form.fields.items():
        for field in items:
            kind = field.attrs.get("type") if field.tag == "input" else ("textarea" if field.tag == "textarea"
                                                                           else "select")
            if name and name != "csrf_token" and field.tag in ("input", "textarea") and kind in TEXT_TYPES:
                fields.append((name, kind))
    return fields


def hostile(kind, round_):
    """Round 0: too long for any column; 1: out of every range; 2: NUL."""
    if round_ == 2:
        return "x\x00y"
    if round_ == 1:  # the typed fields out of range, the others plausible
        return OUT_OF_RANGE.get(kind, "Bar Centrale")
    return "Ā" * 5000


def forms_of_the_site(testapp, start):
    """(url, form) of every POST form on the pages reachable from ``start``."""
    seen, queue, found = set(), [start], []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page = testapp.get(url, status="*")
        if page.status_int != 200 or "html" not in page.content_type:
            continue
        for index, form in page.forms.items():
            if (form.method or "get").lower() == "post" and text_fields(form):
                found.append((url, index))
        for anchor in page.html.select("a[href]"):
            target = urlsplit(anchor["href"])
            if target.netloc not in ("", "localhost") or target.path.startswith(SKIPPED_PATHS):
                continue
            if target.path.endswith((".xlsx", ".ics", ".svg")) or "export" in target.path:
                continue
            queue.append(target.path + ("?" + target.query if target.query else ""))
    return found


def test_every_form_refuses_hostile_values_without_a_500(testapp, tenant, dbsession):
    login(testapp, tenant.admin)
    forms = forms_of_the_site(testapp, "/clients/")
    paths = {url.split("?")[0] for url, _index in forms}
    print(len(forms), "forms on", len(paths), "pages")
    assert len(paths) >= 10, sorted(paths)  # the walk reached the management pages
    accepted = []
    for url, index in forms:
        for round_ in range(3):
            form = testapp.get(url).forms[index]
            fields = text_fields(form)
            if round_ == 1 and not any(kind in OUT_OF_RANGE for _name, kind in fields):
                continue
            for name, kind in fields:
                form.set(name, hostile(kind, round_), index=0)
            answer = form.submit(status="*", expect_errors=True)
            assert answer.status_int < 500, (url, index, round_, answer.status)
            shows_errors = answer.status_int == 200 and ("is-invalid" in answer.text or "alert-danger" in answer.text
                                                         or "error" in answer.text)
            if not (400 <= answer.status_int < 500 or shows_errors):
                accepted.append((url, form.action, round_, answer.status))
    assert not accepted, accepted
