"""Field mode in headless Chromium on an iPad: a whole site visit without network, nothing lost, nothing hidden
(issue 10's "How we know it is right"). Each test checks what the tablet shows and what the server stored.

The tablets are persistent Chromium profiles (IndexedDB, Cache Storage and the service worker survive closing
the browser), cut off with Playwright's `set_offline`, against the real app served by uvicorn from its own SQLite file.

    .venv/bin/python -m pytest tests/test_field_mode.py
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, Api, LiveServer, press, require_chromium
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, func, select

from auditor.app import create_app
from auditor.config import Settings
from auditor.db import make_engine, upgrade
from auditor.models import Evidence, Finding, Photo, Response
from auditor.routes.web import field
from auditor.schemas import AuditIn, OrganisationIn, SiteIn
from auditor.security import SESSION_COOKIE
from auditor.services import accounts, audits, organisations
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

CHECKLIST = "iso45003-clauses"
DEVICE = "iPad Pro 11"


class LostReplies:
    """ASGI wrapper: the next `count` requests whose path contains `part` are carried out by the app, but their reply
    never reaches the tablet (the connection breaks), as when the network drops just after a save."""

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0
        self.part = "/api/v1/audits/"
        self.lost = 0

    async def __call__(self, scope, receive, send):
        if self.count and scope["type"] == "http" and scope["method"] != "GET" and self.part in scope["path"]:
            self.count -= 1
            self.lost += 1

            async def swallow(message):
                return None

            await self.app(scope, receive, swallow)
            raise ConnectionAbortedError("the reply is lost on purpose")
        await self.app(scope, receive, send)


def wait_until(page: Page, expression: str, arg=None, timeout: float = 15) -> None:
    """Poll `expression` with page.evaluate until it is true. Playwright's wait_for_function compiles its predicate
    inside the page, which the app's Content-Security-Policy (script-src 'self', no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


@dataclass
class World:
    url: str
    server: LiveServer
    lost: LostReplies
    api: Api
    engine: object
    library: object
    organisation_id: int
    lead: object
    auditor: object


@pytest.fixture(scope="module")
def world(tmp_path_factory, library):
    require_chromium()
    data_dir = tmp_path_factory.mktemp("field")
    url = f"sqlite:///{data_dir / 'field.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        organisation = organisations.create_organisation(
            session=session,
            actor=None,
            data=OrganisationIn(name="Nordlys Logistik A/S", cvr="12345678", sites=[SiteIn(name="Aarhus lager")]),
        )
        lead, _ = accounts.create_user(
            session=session,
            actor=None,
            email="lead@field.example",
            name="Lene Lead",
            role="lead_auditor",
            password=PASSWORD,
        )
        auditor, _ = accounts.create_user(
            session=session,
            actor=None,
            email="aud@field.example",
            name="Anders Auditor",
            role="auditor",
            password=PASSWORD,
        )
        _, token = accounts.create_token(session=session, user=lead, name="field tests")
        session.commit()  # services flush; the unit of work is the caller's
    # no report process (rendering.py): no test here downloads a report, and one takes seconds of CPU to start
    lost = LostReplies(create_app(Settings(database_url=url, data_dir=data_dir, report_processes=0), engine=engine))
    server = LiveServer(lost).start()
    built = World(server.url, server, lost, Api(server.url, token), engine, library, organisation.id, lead, auditor)
    try:
        yield built
    finally:
        built.server.stop()  # a test may have stopped it and started another on the same port
        engine.dispose()


@dataclass
class Audit:
    id: int
    item_ids: list[str]
    world: World

    @property
    def conduct_url(self) -> str:
        return f"{self.world.url}/audits/{self.id}/conduct"

    def count(self, model) -> int:
        with Session(self.world.engine) as session:
            return session.exec(select(func.count()).select_from(model).where(model.audit_id == self.id)).one()

    def answers(self) -> dict[str, dict]:
        return {a["item_id"]: a for a in self.world.api.get(f"/api/v1/audits/{self.id}/responses")}


@pytest.fixture
def audit(world) -> Audit:
    """An audit in progress with the lead and one auditor on its team: field mode is on by default for both."""
    with Session(world.engine, expire_on_commit=False) as session:
        created = audits.create_audit(
            session=session,
            actor=world.lead,
            library=world.library,
            data=AuditIn(
                title="Besøg på lageret",
                audit_type="surveillance",
                organisation_id=world.organisation_id,
                start_date=date(2026, 12, 1),
                end_date=date(2026, 12, 2),
                lead_auditor_id=world.lead.id,
                team_ids=[world.auditor.id],
                checklists=[CHECKLIST],
                report_language="da",
            ),
        )
        audits.change_status(session=session, actor=world.lead, audit=created, status="in_progress")
        session.commit()
    return Audit(created.id, [item.id for item in world.library.get(CHECKLIST).checklist.items()], world)


class Tablet:
    """One iPad: a persistent Chromium profile that can be closed and opened again, signed in as one user."""

    def __init__(self, browser_type, playwright, profile: Path, world: World) -> None:
        self.browser_type = browser_type
        self.device = {k: v for k, v in playwright.devices[DEVICE].items() if k != "default_browser_type"}
        self.profile = profile
        self.world = world
        self.context: BrowserContext | None = None
        self.page: Page | None = None

    def open(self) -> Page:
        self.context = self.browser_type.launch_persistent_context(
            str(self.profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            **self.device,
            locale="en-GB",
            timezone_id="Europe/Copenhagen",
        )
        self.context.add_cookies([{"name": "auditor_lang", "value": "en", "url": self.world.url}])
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        return self.page

    def sign_in(self, user) -> None:
        with Session(self.world.engine, expire_on_commit=False) as session:
            token = accounts.log_in(
                session=session, email=user.email, password=PASSWORD, address="tablet", lifetime=timedelta(hours=2)
            ).token
            session.commit()
        self.context.add_cookies(
            [{"name": SESSION_COOKIE, "value": token, "url": self.world.url, "expires": time.time() + 7200}]
        )
        self.token = token

    def close(self) -> None:
        self.context.close()
        self.context = self.page = None

    def set_offline(self, offline: bool) -> None:
        self.context.set_offline(offline)

    def conduct(self, audit: Audit) -> Page:
        """Open the conduct page and wait until the audit is stored on the tablet and the worker controls the page."""
        self.page.goto(audit.conduct_url, wait_until="domcontentloaded")
        expect(self.page.locator(".offline-switch")).to_have_attribute("data-state", "stored")
        wait_until(self.page, "() => navigator.serviceWorker.controller !== null")
        return self.page


@pytest.fixture
def tablets(browser_type, playwright, tmp_path, world):
    opened = []

    def make(name: str) -> Tablet:
        tablet = Tablet(browser_type, playwright, tmp_path / name, world)
        opened.append(tablet)
        return tablet

    yield make
    for tablet in opened:
        if tablet.context:
            tablet.close()


def card(page: Page, item_id: str):
    return page.locator(f".item-card[data-item-id='{item_id}']")


def indicator(page: Page):
    return page.locator("#sync-state")


def picture(tmp_path: Path, name: str, colour) -> str:
    from PIL import Image

    path = tmp_path / name
    Image.new("RGB", (800, 600), colour).save(path, "JPEG")
    return str(path)


def tap_verdict(page: Page, item_id: str, verdict: str) -> None:
    """Tap a verdict and see the card show it."""
    press(
        card(page, item_id).locator(f".verdict[data-verdict={verdict}]"),
        lambda timeout: expect(card(page, item_id)).to_have_attribute("data-verdict", verdict, timeout=timeout),
    )


def open_finding(page: Page, item_id: str):
    """Tap an item's "Raise finding": the finding's dialog, open."""
    dialog = page.locator("#finding-dialog")
    press(
        card(page, item_id).get_by_role("link", name="Raise finding"),
        lambda timeout: expect(dialog).to_be_visible(timeout=timeout),
    )
    return dialog


def add_evidence(page: Page, item_id: str, summary: str) -> None:
    dialog = page.locator("#evidence-dialog")
    press(
        card(page, item_id).get_by_role("button", name="Add evidence"),
        lambda timeout: expect(dialog).to_be_visible(timeout=timeout),
    )
    dialog.locator("[name=method]").select_option("observation")
    dialog.locator("[name=summary]").fill(summary)
    dialog.get_by_role("button", name="Save evidence").tap()
    expect(dialog).to_be_hidden()


def add_photo(page: Page, item_id: str, path: str, caption: str) -> None:
    dialog = page.locator("#photo-dialog")
    press(
        card(page, item_id).get_by_role("button", name="Photo"),
        lambda timeout: expect(dialog).to_be_visible(timeout=timeout),
    )
    dialog.locator("input[type=file]").set_input_files(path)
    dialog.get_by_label("Caption").fill(caption)
    dialog.get_by_role("button", name="Save photo").tap()
    expect(dialog).to_be_hidden()


def queued(page: Page) -> int:
    """How many changes the tablet's outbox holds (its own count, not the indicator's)."""
    return page.evaluate("""async () => {
        const { field } = await import('/static/field.mjs');
        const context = await field;
        return (await context.outbox.counts()).total;
    }""")


# -- 1. A day offline, a reload, the browser closed, then online ---------------------------------------------------


def test_a_day_offline_survives_reload_and_restart_and_arrives_exactly_once(tablets, audit, tmp_path):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(audit.world.lead)
    tablet.conduct(audit)
    answered = audit.item_ids[:20]

    tablet.set_offline(True)
    for number, item_id in enumerate(answered):
        tap_verdict(page, item_id, "conform")
        card(page, item_id).locator("textarea.note").fill(f"Note {number}: set på stedet")
    for number in range(3):
        add_evidence(page, answered[number], f"Observation {number}")
    add_photo(page, answered[3], picture(tmp_path, "a.jpg", (200, 40, 40)), "Nødudgang")
    add_photo(page, answered[4], picture(tmp_path, "b.jpg", (40, 200, 40)), "Opslagstavle")
    tap_verdict(page, answered[5], "minor_nc")
    finding_dialog = open_finding(page, answered[5])
    expect(finding_dialog.locator("input[name=kind][value=minor_nc]")).to_be_checked()  # the verdict as the kind
    expect(finding_dialog.locator("[name=statement]")).to_have_value(
        "Note 5: set på stedet"
    )  # the note as the statement
    finding_dialog.locator("input[type=file]").set_input_files(picture(tmp_path, "c.jpg", (40, 40, 200)))
    finding_dialog.get_by_role("button", name="Save finding").tap()
    expect(finding_dialog).to_be_hidden()

    changes = 20 + 3 + 2 + 1 + 1  # an answer's verdict and note are one change
    expect(indicator(page)).to_have_attribute("data-state", "offline")
    expect(indicator(page)).to_have_text(f"Offline – {changes} changes waiting")
    expect(card(page, answered[0]).locator(".save-state")).to_have_attribute("data-state", "waiting")

    page.reload(wait_until="domcontentloaded")  # offline: the page comes from the service worker
    expect(card(page, answered[7]).locator("textarea.note")).to_have_value("Note 7: set på stedet")
    expect(card(page, answered[7])).to_have_attribute("data-verdict", "conform")
    expect(card(page, answered[0]).locator(".evidence-list li.pending")).to_have_count(1)
    expect(card(page, answered[3]).locator(".photo.pending")).to_have_count(1)
    expect(indicator(page)).to_have_text(f"Offline – {changes} changes waiting")
    assert audit.count(Response) == 0
    page.goto(
        f"{audit.world.url}/cases", wait_until="domcontentloaded"
    )  # not stored: our offline page, with the way back
    expect(page.locator("#offline-audits a")).to_have_attribute("href", f"/audits/{audit.id}/conduct")
    expect(page.locator("#offline-audits a")).to_have_text("Besøg på lageret")
    expect(page.locator("#offline-waiting")).to_have_text(f"{changes} changes waiting")
    tablet.close()

    page = tablet.open()  # the next morning, with network
    page.goto(audit.conduct_url, wait_until="domcontentloaded")
    # 27 changes with three photos, on a machine running the rest of the suite beside it (once over 10 s with four
    # browser tests at a time): this test is about what arrives; how fast is bench/bench_field.py's question.
    expect(indicator(page)).to_have_attribute("data-state", "saved", timeout=30_000)
    expect(indicator(page)).to_have_text("All changes saved")
    assert queued(page) == 0
    answers = audit.answers()
    assert len(answers) == 20
    assert {item_id: (answers[item_id]["verdict"], answers[item_id]["note"]) for item_id in answered} == {
        item_id: ("minor_nc" if n == 5 else "conform", f"Note {n}: set på stedet") for n, item_id in enumerate(answered)
    }
    assert audit.count(Evidence) == 3
    assert audit.count(Finding) == 1
    with Session(audit.world.engine) as session:
        photos = session.exec(select(Photo).where(Photo.audit_id == audit.id)).all()
    assert sorted((p.caption, p.item_id is not None, p.finding_id is not None) for p in photos) == [
        ("", False, True),
        ("Nødudgang", True, False),
        ("Opslagstavle", True, False),
    ]
    expect(card(page, answered[0]).locator(".save-state")).to_have_attribute("data-state", "saved")


# -- 6. A lost reply: the same outbox sent twice creates nothing twice -----------------------------------------------


def test_replaying_the_outbox_after_lost_replies_creates_nothing_twice(tablets, audit):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(audit.world.lead)
    tablet.conduct(audit)
    first, second = audit.item_ids[:2]
    tablet.set_offline(True)
    card(page, first).locator("textarea.note").fill("Kun én gang")
    add_evidence(page, first, "Set én gang")
    add_evidence(page, second, "Også kun én gang")
    expect(indicator(page)).to_have_text("Offline – 3 changes waiting")

    audit.world.lost.count = 3  # each of the three arrives, and each reply is lost: the tablet sends all again
    tablet.set_offline(False)
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    assert audit.world.lost.lost >= 3
    assert audit.count(Evidence) == 2
    assert audit.answers()[first]["version"] == 1
    assert [
        e["summary"]
        for e in audit.world.api.get(f"/api/v1/audits/{audit.id}/responses/{quote(second, safe='')}/evidence")
    ] == ["Også kun én gang"]


def test_typing_on_after_a_lost_reply_saves_the_whole_note_with_no_conflict(tablets, audit):
    """The note's first words reach the server, their reply does not; the auditor types on (offline), reloads, comes
    back online: the server has the whole note, and the tablet shows no conflict with its own earlier words."""
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(audit.world.lead)
    tablet.conduct(audit)
    item_id = audit.item_ids[0]
    note = card(page, item_id).locator("textarea.note")
    lost_before = audit.world.lost.lost
    audit.world.lost.count = 1
    note.fill("Beredskabsplanen hænger")
    deadline = time.monotonic() + 15
    while audit.world.lost.lost == lost_before or audit.count(Response) == 0:  # saved as version 1, the reply lost
        assert time.monotonic() < deadline, "the note never reached the server"
        time.sleep(0.05)
    tablet.set_offline(True)  # before the outbox sends it again (it retries within 2 s)
    assert audit.answers()[item_id]["version"] == 1

    note.fill("Beredskabsplanen hænger på væggen i kantinen")
    expect(indicator(page)).to_have_text("Offline – 2 changes waiting")  # the one sent, and the words typed after it
    page.reload(wait_until="domcontentloaded")
    expect(card(page, item_id).locator("textarea.note")).to_have_value("Beredskabsplanen hænger på væggen i kantinen")

    tablet.set_offline(False)
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    answer = audit.answers()[item_id]
    assert (answer["note"], answer["version"]) == ("Beredskabsplanen hænger på væggen i kantinen", 2)
    expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(card(page, item_id).locator(".conflict-slot")).to_be_empty()
    assert queued(page) == 0


# -- 7. The audit closed while notes wait on the tablet ------------------------------------------------------------


def test_a_closed_audit_keeps_the_notes_on_the_tablet_for_export_and_hides_them_from_the_next_user(
    tablets, audit, world
):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    notes = {item_id: f"Vigtig note {n}" for n, item_id in enumerate(audit.item_ids[:3])}
    tablet.set_offline(True)
    for item_id, note in notes.items():
        card(page, item_id).locator("textarea.note").fill(note)
    expect(indicator(page)).to_have_text("Offline – 3 changes waiting")

    for status in ("reporting", "closed"):  # meanwhile, at the office
        assert world.api.request("POST", f"/api/v1/audits/{audit.id}/status", {"status": status})[0] == 200

    tablet.set_offline(False)
    expect(indicator(page)).to_have_attribute("data-state", "attention")
    expect(indicator(page)).to_have_text("3 changes need your attention")
    for item_id, note in notes.items():
        expect(card(page, item_id).locator(".save-state")).to_have_attribute("data-state", "closed")
        expect(card(page, item_id).locator("textarea.note")).to_have_value(note)  # never wiped
    assert audit.count(Response) == 0

    page.reload(wait_until="domcontentloaded")  # the closed audit's page: the notes are still shown from the tablet
    for item_id, note in notes.items():
        expect(card(page, item_id).locator("textarea.note")).to_have_value(note)
    downloads = []  # a second export (a tap pressed again because the first never reached the button) is harmless
    page.on("download", lambda download: downloads.append(download))

    def exported_a_file(timeout: float | None) -> None:
        page.wait_for_timeout(0)  # lets a download that has begun arrive
        deadline = time.monotonic() + (timeout or 30_000) / 1000
        while not downloads and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert downloads, "the export gave no file"

    press(page.locator("#export-unsent"), exported_a_file)
    exported = json.loads(Path(downloads[0].path()).read_text(encoding="utf-8"))
    assert exported["audit_id"] == audit.id
    assert sorted(change["payload"]["note"] for change in exported["changes"]) == sorted(notes.values())

    # The lead's session ends; a colleague signs in on the same tablet: none of the lead's notes, nothing sent.
    # The conduct page is left first: its outbox asks the server for a fresh CSRF token now and then, and with the
    # cookies cleared that answer could set a CSRF cookie other than the login form's (seen: the sign-in refused).
    page.goto("about:blank")
    tablet.context.clear_cookies()
    page.goto(f"{world.url}/login", wait_until="domcontentloaded")
    page.locator("[name=email]").fill(world.auditor.email)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] [type=submit]").tap()
    page.wait_for_url(f"{world.url}/")
    page.goto(audit.conduct_url, wait_until="domcontentloaded")
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    for item_id in notes:
        expect(card(page, item_id).locator("textarea.note")).to_have_value("")
    assert queued(page) == 0
    assert audit.count(Response) == 0


# -- 2. Two tablets change the same item offline -------------------------------------------------------------------


def test_two_tablets_offline_on_one_item_the_later_chooses_and_the_earlier_is_told(tablets, audit, world):
    item_id = audit.item_ids[0]
    lead, colleague = tablets("lead"), tablets("colleague")
    for tablet, user in ((lead, world.lead), (colleague, world.auditor)):
        tablet.open()
        tablet.sign_in(user)
        tablet.conduct(audit)
        tablet.set_offline(True)
    tap_verdict(lead.page, item_id, "conform")
    card(lead.page, item_id).locator("textarea.note").fill("Lederen: APV er opdateret")
    tap_verdict(colleague.page, item_id, "minor_nc")
    card(colleague.page, item_id).locator("textarea.note").fill("Kollegaen: APV mangler handlingsplan")

    lead.set_offline(False)
    expect(indicator(lead.page)).to_have_attribute("data-state", "saved")
    colleague.set_offline(False)
    box = card(colleague.page, item_id).locator(".conflict-box")
    expect(box).to_be_visible()
    expect(box.locator(".conflict-note[data-side=mine]")).to_have_text("Kollegaen: APV mangler handlingsplan")
    expect(box.locator(".conflict-note[data-side=theirs]")).to_have_text("Lederen: APV er opdateret")
    expect(box.locator(".conflict-by")).to_have_text("Lene Lead")
    expect(indicator(colleague.page)).to_have_attribute("data-state", "attention")
    assert audit.answers()[item_id]["note"] == "Lederen: APV er opdateret"  # nothing overwritten while they choose
    box.get_by_role("button", name="Keep mine").tap()
    expect(card(colleague.page, item_id).locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(indicator(colleague.page)).to_have_attribute("data-state", "saved")
    stored = audit.answers()[item_id]
    assert (stored["verdict"], stored["note"], stored["version"], stored["updated_by"]) == (
        "minor_nc",
        "Kollegaen: APV mangler handlingsplan",
        2,
        "Anders Auditor",
    )

    # The lead's tablet still shows its own answer as saved, until it next loads the page: then it is told.
    lead.page.reload(wait_until="domcontentloaded")
    lead_card = card(lead.page, item_id)
    expect(lead_card.locator("textarea.note")).to_have_value("Kollegaen: APV mangler handlingsplan")
    expect(lead_card).to_have_attribute("data-verdict", "minor_nc")
    expect(lead_card.locator(".replaced")).to_be_visible()
    expect(lead_card.locator(".replaced")).to_contain_text("Anders Auditor")

    # The trail has both answers, each by its author.
    trail = world.api.get(f"/api/v1/audits/{audit.id}/history?entity=response")
    assert [(event["actor"], event["after"]["note"]) for event in trail if event["after"]] == [
        (world.lead.email, "Lederen: APV er opdateret"),
        (world.auditor.email, "Kollegaen: APV mangler handlingsplan"),
    ]


# -- 4. The session expires while offline ----------------------------------------------------------------------


def test_a_session_expired_while_offline_keeps_the_outbox_and_syncs_after_signing_in(tablets, audit, world):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    tablet.set_offline(True)
    notes = {item_id: f"Skrevet i kælderen {n}" for n, item_id in enumerate(audit.item_ids[:4])}
    for item_id, note in notes.items():
        card(page, item_id).locator("textarea.note").fill(note)
    expect(indicator(page)).to_have_text("Offline – 4 changes waiting")
    with Session(world.engine) as session:  # the session ends on the server meanwhile
        accounts.log_out(session=session, token=tablet.token)
        session.commit()

    tablet.set_offline(False)
    expect(indicator(page)).to_have_attribute("data-state", "signed_out")
    expect(indicator(page)).to_have_text("Log in again to send 4 changes")
    assert audit.count(Response) == 0
    indicator(page).get_by_role("link").tap()
    page.locator("[name=email]").fill(world.lead.email)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] [type=submit]").tap()
    page.wait_for_url(audit.conduct_url)
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    assert {item_id: answer["note"] for item_id, answer in audit.answers().items()} == notes


# -- 5. A new version of the app while changes wait ----------------------------------------------------------------


def test_a_new_service_worker_keeps_the_queued_changes_and_they_sync(tablets, audit, world, monkeypatch):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    old_version = page.evaluate("caches.keys()")
    tablet.set_offline(True)
    card(page, audit.item_ids[0]).locator("textarea.note").fill("Før opdateringen")
    add_evidence(page, audit.item_ids[0], "Også før opdateringen")
    expect(indicator(page)).to_have_text("Offline – 2 changes waiting")
    tablet.close()

    # Deployed meanwhile: a new app version, so a new worker with a new shell cache.
    monkeypatch.setattr(field, "__version__", "next-release")
    field.service_worker_source.cache_clear()
    page = tablet.open()
    tablet.set_offline(False)
    page.goto(audit.conduct_url, wait_until="domcontentloaded")
    wait_until(
        page,
        "async (old) => { const keys = await caches.keys(); return keys.some((k) => k.startsWith('auditor-shell-') && !old.includes(k)) && !keys.some((k) => old.includes(k) && k.startsWith('auditor-shell-')); }",
        arg=old_version,
    )
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    assert audit.answers()[audit.item_ids[0]]["note"] == "Før opdateringen"
    assert audit.count(Evidence) == 1
    field.service_worker_source.cache_clear()


# -- 3. The server stopped while the auditor types -----------------------------------------------------------------


def test_work_while_the_server_is_down_arrives_when_it_is_back(tablets, audit, world):
    """The tablet keeps its connection; the server is away. How long it is away does not matter to the tablet (it
    looks every 2 s, it does not back off), so the test stops it for a few seconds of typing, not 60."""
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    port = world.server.port
    world.server.stop()
    notes = {item_id: f"Mens serveren var væk {n}" for n, item_id in enumerate(audit.item_ids[:5])}
    for item_id, note in notes.items():
        card(page, item_id).locator("textarea.note").fill(note)
        tap_verdict(page, item_id, "conform")
    expect(indicator(page)).to_have_text("Offline – 5 changes waiting")
    probes = []
    page.on("request", lambda request: request.url.endswith("/healthz") and probes.append(request.url))
    page.wait_for_event("request", lambda request: request.url.endswith("/healthz"))  # it looks, while away

    world.server = LiveServer(world.lost, port=port).start()
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    answers = audit.answers()
    assert {item_id: (answers[item_id]["note"], answers[item_id]["verdict"]) for item_id in notes} == {
        item_id: (note, "conform") for item_id, note in notes.items()
    }
    assert probes  # found by its light probe of /healthz, not by a retry of the saves


# -- Logout on a shared tablet ---------------------------------------------------------------------------------------


def test_logout_with_unsent_changes_asks_and_only_then_removes_them(tablets, audit, world):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    tablet.set_offline(True)
    card(page, audit.item_ids[0]).locator("textarea.note").fill("Ikke sendt endnu")
    expect(indicator(page)).to_have_text("Offline – 1 change waiting")
    with page.expect_event("dialog") as asked:
        page.get_by_role("button", name="Log out").tap()
    assert asked.value.message == "1 change has not reached the server. Log out and discard it?"
    asked.value.dismiss()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert queued(page) == 1  # kept: the auditor said no

    tablet.set_offline(False)
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    page.get_by_role("button", name="Log out").tap()  # all sent: no question, and the tablet keeps nothing of theirs
    page.wait_for_url(f"{world.url}/login")
    assert page.evaluate("async () => (await indexedDB.databases()).map((db) => db.name)") == ["auditor-field"]
    assert page.evaluate("async () => (await caches.keys()).filter((name) => name.startsWith('auditor-pages-'))") == []
    assert audit.answers()[audit.item_ids[0]]["note"] == "Ikke sendt endnu"


# -- The conduct screen on an iPad in portrait -------------------------------------------------------------------


def test_conduct_screen_clears_a_verdict_filters_searches_and_shows_three_cards(tablets, audit, world):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    first, second = audit.item_ids[:2]
    tap_verdict(page, first, "conform")
    expect(card(page, first).locator(".save-state")).to_have_attribute("data-state", "saved")
    card(page, first).get_by_role("button", name="Clear verdict").tap()
    expect(card(page, first)).to_have_attribute("data-verdict", "")
    expect(card(page, first).locator(".save-state")).to_have_attribute("data-state", "saved")
    assert audit.answers()[first]["verdict"] is None

    tap_verdict(page, second, "conform")
    page.get_by_label("Only unanswered").check()
    expect(card(page, second)).to_be_hidden()
    expect(card(page, first)).to_be_visible()
    expect(page.locator(".item-card:visible")).to_have_count(len(audit.item_ids) - 1)
    page.get_by_label("Only unanswered").uncheck()
    question = card(page, audit.item_ids[7]).locator(".question").first.inner_text()
    page.get_by_label("Search").fill(question[:40])
    expect(page.locator(".item-card:visible")).to_have_count(1)
    expect(card(page, audit.item_ids[7])).to_be_visible()
    page.get_by_label("Search").fill("")

    # Compact enough that a 11" iPad in portrait shows at least three whole cards below the header.
    page.evaluate("document.querySelector('.item-card').scrollIntoView({block: 'start'})")  # under the sticky header
    visible = page.evaluate("""() => {
        const sticky = ['.conduct-head', '.section-nav', '.conduct-section h2'].map((s) => document.querySelector(s).getBoundingClientRect().bottom);
        const top = Math.max(...sticky);
        return [...document.querySelectorAll('.item-card')].filter((c) => {
            const box = c.getBoundingClientRect();
            return box.top >= top - 1 && box.bottom <= window.innerHeight;
        }).length;
    }""")
    assert page.viewport_size == {"width": 834, "height": 1194}
    assert visible >= 3


# -- Two tabs of one audit on one tablet -----------------------------------------------------------------------------


def test_two_tabs_of_one_audit_see_each_others_queued_changes_without_a_reload(tablets, audit, world):
    tablet = tablets("ipad")
    first = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    second = tablet.context.new_page()
    second.goto(audit.conduct_url, wait_until="domcontentloaded")
    expect(indicator(second)).to_have_attribute("data-state", "saved")
    item_id = audit.item_ids[0]
    tablet.set_offline(True)

    tap_verdict(first, item_id, "conform")
    card(first, item_id).locator("textarea.note").fill("Skrevet i den første fane")
    add_evidence(first, item_id, "Set fra den første fane")
    expect(indicator(second)).to_have_text("Offline – 2 changes waiting")  # counted in the other tab at once
    expect(card(second, item_id)).to_have_attribute("data-verdict", "conform")
    expect(card(second, item_id).locator("textarea.note")).to_have_value("Skrevet i den første fane")
    expect(card(second, item_id).locator(".save-state")).to_have_attribute("data-state", "waiting")
    expect(card(second, item_id).locator(".evidence-list li.pending .summary")).to_have_text("Set fra den første fane")

    tablet.set_offline(False)
    expect(indicator(second)).to_have_attribute("data-state", "saved")
    expect(card(second, item_id).locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(card(second, item_id).locator(".evidence-list li.pending")).to_have_count(0)
    assert audit.answers()[item_id]["verdict"] == "conform"
    assert audit.count(Evidence) == 1


# -- The offline page in the user's language -------------------------------------------------------------------------


def test_the_offline_page_follows_the_language_the_user_chose_after_the_first_visit(tablets, audit, world):
    tablet = tablets("ipad")
    page = tablet.open()  # English on the first visit, when the worker stores the app shell
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    tablet.context.add_cookies([{"name": "auditor_lang", "value": "da", "url": world.url}])  # Danish chosen later
    tablet.conduct(audit)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    tablet.set_offline(True)
    page.goto(f"{world.url}/cases", wait_until="domcontentloaded")
    expect(page.locator("h1")).to_have_text("Du er offline")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("#offline-audits a")).to_have_text("Besøg på lageret")


# -- A finding raised offline takes the item's photos that the server has -------------------------------------------


def test_a_finding_raised_offline_carries_the_items_photo_already_on_the_server(tablets, audit, world, tmp_path):
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    item_id = audit.item_ids[2]
    add_photo(page, item_id, picture(tmp_path, "wall.jpg", (90, 90, 200)), "Opslag på væggen")  # sent at once
    expect(card(page, item_id).locator(".photo-strip figure[data-photo-id]")).to_have_count(1)
    tablet.set_offline(True)
    tap_verdict(page, item_id, "minor_nc")
    dialog = open_finding(page, item_id)
    expect(dialog.locator("#finding-dialog-photos")).to_be_visible()
    dialog.locator("[name=statement]").fill("Opslaget er forældet")
    dialog.get_by_role("button", name="Save finding").tap()
    expect(dialog).to_be_hidden()
    tablet.set_offline(False)
    expect(indicator(page)).to_have_attribute("data-state", "saved")
    [finding] = world.api.get(f"/api/v1/audits/{audit.id}/findings")
    assert [p["caption"] for p in finding["photos"]] == ["Opslag på væggen"]
    assert audit.count(Photo) == 2  # the item's photo and the finding's copy of it


# -- A finding raised from an item never takes its confidential evidence as objective evidence ----------------------


def test_a_finding_raised_from_an_item_leaves_its_confidential_evidence_out(tablets, audit, world):
    """A finding's objective evidence is in the findings list the client reads and in the Word report: the item's
    confidential evidence (only the audit team sees it) is not prefilled into it, whether sent or still queued."""
    tablet = tablets("ipad")
    page = tablet.open()
    tablet.sign_in(world.lead)
    tablet.conduct(audit)
    item_id = audit.item_ids[3]
    add_evidence(page, item_id, "Opslag om arbejdstid")
    card(page, item_id).get_by_role("button", name="Add evidence").tap()
    evidence_dialog = page.locator("#evidence-dialog")
    evidence_dialog.locator("[name=method]").select_option("document")
    evidence_dialog.locator("[name=summary]").fill("Fortroligt: en medarbejder fortalte om chikane")
    evidence_dialog.locator("[name=confidential]").check()
    evidence_dialog.get_by_role("button", name="Save evidence").tap()
    expect(evidence_dialog).to_be_hidden()
    expect(card(page, item_id).locator(".evidence-list li.confidential")).to_have_count(1)
    dialog = open_finding(page, item_id)
    expect(dialog).to_be_visible()
    expect(dialog.locator("[name=evidence]")).to_have_value("Opslag om arbejdstid")
