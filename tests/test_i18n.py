"""Danish and English: the locale chosen, remembered, shown in <html lang>, and the Danish catalogue complete."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from auditor.i18n import negotiate_locale, translate
from auditor.paths import TRANSLATIONS_DIR
from auditor.schemas import AuditUpdate
from auditor.services import accounts, audits
from tests.conftest import seed_audit

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "N_": None,
    "t": None,
    "gettext": None,
    "ngettext": (1, 2),
    "NotFound": None,
    "Invalid": None,
    "Conflict": None,
}


def test_negotiation_prefers_the_remembered_choice_then_the_browser():
    assert negotiate_locale(cookie="en", accept_language="da") == "en"
    assert negotiate_locale(cookie=None, accept_language="en-GB,en;q=0.9,da;q=0.8") == "en"
    assert negotiate_locale(cookie=None, accept_language="de-DE,da;q=0.5,en;q=0.4") == "da"
    assert negotiate_locale(cookie=None, accept_language="fr") == "da"
    assert negotiate_locale(cookie="xx", accept_language=None) == "da"
    assert negotiate_locale(cookie=None, accept_language="fr", default="en") == "en"
    assert negotiate_locale(cookie=None, accept_language="en;q=garbage,da") == "da"


def test_danish_is_the_default_and_html_lang_follows(login, admin):
    client = login(admin, language="")
    del client.headers["Accept-Language"]
    page = client.get("/organisations")
    assert '<html lang="da">' in page.text and "Organisationer" in page.text
    english = client.get("/organisations", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text and "New organisation" in english.text


def test_the_installation_default_applies_when_the_browser_says_nothing(app, settings):
    settings.default_language = "en"
    with TestClient(app) as client:
        assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "fr"}).text


def test_the_choice_is_remembered_in_a_cookie(login, admin):
    client = login(admin, language="da")
    response = client.get("/language/en", params={"next": "/organisations"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/organisations"
    assert "auditor_lang=en" in response.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/organisations").text
    client.get("/language/da")
    assert '<html lang="da">' in client.get("/organisations").text


def test_the_language_switch_never_redirects_off_site(app):
    with TestClient(app) as client:
        for target in ("https://evil.example/", "//evil.example/"):
            assert (
                client.get("/language/en", params={"next": target}, follow_redirects=False).headers["location"] == "/"
            )


def test_api_errors_follow_the_language_too(login, admin):
    client = login(admin, language="da")
    assert client.get("/api/v1/audits/999999").json() == {
        "code": "not_found",
        "detail": "Der er ingen audit med dette id.",
    }


def test_every_translatable_string_has_a_danish_translation():
    extracted = set()
    method_map = [("auditor/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map=options, keywords=KEYWORDS):
        extracted.add(message if isinstance(message, str) else message[0])
    with (TRANSLATIONS_DIR / "da" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(extracted - translated)
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_reports_translate_independently_of_the_request():
    assert translate("Audit report", "da") == "Auditrapport"
    assert translate("Audit report", "en") == "Audit report"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("da", "Denne adresse tager ikke imod den slags forespørgsel."), ("en", "This address does not take this kind")],
)
def test_a_method_a_route_lacks_is_refused_in_the_reader_s_language(anonymous, language, expected):
    """Starlette's own "Method Not Allowed" is English: the page and the API say it in the request's language."""
    page = anonymous.put("/login", headers={"Accept-Language": language})
    api = anonymous.put("/api/v1/session", headers={"Accept-Language": language})
    assert page.status_code == api.status_code == 405
    assert expected in page.text and "Method Not Allowed" not in page.text
    assert api.json()["code"] == "method_not_allowed" and expected in api.json()["detail"]


def test_the_site_has_an_icon_where_browsers_ask_for_it(anonymous):
    icon = anonymous.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content.startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert '<link rel="icon" href="/favicon.ico">' in anonymous.get("/login").text


@pytest.mark.parametrize(
    ("language", "created", "changed"),
    [
        ("da", "26. november 2026 kl. 14:05", "26.\u00a0dec.\u00a02026"),
        ("en", "26 November 2026, 14:05", "26\u00a0Dec\u00a02026"),
    ],
)
def test_dates_on_pages_are_written_the_language_s_way_on_danish_clocks(
    login, session, library, language, created, changed
):
    """A moment (an API token made at 13:05 UTC) and a changed date in a history (an audit's end date), never "Nov 26, 2026, 1:05:00 PM"."""
    audit, lead, _ = seed_audit(session, library)
    token, _secret = accounts.create_token(session=session, user=lead)
    token.created_at = datetime(2026, 11, 26, 13, 5, tzinfo=UTC)
    audits.update_audit(session=session, actor=lead, audit=audit, data=AuditUpdate(end_date=date(2026, 12, 26)))
    session.flush()
    client = login(lead, language=language)
    assert created in client.get("/account").text
    assert changed in client.get(f"/audits/{audit.id}/history").text
