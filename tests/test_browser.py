"""The conduct page in headless Chromium, emulating the lead auditor's iPad, against the real app served by
uvicorn from its own SQLite file. Every test checks what the auditor sees and what the server stored.

Danish is the default interface language but its catalogue is still being written, so these tests never
assert Danish interface strings: they use data-state and aria attributes, or switch to English with the
language cookie and assert English text. Checklist text (the questions) is data and is asserted in Danish.

    .venv/bin/python -m pytest tests/test_browser.py
    AUDITOR_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_browser.py -k screenshot   # docs/screenshots/
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, Api, LiveServer, require_chromium
from playwright.sync_api import BrowserContext, Locator, Page, expect

from auditor.app import create_app
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work, upgrade
from auditor.schemas import AuditIn, OrganisationIn, ResponseIn, SiteIn
from auditor.security import SESSION_COOKIE
from auditor.services import accounts, audits, organisations, responses
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

CHECKLIST = "iso45003-clauses"
API_RESPONSES = "**/api/v1/audits/*/responses/*"


def answer_saves(request, *, ids: bool = False) -> list[dict]:
    """The answers a request from the page saves (the outbox sends them in batches, POST .../responses/batch): each
    change's fields, without its item id and (unless `ids`) the change's client id. Empty for any other request."""
    if request.method != "POST" or not request.url.endswith("/responses/batch"):
        return []
    left_out = {"item_id"} if ids else {"item_id", "client_id"}
    return [
        {k: v for k, v in change.items() if k not in left_out} for change in json.loads(request.post_data)["changes"]
    ]


SCREENSHOTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DEVICE = "iPad Pro 11"
# conduct.mjs (a module) and htmx are deferred scripts, which run before DOMContentLoaded: the page works from then on.
READY = "domcontentloaded"


# -- Browser: Debian's Chromium, emulating the iPad --------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_chromium()
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url():
    # Each test module serves its own app; this replaces pytest-playwright's --base-url fixture (which pytest 9
    # warns about) so that no context is bound to another address.
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    # A Danish auditor's tablet: Danish is what the app picks without a language cookie.
    return {**browser_context_args, **playwright.devices[DEVICE], "locale": "da-DK", "timezone_id": "Europe/Copenhagen"}


# -- The live server and its data -------------------------------------------------------------------------------


@dataclass
class Live:
    url: str
    server: LiveServer
    api: Api
    engine: object
    library: object
    organisation_id: int
    lead: object


@pytest.fixture(scope="module")
def live(tmp_path_factory, library):
    require_chromium()  # no server for nothing
    data_dir = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{data_dir / 'browser.db'}"
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        organisation = organisations.create_organisation(
            session=session,
            actor=None,
            data=OrganisationIn(name="Nordlys Logistik A/S", cvr="12345678", sites=[SiteIn(name="Aarhus lager")]),
        )
        lead, _ = accounts.create_user(
            session=session,
            actor=None,
            email="lead@browser.example",
            name="Lead Auditor",
            role="lead_auditor",
            password=PASSWORD,
        )
        _, token = accounts.create_token(session=session, user=lead, name="browser tests")
    # no report process (rendering.py): no test here downloads a report, and one takes seconds of CPU to start
    app = create_app(Settings(database_url=url, data_dir=data_dir, report_processes=0), engine=engine)
    server = LiveServer(app).start()
    try:
        yield Live(server.url, server, Api(server.url, token), engine, library, organisation.id, lead)
    finally:
        server.stop()
        engine.dispose()


@dataclass
class AuditPage:
    """One fresh audit (so tests never share answers) and the addresses a test needs."""

    id: int
    item_ids: list[str]
    live: Live

    @property
    def conduct_url(self) -> str:
        return f"{self.live.url}/audits/{self.id}/conduct"

    def stored(self, item_id: str) -> dict:
        return self.live.api.get(f"/api/v1/audits/{self.id}/responses/{quote(item_id, safe='')}")

    def put(self, item_id: str, **fields) -> dict:
        return self.live.api.put(f"/api/v1/audits/{self.id}/responses/{quote(item_id, safe='')}", fields)

    def evidence(self, item_id: str) -> list[dict]:
        return self.live.api.get(f"/api/v1/audits/{self.id}/responses/{quote(item_id, safe='')}/evidence")


@pytest.fixture
def audit(live) -> AuditPage:
    with unit_of_work(live.engine) as session:
        created = audits.create_audit(
            session=session,
            actor=live.lead,
            library=live.library,
            data=AuditIn(
                title="Overvågningsaudit 2026",
                audit_type="surveillance",
                organisation_id=live.organisation_id,
                start_date=date(2026, 12, 1),
                end_date=date(2026, 12, 2),
                lead_auditor_id=live.lead.id,
                checklists=[CHECKLIST],
                report_language="da",
            ),
        )
    item_ids = [item.id for item in live.library.get(CHECKLIST).checklist.items()]
    return AuditPage(created.id, item_ids, live)


@pytest.fixture(autouse=True)
def logged_in(context: BrowserContext, live):
    """Every test's browser is logged in as the audit's lead auditor (a real session, as after the login form)."""
    with unit_of_work(live.engine) as session:
        token = accounts.log_in(
            session=session, email=live.lead.email, password=PASSWORD, address="browser", lifetime=timedelta(hours=1)
        ).token
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live.url}])


@pytest.fixture(autouse=True)
def _reset_delay(live):
    yield
    live.server.delay.seconds = 0


def english(context: BrowserContext, live: Live) -> None:
    """Remember English as the interface language, as the header link does."""
    context.add_cookies([{"name": "auditor_lang", "value": "en", "url": live.url}])


def card(page: Page, item_id: str) -> Locator:
    return page.locator(f".item-card[data-item-id='{item_id}']")


def queued(page: Page, item_id: str) -> list[dict]:
    """The fields of the item's answers waiting in the tablet's outbox (static/outbox.mjs)."""
    return page.evaluate(
        """async (itemId) => {
        const { field } = await import('/static/field.mjs');
        const { outbox } = await field;
        return (await outbox.changes()).filter((c) => c.kind === 'answer' && c.itemId === itemId).map((c) => c.payload);
    }""",
        item_id,
    )


def count_of(page: Page, key: str) -> tuple[int, int]:
    answered, total = page.locator(f"[data-count='{key}']").inner_text().split("/")
    return int(answered), int(total)


# -- 1. Verdicts -------------------------------------------------------------------------------------------------


def test_tapping_a_verdict_saves_it_and_counts_it(page: Page, context: BrowserContext, audit: AuditPage):
    english(context, audit.live)
    item_id = audit.item_ids[0]
    page.goto(audit.conduct_url, wait_until=READY)
    first = card(page, item_id)
    section = first.get_attribute("data-section")
    section_before, overall_before = count_of(page, section), count_of(page, "overall")
    assert section_before[0] == 0 and overall_before == (0, len(audit.item_ids))

    conform = first.locator(".verdict[data-verdict=conform]")
    expect(conform).to_have_attribute("aria-pressed", "false")
    conform.tap()

    expect(conform).to_have_attribute("aria-pressed", "true")
    expect(first.locator(".verdict[aria-pressed=true]")).to_have_count(1)
    expect(first.locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(first.locator(".save-state")).to_have_text("Saved")
    expect(page.locator(f"[data-count='{section}']")).to_have_text(f"{section_before[0] + 1}/{section_before[1]}")
    expect(page.locator("[data-count=overall]")).to_have_text(f"1/{overall_before[1]}")
    expect(page.locator("#overall-progress")).to_have_attribute("value", "1")
    expect(page.locator("#sync-state")).to_have_attribute("data-state", "saved")

    stored = audit.stored(item_id)
    assert (stored["verdict"], stored["version"]) == ("conform", 1)

    # Changing one's mind is one more save of the same answer, not a second answer: the count stays.
    minor = first.locator(".verdict[data-verdict=minor_nc]")
    minor.tap()
    expect(minor).to_have_attribute("aria-pressed", "true")
    expect(conform).to_have_attribute("aria-pressed", "false")
    expect(first).to_have_attribute("data-version", "2")
    expect(page.locator("[data-count=overall]")).to_have_text(f"1/{overall_before[1]}")
    assert audit.stored(item_id)["verdict"] == "minor_nc"


# -- 2. Notes ----------------------------------------------------------------------------------------------------


def test_a_typed_note_is_saved_after_the_pause(page: Page, context: BrowserContext, audit: AuditPage):
    english(context, audit.live)
    item_id = audit.item_ids[0]
    audit.live.server.delay.seconds = 0.3  # long enough to see "saving" without racing it
    page.goto(audit.conduct_url, wait_until=READY)
    state = card(page, item_id).locator(".save-state")
    note = card(page, item_id).locator("textarea.note")
    text = "Nævner stress – set 4/3-2026."

    note.tap()
    note.press_sequentially(text, delay=15)
    # Still typing (within the 700 ms pause): kept on the tablet, waiting to be sent.
    expect(state).to_have_attribute("data-state", re.compile("^(waiting|syncing)$"))
    expect(state).to_have_text(re.compile("^(Waiting to be sent|Sending…)$"))
    expect(state).to_have_attribute("data-state", "saved")
    expect(state).to_have_text("Saved")
    expect(page.locator("#sync-state")).to_have_text("All changes saved")
    assert audit.stored(item_id)["note"] == text
    assert queued(page, item_id) == []


def test_typing_on_while_a_save_is_in_flight_loses_nothing(page: Page, context: BrowserContext, audit: AuditPage):
    english(context, audit.live)
    item_id = audit.item_ids[1]
    page.goto(audit.conduct_url, wait_until=READY)
    state = card(page, item_id).locator(".save-state")
    note = card(page, item_id).locator("textarea.note")
    puts = []
    page.on("request", lambda request: puts.extend(answer_saves(request, ids=True)))
    audit.live.server.delay.seconds = 0.7  # each save now takes 0.7 s to come back

    note.tap()
    note.press_sequentially("Ledelsen kender ", delay=25)
    page.wait_for_timeout(300)  # a short pause to think: shorter than the debounce, so no save yet
    with page.expect_request(answer_saves):
        note.press_sequentially("kerneopgaven", delay=25)
    expect(state).to_have_attribute("data-state", "syncing")  # the pause is over: the save is on its way...
    note.press_sequentially(" og belastningerne.", delay=20)  # ...and the auditor keeps typing meanwhile

    expect(state).to_have_attribute("data-state", "saved", timeout=15_000)
    full = "Ledelsen kender kerneopgaven og belastningerne."
    stored = audit.stored(item_id)
    assert (stored["note"], stored["verdict"], stored["version"]) == (full, None, len(puts))
    # Each change with its own id (typed on while one was on its way: a new change, not that one sent again).
    ids = [put.pop("client_id") for put in puts]
    assert len(set(ids)) == len(puts) and all(ids)
    # One save at a time per item: each went after the previous one came back, based on its version.
    assert puts[0] == {"note": "Ledelsen kender kerneopgaven", "version": 0}
    assert puts[-1] == {"note": full, "version": len(puts) - 1}
    assert [put["version"] for put in puts] == list(range(len(puts)))
    expect(note).to_have_value(full)
    assert queued(page, item_id) == []


# -- 3. Failures -------------------------------------------------------------------------------------------------


def fail_aborted(route):
    route.abort()


def fail_500(route):
    route.fulfill(
        status=500, content_type="application/json", body=json.dumps({"detail": "Something went wrong on our side."})
    )


@pytest.mark.parametrize("failure", [fail_aborted, fail_500], ids=["network-error", "status-500"])
def test_a_failed_save_keeps_the_text_and_retries(page: Page, context: BrowserContext, audit: AuditPage, failure):
    english(context, audit.live)
    item_id = audit.item_ids[2]
    page.goto(audit.conduct_url, wait_until=READY)
    state = card(page, item_id).locator(".save-state")
    note = card(page, item_id).locator("textarea.note")
    text = "APV-plan mangler."
    page.route(API_RESPONSES, failure)

    note.tap()
    with page.expect_request(answer_saves):
        note.press_sequentially(text, delay=15)
    expect(state).to_have_attribute("data-state", "waiting")
    expect(state).to_have_text("Waiting to be sent")
    # A lost connection says offline; a server error, that changes wait: both with the count.
    expect(page.locator("#sync-state")).to_have_attribute(
        "data-state", "offline" if failure is fail_aborted else "waiting"
    )
    expect(page.locator("#sync-state")).to_contain_text("1 change waiting")
    expect(note).to_have_value(text)
    assert queued(page, item_id) == [{"note": text}]
    assert audit.stored(item_id)["version"] == 0

    page.unroute(API_RESPONSES, failure)
    expect(state).to_have_attribute("data-state", "saved", timeout=15_000)  # the next look (every 2 s)
    expect(page.locator("#sync-state")).to_have_attribute("data-state", "saved")
    expect(note).to_have_value(text)
    assert audit.stored(item_id)["note"] == text
    assert queued(page, item_id) == []


@pytest.mark.parametrize("failure", [fail_aborted, fail_500], ids=["network-error", "status-500"])
def test_a_reload_while_saves_fail_restores_the_text_from_the_device(
    page: Page, context: BrowserContext, audit: AuditPage, failure
):
    english(context, audit.live)
    item_id = audit.item_ids[3]
    page.goto(audit.conduct_url, wait_until=READY)
    note = card(page, item_id).locator("textarea.note")
    text = "Svarprocent 81."
    page.route(API_RESPONSES, failure)
    note.tap()
    with page.expect_request(answer_saves):
        note.press_sequentially(text, delay=15)
    expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "waiting")

    # Nothing is lost by leaving: the page does not even ask.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.reload(wait_until=READY)
    note = card(page, item_id).locator("textarea.note")
    state = card(page, item_id).locator(".save-state")
    expect(note).to_have_value(text)  # not from the server (it has nothing): from the outbox
    expect(state).to_have_attribute("data-state", "waiting")
    assert dialogs == []
    assert audit.stored(item_id)["version"] == 0
    assert queued(page, item_id) == [{"note": text}]

    page.unroute(API_RESPONSES, failure)
    expect(state).to_have_attribute("data-state", "saved", timeout=15_000)
    assert audit.stored(item_id)["note"] == text
    assert queued(page, item_id) == []


# -- 4. Conflicts ------------------------------------------------------------------------------------------------


def start_conflict(page: Page, context: BrowserContext, audit: AuditPage, item_id: str) -> Locator:
    english(context, audit.live)
    page.goto(audit.conduct_url, wait_until=READY)
    expect(page.locator(".conduct-layout")).to_have_attribute("data-learned", re.compile("."))
    # A co-auditor saves the same item on another tablet after this page was loaded (and had looked for news).
    assert audit.put(item_id, verdict="minor_nc", note="Saved from the other tablet", version=0)["version"] == 1
    note = card(page, item_id).locator("textarea.note")
    note.tap()
    note.press_sequentially("Mine from this tablet", delay=10)
    box = card(page, item_id).locator(".conflict-box")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("role", "alert")
    expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "conflict")
    expect(page.locator("#sync-state")).to_have_attribute("data-state", "attention")
    expect(page.locator("#sync-state")).to_have_text("1 change needs your attention")
    expect(box.locator(".conflict-note[data-side=mine]")).to_have_text("Mine from this tablet")
    # This tablet changed only the note: its version keeps the other tablet's verdict.
    expect(box.locator(".conflict-verdict[data-side=mine]")).to_have_text("Minor NC")
    expect(box.locator(".conflict-note[data-side=theirs]")).to_have_text("Saved from the other tablet")
    expect(box.locator(".conflict-verdict[data-side=theirs]")).to_have_text("Minor NC")
    # Nothing was overwritten while the auditor decides.
    assert audit.stored(item_id)["note"] == "Saved from the other tablet"
    assert queued(page, item_id) == [{"note": "Mine from this tablet"}]
    return box


def test_a_conflict_resolved_with_keep_mine_saves_this_tablets_text(
    page: Page, context: BrowserContext, audit: AuditPage
):
    item_id = audit.item_ids[4]
    box = start_conflict(page, context, audit, item_id)
    box.get_by_role("button", name="Keep mine").tap()

    expect(box).to_have_count(0)
    expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(card(page, item_id).locator("textarea.note")).to_have_value("Mine from this tablet")
    stored = audit.stored(item_id)
    # "Mine" is the version the box showed: this tablet's note on top of the other tablet's verdict.
    assert (stored["note"], stored["verdict"], stored["version"]) == ("Mine from this tablet", "minor_nc", 2)
    expect(card(page, item_id).locator(".verdict[data-verdict=minor_nc]")).to_have_attribute("aria-pressed", "true")
    assert queued(page, item_id) == []


def test_a_conflict_resolved_with_the_saved_version_shows_the_server_text(
    page: Page, context: BrowserContext, audit: AuditPage
):
    item_id = audit.item_ids[5]
    box = start_conflict(page, context, audit, item_id)
    box.get_by_role("button", name="Use the saved version").tap()

    expect(box).to_have_count(0)
    the_card = card(page, item_id)
    note = the_card.locator("textarea.note")
    expect(note).to_have_value("Saved from the other tablet")
    expect(the_card.locator(".verdict[data-verdict=minor_nc]")).to_have_attribute("aria-pressed", "true")
    expect(the_card.locator(".save-state")).to_have_attribute("data-state", "saved")
    assert queued(page, item_id) == []
    assert audit.stored(item_id)["version"] == 1

    # Editing on from there builds on the saved version: no second conflict.
    note.press("End")
    note.press_sequentially(" Checked.", delay=15)
    expect(the_card.locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(the_card).to_have_attribute("data-version", "2")
    stored = audit.stored(item_id)
    assert (stored["note"], stored["verdict"], stored["version"]) == (
        "Saved from the other tablet Checked.",
        "minor_nc",
        2,
    )


# -- 5. Languages ------------------------------------------------------------------------------------------------


def test_questions_in_the_audit_language_and_the_interface_language_is_remembered(
    page: Page, context: BrowserContext, audit: AuditPage
):
    item = next(audit.live.library.get(CHECKLIST).checklist.items())
    page.goto(audit.conduct_url, wait_until=READY)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    the_card = card(page, item.id)
    question = the_card.locator("p.question[lang=da]")
    other = the_card.locator("p.question-other")
    expect(question).to_have_text(item.question.da)
    expect(other).to_be_hidden()

    toggle = the_card.locator("button.lang-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.tap()
    expect(other).to_be_visible()
    expect(other).to_have_attribute("lang", "en")
    expect(other).to_have_text(item.question.en)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.tap()
    expect(other).to_be_hidden()

    page.locator("nav.languages").get_by_role("link", name="English").tap()  # a language's own name, not UI text
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(audit.conduct_url)
    expect(the_card.locator(".verdict[data-verdict=conform]")).to_have_text("Conform")
    expect(the_card.locator("[data-action=add-evidence]")).to_have_text("Add evidence")
    expect(page.locator("nav.languages a[lang=en]")).to_have_attribute("aria-current", "true")
    # The interface changed language; the audit's questions did not.
    expect(question).to_have_text(item.question.da)

    # Remembered in a cookie, not in the address: a fresh load is still English.
    assert {c["name"]: c["value"] for c in context.cookies(audit.live.url)}.get("auditor_lang") == "en"
    page.goto(audit.conduct_url, wait_until=READY)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(the_card.locator(".verdict[data-verdict=conform]")).to_have_text("Conform")
    other_page = context.new_page()
    other_page.goto(f"{audit.live.url}/audits/{audit.id}", wait_until=READY)
    expect(other_page.locator("html")).to_have_attribute("lang", "en")


# -- 6. Evidence -------------------------------------------------------------------------------------------------


def test_evidence_dialog_validates_an_interview_and_adds_the_entry(
    page: Page, context: BrowserContext, audit: AuditPage
):
    english(context, audit.live)
    item_id = audit.item_ids[0]
    page.goto(audit.conduct_url, wait_until=READY)
    the_card = card(page, item_id)
    dialog = page.locator("#evidence-dialog")
    expect(dialog).to_be_hidden()

    the_card.get_by_role("button", name="Add evidence").tap()
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("open", "")
    expect(page.locator("#evidence-dialog-item")).to_contain_text(the_card.locator(".item-code").inner_text())
    summary = dialog.locator("textarea[name=summary]")
    expect(summary).to_be_focused()
    text = "Two shift leads describe the workload peaks before Christmas."
    summary.press_sequentially(text, delay=5)
    dialog.locator("select[name=method]").select_option("interview_group")
    dialog.get_by_role("button", name="Save evidence").tap()

    # An interview needs the interviewees' role and number: asked on the tablet, before anything is queued.
    expect(dialog.locator("select[name=interviewee_role]")).to_have_js_property("validity.valueMissing", True)
    assert dialog.locator("select[name=interviewee_role]").evaluate("el => el.matches(':invalid')")
    expect(dialog).to_be_visible()
    expect(dialog.locator("textarea[name=summary]")).to_have_value(text)
    expect(dialog.locator("select[name=method]")).to_have_value("interview_group")
    assert audit.evidence(item_id) == []

    dialog.locator("select[name=interviewee_role]").select_option("first_line_management")
    dialog.locator("input[name=interviewee_count]").fill("2")
    dialog.get_by_role("button", name="Save evidence").tap()

    expect(dialog).to_be_hidden()
    entries = page.locator(f"[id='evidence-{item_id}'] li")
    expect(entries).to_have_count(1)
    expect(entries.first).not_to_have_class(re.compile("pending"))  # sent and stored
    expect(entries.first).to_contain_text(text)
    expect(entries.first).to_contain_text("First-line management (2 people)")
    expect(entries.first).to_contain_text("Group interview")
    stored = audit.evidence(item_id)
    assert [(e["method"], e["interviewee_role"], e["interviewee_count"], e["summary"]) for e in stored] == [
        ("interview_group", "first_line_management", 2, text)
    ]
    # The next item's list is untouched.
    expect(page.locator(f"[id='evidence-{audit.item_ids[1]}'] li")).to_have_count(0)


def test_evidence_dialog_opens_blank_after_a_refused_then_saved_entry(
    page: Page, context: BrowserContext, audit: AuditPage
):
    english(context, audit.live)
    page.goto(audit.conduct_url, wait_until=READY)
    dialog = page.locator("#evidence-dialog")
    card(page, audit.item_ids[0]).get_by_role("button", name="Add evidence").tap()
    dialog.locator("textarea[name=summary]").fill("Group interview with the warehouse staff.")
    dialog.locator("select[name=method]").select_option("interview_group")
    dialog.get_by_role("button", name="Save evidence").tap()
    assert dialog.locator("select[name=interviewee_role]").evaluate("el => el.matches(':invalid')")
    dialog.locator("select[name=interviewee_role]").select_option("employees")
    dialog.locator("input[name=interviewee_count]").fill("6")
    dialog.get_by_role("button", name="Save evidence").tap()
    expect(dialog).to_be_hidden()
    expect(card(page, audit.item_ids[0]).locator(".evidence-list li:not(.pending)")).to_have_count(1)
    assert len(audit.evidence(audit.item_ids[0])) == 1

    card(page, audit.item_ids[1]).get_by_role("button", name="Add evidence").tap()
    expect(dialog).to_be_visible()
    expect(dialog.locator("textarea[name=summary]")).to_have_value("", timeout=1_000)
    expect(dialog.locator(".field-error")).to_have_count(0, timeout=1_000)


def test_interview_fields_show_only_for_interviews(page: Page, context: BrowserContext, audit: AuditPage):
    english(context, audit.live)
    page.goto(audit.conduct_url, wait_until=READY)
    card(page, audit.item_ids[0]).get_by_role("button", name="Add evidence").tap()
    dialog = page.locator("#evidence-dialog")
    role = dialog.locator("select[name=interviewee_role]")
    dialog.locator("select[name=method]").select_option("document")
    expect(role).to_be_hidden()
    dialog.locator("select[name=method]").select_option("interview_individual")
    expect(role).to_be_visible()


def test_in_portrait_the_section_strip_stays_below_the_header_when_scrolled(page: Page, audit: AuditPage):
    page.set_viewport_size({"width": 834, "height": 1194})
    page.goto(audit.conduct_url, wait_until=READY)
    page.mouse.wheel(0, 2500)
    page.wait_for_function("window.scrollY > 2000")
    head = page.locator(".conduct-head").bounding_box()
    strip = page.locator(".section-nav").bounding_box()
    assert head["y"] == 0  # the header sticks to the top
    assert abs(strip["y"] - (head["y"] + head["height"])) <= 1  # the strip sticks right under it, not behind it
    heading = page.locator(".conduct-section h2").first
    assert heading.bounding_box()["y"] >= strip["y"] + strip["height"] - 1


def test_log_in_with_the_form_and_log_out(page: Page, context: BrowserContext, audit: AuditPage):
    context.clear_cookies()
    english(context, audit.live)
    page.goto(audit.live.url + "/", wait_until=READY)
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_label("E-mail").fill(audit.live.lead.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator(".error-box")).to_contain_text("Wrong e-mail or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    expect(page.get_by_role("heading", name="Audits")).to_be_visible()
    page.get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(audit.conduct_url, wait_until=READY)
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_a_session_that_expires_while_typing_keeps_the_text(page: Page, context: BrowserContext, audit: AuditPage):
    item_id = audit.item_ids[2]
    page.goto(audit.conduct_url, wait_until=READY)
    # The session ends (expired, or logged out in another tab) while the auditor is on the page.
    context.clear_cookies(name=SESSION_COOKIE)
    note = card(page, item_id).locator("textarea.note")
    note.tap()
    text = "Noted after the session ended."
    note.press_sequentially(text, delay=5)
    expect(page.locator("#sync-state")).to_have_attribute("data-state", "signed_out")
    expect(page.locator("#sync-state").get_by_role("link")).to_have_attribute("href", re.compile(r"^/login\?next="))
    expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "waiting")
    assert queued(page, item_id) == [{"note": text}]
    assert audit.stored(item_id)["version"] == 0
    # Logging in again (a new session cookie) and coming back: the text is restored and saved.
    with unit_of_work(audit.live.engine) as session:
        token = accounts.log_in(
            session=session,
            email=audit.live.lead.email,
            password=PASSWORD,
            address="browser",
            lifetime=timedelta(hours=1),
        ).token
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": audit.live.url}])
    page.on("dialog", lambda dialog: dialog.accept())
    page.reload(wait_until=READY)
    expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "saved", timeout=15_000)
    assert audit.stored(item_id)["note"] == text


def test_a_photo_from_the_tablet(page: Page, context: BrowserContext, audit: AuditPage, tmp_path):
    from PIL import Image

    english(context, audit.live)
    picture = tmp_path / "IMG_0042.JPG"
    Image.new("RGB", (1200, 900), (40, 90, 160)).save(picture, "JPEG")
    item_id = audit.item_ids[0]
    page.goto(audit.conduct_url, wait_until=READY)
    card(page, item_id).get_by_role("button", name="Photo").tap()
    dialog = page.locator("#photo-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[type=file]").set_input_files(str(picture))
    dialog.get_by_label("Caption").fill("Opslag ved kantinen")
    dialog.get_by_role("button", name="Save photo").tap()
    expect(dialog).to_be_hidden()
    thumbnail = card(page, item_id).locator(".photo img")
    expect(thumbnail).to_have_count(1)
    expect(card(page, item_id).locator(".photo")).not_to_have_class(
        re.compile("pending")
    )  # sent: the server's thumbnail
    expect(card(page, item_id).locator(".photo figcaption")).to_have_text("Opslag ved kantinen")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) == 320
    thumbnail.tap()
    expect(page.locator("#photo-view")).to_be_visible()
    expect(page.locator("#photo-view-caption")).to_have_text("Opslag ved kantinen")
    assert [
        p["caption"]
        for p in audit.live.api.get(f"/api/v1/audits/{audit.id}/responses/{quote(item_id, safe='')}/photos")
    ] == ["Opslag ved kantinen"]


def test_a_photo_on_a_finding_from_the_tablet(page: Page, context: BrowserContext, audit: AuditPage, tmp_path):
    from PIL import Image

    english(context, audit.live)
    status, finding = audit.live.api.request(
        "POST", f"/api/v1/audits/{audit.id}/findings", {"kind": "ofi", "statement": "Opslag om trivsel mangler"}
    )
    assert status == 201, finding
    picture = tmp_path / "IMG_0043.JPG"
    Image.new("RGB", (1200, 900), (160, 90, 40)).save(picture, "JPEG")
    page.goto(f"{audit.live.url}/audits/{audit.id}/findings", wait_until=READY)
    block = page.locator(f"#photos-finding-{finding['id']}")
    block.get_by_text("Add a photo").tap()
    block.locator("input[type=file]").set_input_files(str(picture))
    block.get_by_label("Caption").fill("Tom opslagstavle")
    block.get_by_role("button", name="Save photo").tap()
    thumbnail = block.locator(".photo img")
    expect(thumbnail).to_have_count(1)
    expect(block.locator(".photo figcaption")).to_have_text("Tom opslagstavle")
    thumbnail.tap()
    expect(page.locator("#photo-view")).to_be_visible()
    expect(page.locator("#photo-view-caption")).to_have_text("Tom opslagstavle")
    assert [p["caption"] for p in audit.live.api.get(f"/api/v1/audits/{audit.id}/findings/{finding['id']}/photos")] == [
        "Tom opslagstavle"
    ]


# -- 7. Screenshots for the docs ---------------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("AUDITOR_SCREENSHOTS") != "1", reason="set AUDITOR_SCREENSHOTS=1 to write docs/screenshots/"
)
def test_screenshots_of_the_conduct_page(page: Page, audit: AuditPage):
    # A page in use: some verdicts, a note, evidence, a question shown in both languages.
    with unit_of_work(audit.live.engine) as session:
        live_lead = audit.live.lead
        the_audit = audits.get_audit(session=session, actor=live_lead, audit_id=audit.id)
        for item_id, verdict in zip(audit.item_ids[:3], ["conform", "minor_nc", "observation"], strict=True):
            responses.save_response(
                session=session,
                actor=live_lead,
                audit=the_audit,
                item_id=item_id,
                data=ResponseIn(verdict=verdict, version=0),
            )
    audit.put(audit.item_ids[1], note="APV'en fra 2025 nævner ikke lageret. Aftalt opfølgning med AMO.", version=1)
    page.goto(audit.conduct_url, wait_until=READY)
    expect(page.locator("#sync-state")).to_have_attribute("data-state", "saved")
    card(page, audit.item_ids[0]).locator("button.lang-toggle").tap()
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)

    page.set_viewport_size({"width": 834, "height": 1194})
    page.screenshot(path=SCREENSHOTS_DIR / "conduct-portrait.png")
    page.set_viewport_size({"width": 1194, "height": 834})
    page.wait_for_timeout(200)  # let the layout settle after the rotation
    page.screenshot(path=SCREENSHOTS_DIR / "conduct-landscape.png")
    assert (SCREENSHOTS_DIR / "conduct-portrait.png").stat().st_size > 10_000
    assert (SCREENSHOTS_DIR / "conduct-landscape.png").stat().st_size > 10_000
