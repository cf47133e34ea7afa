"""Italian first, English second (spec §2): a complete Italian catalog, and every surface in the user's language.

The catalog tests extract the messages from the code as `pybabel extract -F babel.cfg` would, so a
message added without its Italian translation fails here (see portal/locale/README.md for the commands).
"""
import io
import os
import re
from pathlib import Path

import pytest
import webtest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pyramid.interfaces import ILocalizer

from portal.i18n import LOCALES
from portal.locale.extract import DEFAULT_COMMENT
from tests.factories import make_campaign
from tests.functional.conftest import api, login, tenant  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "campaigns", "agents", "callcenter")
PO_PATH = ROOT / "portal" / "locale" / "it" / "LC_MESSAGES" / "portal.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\$\{\w+\}|%\(\w+\)s")
UPDATE_HINT = "extract, update and translate the catalog as portal/locale/README.md says"


def read_italian_catalog():
    with PO_PATH.open("rb") as po_file:
        return read_po(po_file, locale="it", domain="portal")


def extracted_messages():
    """{msgid: English defaults} of every message in the code, as babel.cfg extracts them."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    messages = {}
    for package in PACKAGES:
        for _filename, _lineno, message, comments, _context in extract_from_dir(
            str(ROOT / package), method_map, options_map, keywords={"_": None}, comment_tags=("TRANSLATORS:",)
        ):
            msgid = message if isinstance(message, str) else message[0]
            defaults = messages.setdefault(msgid, set())
            defaults.update(
                comment[len(DEFAULT_COMMENT):] for comment in comments if comment.startswith(DEFAULT_COMMENT)
            )
    return messages


@pytest.fixture(scope="module")
def italian_mo_compiled():
    """Compile portal.po into portal.mo, as `make catalog` does, so these tests never read a stale .mo."""
    compiled = io.BytesIO()
    write_mo(compiled, read_italian_catalog())
    if not MO_PATH.exists() or MO_PATH.read_bytes() != compiled.getvalue():
        fresh = MO_PATH.with_name(f"{MO_PATH.name}.{os.getpid()}")
        fresh.write_bytes(compiled.getvalue())
        os.replace(fresh, MO_PATH)  # whole or not at all: other test runs may be reading it


@pytest.fixture
def app(app, italian_mo_compiled):
    """The app reading the freshly compiled catalog: Pyramid caches a localizer per locale once built."""
    for locale in LOCALES:
        app.registry.unregisterUtility(provided=ILocalizer, name=locale)
    return app


def browser(app, **headers):
    """A browser that sends only the headers given (the shared ``testapp`` asks for Italian)."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", **headers})


def text_of(page, selector):
    return " ".join(page.html.select_one(selector).get_text().split())


def box_labels(page):
    """The label shown above each count of a folder's Info and Appointments boxes."""
    return {
        name: " ".join(page.html.select_one(f'[data-count="{name}"]').find_previous_sibling().get_text().split())
        for name in ("purchased", "taken", "to_confirm")
    }


def submit_empty_login(client, path="/login"):
    form = client.get(path).forms["deform"]
    return form.submit(status=400)


# --- The catalog ---------------------------------------------------------------------------------


def test_every_message_in_the_code_has_an_italian_translation():
    catalog = read_italian_catalog()
    translated = {message.id for message in catalog if message.id and message.string and not message.fuzzy}
    missing = sorted(set(extracted_messages()) - translated)
    assert not missing, f"untranslated in portal.po: {missing}; {UPDATE_HINT}"


def test_no_italian_translation_is_fuzzy():
    fuzzy = sorted(message.id for message in read_italian_catalog() if message.id and message.fuzzy)
    assert not fuzzy, f"fuzzy in portal.po (review them and remove the flag): {fuzzy}"


def test_each_message_code_has_a_single_english_text():
    """A code says one thing in every place it is used; its Italian translation cannot say two."""
    ambiguous = {msgid: sorted(defaults) for msgid, defaults in extracted_messages().items() if len(defaults) > 1}
    assert not ambiguous


def test_italian_translations_keep_the_placeholders_of_the_english_text():
    catalog = read_italian_catalog()
    wrong = {}
    for msgid, defaults in extracted_messages().items():
        message = catalog.get(msgid)
        if message is None or not message.string:
            continue  # reported by the completeness test
        for english in defaults or {msgid}:
            expected, found = set(PLACEHOLDER.findall(english)), set(PLACEHOLDER.findall(message.string))
            if expected != found:
                wrong[msgid] = (english, message.string)
    assert not wrong


# --- Pages ---------------------------------------------------------------------------------------


def test_login_page_is_italian_without_a_language_preference(app):
    page = browser(app).get("/login")
    assert page.html.html["lang"] == "it"
    assert text_of(page, "h1") == "Accedi"
    assert text_of(page, "form#deform button[type=submit]") == "Accedi"


def test_login_page_is_italian_for_a_browser_asking_for_a_language_we_do_not_have(app):
    page = browser(app, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").get("/login")
    assert text_of(page, "h1") == "Accedi"


def test_login_page_is_english_for_a_browser_asking_for_english(app):
    page = browser(app, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").get("/login")
    assert page.html.html["lang"] == "en"
    assert text_of(page, "h1") == "Log in"


def test_login_page_is_english_with_the_locale_parameter(testapp):
    page = testapp.get("/login", params={"_LOCALE_": "en"})
    assert page.html.html["lang"] == "en"
    assert text_of(page, "h1") == "Log in"
    assert text_of(page, "form#deform button[type=submit]") == "Log in"


def test_language_switch_keeps_english_in_a_cookie_until_switched_back(testapp):
    testapp.get("/language", params={"locale": "en"}, status=302)
    assert testapp.cookies["_LOCALE_"] == "en"
    assert text_of(testapp.get("/login"), "h1") == "Log in"
    testapp.get("/language", params={"locale": "it"}, status=302)
    assert text_of(testapp.get("/login"), "h1") == "Accedi"


def test_language_switch_ignores_a_language_we_do_not_have(testapp):
    testapp.get("/language", params={"locale": "xx"}, status=302)
    assert "_LOCALE_" not in testapp.cookies
    assert text_of(testapp.get("/login"), "h1") == "Accedi"


def test_client_folder_boxes_are_labelled_in_italian_by_default(testapp, tenant):
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert box_labels(page) == {
        "purchased": "Appuntamenti acquistati",
        "taken": "Presi",
        "to_confirm": "di cui da confermare",
    }
    assert "Tutti gli appuntamenti" in page.text


def test_client_folder_boxes_are_labelled_in_english_after_switching_to_english(testapp, tenant):
    login(testapp, tenant.client_user)
    testapp.get("/language", params={"locale": "en"}, status=302)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert box_labels(page) == {
        "purchased": "Appointments purchased",
        "taken": "Taken",
        "to_confirm": "of which to confirm",
    }
    assert "All appointments" in page.text


def test_flash_after_booking_is_italian_with_the_appointment_number(testapp, tenant):
    login(testapp, tenant.operator)
    grid = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/book",
                       params={"postal_code": "20121", "week": "2026-W48"})
    step3 = grid.forms[f"hold-{tenant.agent.slug}"].submit("start", value="2026-11-26T10:00:00+01:00").follow()
    form = step3.forms["deform"]
    form["prospect_name"] = "Bar Centrale"
    form["prospect_phone"] = "+39 02 1234567"
    page = form.submit(status=302).follow()
    assert text_of(page, ".alert-success") == "Appuntamento n. 1 prenotato."


# --- Form errors (deform and colander's own catalogs, and ours) ----------------------------------


def test_empty_login_form_says_required_in_italian(testapp):
    page = submit_empty_login(testapp)
    assert [p.get_text(strip=True) for p in page.html.select(".invalid-feedback")] == ["Richiesto", "Richiesto"]


def test_empty_login_form_says_required_in_english_when_asked(testapp):
    page = submit_empty_login(testapp, "/login?_LOCALE_=en")
    assert [p.get_text(strip=True) for p in page.html.select(".invalid-feedback")] == ["Required", "Required"]


def test_wrong_password_is_reported_in_italian(testapp, tenant):
    form = testapp.get("/login").forms["deform"]
    form["email"] = tenant.client_user.email
    form["password"] = "not the password"
    page = form.submit(status=400)
    assert "E-mail o password errate." in page.text


# --- API errors ----------------------------------------------------------------------------------


def bearer(api_client, **headers):
    return {**api_client.headers, **headers}


def test_api_not_found_message_is_italian_by_default(testapp, api, tenant):
    client = api(tenant.client_user)
    error = browser(testapp.app).get("/api/v1/clients/nope", headers=bearer(client), status=404).json["error"]
    assert error == {"code": "not_found", "message": "La pagina o la risorsa richiesta non esiste.", "field": None}


def test_api_not_found_message_is_english_with_accept_language_en(testapp, api, tenant):
    client = api(tenant.client_user)
    response = testapp.get("/api/v1/clients/nope", headers=bearer(client, **{"Accept-Language": "en"}), status=404)
    assert response.json["error"]["message"] == "This page or resource does not exist."


def booking(tenant, start):
    return {"agent": tenant.agent.slug, "start": start,
            "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}


@pytest.mark.parametrize("language, message", [
    ("it", "La campagna ha esaurito gli appuntamenti acquistati: prenotare su un'altra campagna."),
    ("en", "The campaign has used up its purchased appointments: book on another campaign."),
])
def test_api_quota_exhausted_message_follows_accept_language(testapp, api, dbsession, tenant, language, message):
    full = make_campaign(dbsession, tenant.client, purchased=0)
    operator = api(tenant.operator)
    response = testapp.post_json(
        f"/api/v1/clients/{tenant.client.slug}/campaigns/{full.slug}/appointments",
        booking(tenant, "2026-11-26T10:00:00+01:00"),
        headers=bearer(operator, **{"Accept-Language": language}),
        status=409,
    )
    assert response.json["error"]["code"] == "quota_exhausted"
    assert response.json["error"]["message"] == message


@pytest.mark.parametrize("language, message", [
    ("it", "Un nuovo appuntamento deve iniziare tra almeno 36 ore."),
    ("en", "A new appointment must start at least 36 hours from now."),
])
def test_api_insertion_cutoff_message_is_translated_with_its_hours(testapp, api, tenant, language, message):
    operator = api(tenant.operator)
    response = testapp.post_json(
        f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments",
        booking(tenant, "2026-11-24T10:00:00+01:00"),
        headers=bearer(operator, **{"Accept-Language": language}),
        status=422,
    )
    assert response.json["error"] == {"code": "insertion_cutoff", "message": message, "field": "start"}


class CountingLocalizer:
    def __init__(self, locale_name, words):
        self.locale_name, self.words, self.calls = locale_name, words, 0

    def translate(self, message, domain=None, mapping=None):
        self.calls += 1
        text = self.words.get(str(message), str(message))
        return text.replace("${n}", str((mapping or {}).get("n", "")))


def test_templates_translate_a_plain_word_once_per_language():
    from portal.i18n import TemplateGettext
    italian, english = CountingLocalizer("it", {"Zone": "Zona", "${n} left": "ne restano ${n}"}), \
        CountingLocalizer("en", {})
    current = {}

    class Gettext(TemplateGettext):
        localizer = property(lambda self: current["localizer"])

    gettext = Gettext("portal")
    for localizer, expected in ((italian, "Zona"), (english, "Zone"), (italian, "Zona"), (english, "Zone")):
        current["localizer"] = localizer
        assert gettext.gettext("Zone") == expected
    assert (italian.calls, english.calls) == (1, 1)
    current["localizer"] = italian
    assert [gettext.gettext("${n} left", mapping={"n": n}) for n in (3, 4)] == ["ne restano 3", "ne restano 4"]
    assert italian.calls == 3  # a message with a mapping is translated each time
