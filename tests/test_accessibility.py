"""WCAG 2.1 AA in headless Chromium (issue 13, items 16-20): axe-core finds 0 violations on every page state, for
each role, in Danish and English (ROLE_LANGUAGES: each page visited once, in both languages where its markup differs);
the Nu HTML checker finds 0 errors in the same pages' rendered HTML (htmx attributes aside);
and the checks axe cannot make itself: reflow at 320 px and on a portrait tablet, focus never hidden behind the
sticky conduct header, form errors that reach a screen reader, a skip link, named language toggles.

axe-core and vnu-jar come from npm (package.json, `npm ci`); Java runs vnu. The app's Content-Security-Policy
forbids injected scripts, so the browser context bypasses it (`bypass_csp`) to add axe.min.js; the app is unchanged.

    .venv/bin/python -m pytest tests/test_accessibility.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer, press, require_chromium
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import select

from auditor import demo
from auditor.app import create_app
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work, upgrade
from auditor.models import Audit, Case, Finding, User
from auditor.schemas import AuditIn, OrganisationIn, SiteIn
from auditor.security import SESSION_COOKIE
from auditor.services import accounts, audits, organisations, reviews
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PORTRAIT = {"width": 834, "height": 1194}  # iPad Pro 11" in portrait
LANDSCAPE = {"width": 1194, "height": 834}
PHONE = {"width": 320, "height": 640}  # WCAG 1.4.10: 320 CSS px wide without scrolling sideways
LANGUAGES = ("da", "en")


def require_tool(path: Path, what: str) -> None:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `npm ci` ({what})", pytrace=False)


# -- The live server with the demo audit (every kind of page state has data) --------------------------------------


@dataclass
class World:
    url: str
    engine: object
    audit_id: int
    finding_id: int
    case_id: int
    review_id: int
    users: dict[str, User]
    organisation_id: int
    reported_audit_id: int  # a certification audit waiting for its decision
    stage2_id: int  # the demo's decided stage 2 audit


@pytest.fixture(scope="module")
def world(tmp_path_factory, library):
    require_chromium()
    data_dir = tmp_path_factory.mktemp("a11y")
    url = f"sqlite:///{data_dir / 'a11y.db'}"
    upgrade(url)
    engine = make_engine(url)
    today = date.today()
    with unit_of_work(engine) as session:
        # The demo's organisation and users made first with a known password; the demo then finds and uses them.
        organisation = organisations.create_organisation(
            session=session,
            actor=None,
            data=OrganisationIn(
                name=demo.ORGANISATION, sites=[SiteIn(name=demo.WAREHOUSE), SiteIn(name=demo.HEAD_OFFICE)]
            ),
        )
        users = {}
        for email, name, role, member in demo.USERS:
            users[role], _ = accounts.create_user(
                session=session,
                actor=None,
                email=email,
                name=name,
                role=role,
                organisation_id=organisation.id if member else None,
                password=PASSWORD,
            )
        made = demo.create_demo(session=session, library=library, today=today)
        finding = session.exec(select(Finding).where(Finding.audit_id == made.audit.id)).first()
        case = session.exec(select(Case).where(Case.finding_id == finding.id)).one()
        review = reviews.create_review(
            session=session,
            actor=users["quality_manager"],
            organisation_id=organisation.id,
            period_start=today - timedelta(days=365),
            period_end=today,
            policy=Settings().deadline_policy,
        )
        reported = audits.create_audit(
            session=session,
            actor=users["lead_auditor"],
            library=library,
            data=AuditIn(
                title="Særlig audit efter klage",
                audit_type="special",
                organisation_id=organisation.id,
                start_date=today - timedelta(days=7),
                end_date=today - timedelta(days=7),
                checklists=["iso45003-clauses"],
            ),
        )
        for status in ("in_progress", "reporting"):
            audits.change_status(session=session, actor=users["lead_auditor"], audit=reported, status=status)
        stage2 = session.exec(select(Audit).where(Audit.title == demo.STAGE2_TITLE)).one()
        # more organisations than a form lists, so that the forms of provider staff show the organisation search
        for n in range(organisations.CHOICE_LIMIT):
            organisations.create_organisation(session=session, actor=None, data=OrganisationIn(name=f"Kunde {n:02d}"))
        ids = made.audit.id, finding.id, case.id, review.id
        more = organisation.id, reported.id, stage2.id
    # no report process (rendering.py): pages are checked, no report is downloaded, and one takes seconds to start
    settings = Settings(database_url=url, data_dir=data_dir, report_processes=0)
    server = LiveServer(create_app(settings, engine=engine)).start()
    try:
        yield World(server.url, engine, *ids, users, *more)
    finally:
        server.stop()
        engine.dispose()


@pytest.fixture(scope="module")
def chromium(playwright) -> Browser:
    require_chromium()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Visitor:
    """One signed-in user (or nobody) in one language, in a context that lets the test add axe-core."""

    def __init__(self, chromium: Browser, world: World, role: str | None, lang: str, viewport=LANDSCAPE) -> None:
        self.world = world
        self.context: BrowserContext = chromium.new_context(
            bypass_csp=True, viewport=viewport, locale="da-DK" if lang == "da" else "en-GB", has_touch=True
        )
        cookies = [{"name": "auditor_lang", "value": lang, "url": world.url}]
        if role is not None:
            with unit_of_work(world.engine) as session:
                token = accounts.log_in(
                    session=session,
                    email=world.users[role].email,
                    password=PASSWORD,
                    address=f"a11y-{role}-{lang}-{time.monotonic_ns()}",
                    lifetime=timedelta(hours=2),
                ).token
            cookies.append({"name": SESSION_COOKIE, "value": token, "url": world.url})
        self.context.add_cookies(cookies)
        self.page: Page = self.context.new_page()

    def open(self, path: str) -> Page:
        self.page.goto(self.world.url + path, wait_until="load")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def visitors(world, chromium):
    opened: list[Visitor] = []

    def make(role: str | None, lang: str, viewport=LANDSCAPE) -> Visitor:
        visitor = Visitor(chromium, world, role, lang, viewport)
        opened.append(visitor)
        return visitor

    yield make
    for visitor in opened:
        visitor.close()


def axe_violations(page: Page, within: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (only in the element `within` selects, if given),
    each with its first three targets."""
    require_tool(AXE, "axe-core")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # the script tag goes once it has run: the page's HTML stays as the app made it (vnu checks it)
        page.add_script_tag(path=str(AXE)).evaluate("script => script.remove()")
    result = page.evaluate(
        """async ([tags, within]) => {
            const result = await axe.run(within ? {include: [within]} : document,
                {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.length,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.split('\\n').slice(1, 2).join(''))}));
        }""",
        [WCAG_TAGS, within],
    )
    return result


def conduct_states(page: Page):
    """The conduct page as it is, then with each of its dialogs open (one at a time): (state, what axe checks). With a
    dialog open axe checks the dialog: the page behind it is the page checked first (a thousand cards: a whole-page
    run costs seconds)."""
    yield "conduct", None
    first = page.locator(".item-card").first
    for action, dialog in (
        ("add-evidence", "#evidence-dialog"),
        ("add-photo", "#photo-dialog"),
        ("raise-finding", "#finding-dialog"),
    ):
        press(
            first.locator(f"[data-action={action}]"),
            lambda timeout, dialog=dialog: expect(page.locator(dialog)).to_be_visible(timeout=timeout),
            tap=False,
        )
        yield f"conduct + {dialog}", dialog
        page.once("dialog", lambda question: question.accept())  # "discard what you typed?"
        page.locator(dialog).locator("[data-action=close-dialog]").first.click()
        expect(page.locator(dialog)).to_be_hidden()


def form_error_states(page: Page, world: World):
    """A form sent with errors: the audit form (dates the wrong way round) and the finding form (empty)."""
    page.locator("[name=title]").fill("Audit med fejl")
    page.locator("[name=start_date]").fill("2026-12-05")
    page.locator("[name=end_date]").fill("2026-12-01")
    page.locator("form.audit-form [type=submit], form [type=submit]").last.click()
    page.wait_for_load_state("load")
    yield "audit form with errors"


def pages_for(role: str | None, world: World) -> list[str]:
    a, f, c, r = world.audit_id, world.finding_id, world.case_id, world.review_id
    if role is None:
        return ["/login", "/offline"]
    common = ["/", f"/audits/{a}", f"/audits/{a}/findings", "/cases", f"/cases/{c}", "/account", "/audits/99999999"]
    return {
        "admin": [
            *common,
            "/users",
            f"/users/{world.users['viewer'].id}",
            "/report-templates",
            "/cases/new",
            "/management-reviews?organisation_q=Kunde+0",  # the organisation search, found
            "/organisations",
            f"/organisations/{world.organisation_id}/sites",
            f"/audits/{world.reported_audit_id}/decision",  # the decision form
            f"/audits/{world.stage2_id}/decision",  # a decision taken
            "/auditors",
            f"/auditors/{world.users['lead_auditor'].id}",
        ],
        "lead_auditor": [
            *common,
            "/audits/new",
            "/audits/new?organisation_q=ingen+s%C3%A5dan",  # the organisation search, nothing found
            f"/audits/{a}/edit",
            f"/audits/{a}/findings/new",
            f"/audits/{a}/findings/{f}/edit",
            f"/audits/{a}/history",
            f"/audits/{a}/report",
            f"/audits/{a}/time",
            f"/audits/{a}/sampling",
            f"/auditors/{world.users['lead_auditor'].id}",
            "/cases/mine",
            "/users",  # 403
            f"/organisations/{world.organisation_id}/programme",
            f"/audits/new?organisation_id={world.organisation_id}&slot=recertification",
            f"/audits/{world.reported_audit_id}/decision",  # a team member: waiting, no form
            "/calendar",
            f"/calendar/{date.today() - timedelta(days=7)}?limit=1",  # the reported audit's day, with its pager
        ],
        "auditor": [*common, f"/audits/{a}/conduct"],
        "quality_manager": [
            *common,
            "/management-reviews",
            f"/management-reviews/{r}",
            "/cases/mine",
            f"/organisations/{world.organisation_id}/programme",
            "/calendar",
        ],
        "action_owner": [*common, "/cases/mine"],
        "viewer": [*common, f"/audits/{a}/conduct", f"/audits/{a}/history"],
    }[role]


# Each role's pages in one language, the languages taking turns so that the pages every role sees (the front page, the
# audit, the cases, the account, ...) are checked in both; a page's markup is the same in either language but for its
# words. The pages whose markup differs by language are checked in both: the log-in and offline pages (where a language
# is first chosen) here, and the conduct page (questions in the audit's language, the other one marked up with its
# own `lang`) in test_no_axe_violations_while_conducting.
ROLE_LANGUAGES = [
    (None, "da"),
    (None, "en"),
    ("admin", "en"),
    ("lead_auditor", "da"),
    ("auditor", "en"),
    ("quality_manager", "da"),
    ("action_owner", "en"),
    ("viewer", "da"),
]


@dataclass
class Checked:
    """One visit's page states: axe's violations by state, and the rendered HTML of each (a file, for vnu)."""

    violations: dict[str, list[dict]]
    files: list[str]


@pytest.fixture(scope="module")
def checked(world, visitors, tmp_path_factory):
    """check(role, lang, viewport=LANDSCAPE): that role's pages in that language (the conduct page's states with
    role="conduct"), each visited once in the module: axe runs on it and its rendered HTML (the DOM after the page's
    scripts ran, before axe was added) is kept for vnu. A second test asking for the same visit gets the same answer."""
    folder = tmp_path_factory.mktemp("a11y-html")
    done: dict[tuple, Checked] = {}

    def states(role: str | None, lang: str, viewport: dict):
        if role == "conduct":
            page = visitors("lead_auditor", lang, viewport).open(f"/audits/{world.audit_id}/conduct")
            for state, within in conduct_states(page):
                yield state, page, within
            return
        visitor = visitors(role, lang, viewport)
        for path in pages_for(role, world):
            yield path, visitor.open(path), None

    def check(role: str | None, lang: str, viewport: dict = LANDSCAPE) -> Checked:
        key = (role, lang, viewport["width"])
        if key not in done:
            violations, files = {}, []
            for state, page, within in states(role, lang, viewport):
                html = folder / (
                    re.sub(r"[^\w-]+", "_", f"{role or 'anonymous'}-{lang}-{viewport['width']}-{state}") + ".html"
                )
                html.write_text(page.content(), encoding="utf-8")
                files.append(str(html))
                if found := axe_violations(page, within):
                    violations[state] = found
            done[key] = Checked(violations, files)
        return done[key]

    return check


@pytest.mark.parametrize(
    ("role", "lang"), ROLE_LANGUAGES, ids=[f"{role or 'anonymous'}-{lang}" for role, lang in ROLE_LANGUAGES]
)
def test_no_axe_violations_on_any_page(checked, role, lang):
    """Every page each role can reach has 0 axe WCAG 2.1 AA violations (each page in both languages where its markup
    differs by language, ROLE_LANGUAGES)."""
    found = checked(role, lang).violations
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize(
    ("viewport", "lang"), [(PORTRAIT, "da"), (LANDSCAPE, "en")], ids=["portrait-da", "landscape-en"]
)
def test_no_axe_violations_while_conducting(checked, lang, viewport):
    """The conduct page of the lead auditor, with each dialog open: in portrait and in landscape, in Danish and in
    English (its markup differs by both: the layout by the viewport, the questions' `lang` marks by the language; each
    once, as ROLE_LANGUAGES takes the languages in turn)."""
    found = checked("conduct", lang, viewport).violations
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_axe_violations_in_forms_with_errors(world, visitors, lang):
    """A form sent back with errors (the audit form, an organisation's site form and the login form) has 0
    violations."""
    visitor = visitors("lead_auditor", lang)
    page = visitor.open("/audits/new")
    found = {}
    for state in form_error_states(page, world):
        if violations := axe_violations(page):
            found[state] = violations
    page = visitors("admin", lang).open("/organisations")
    sites = page.locator("form[action$='/sites']").first
    sites.locator("[name=name]").fill("Lager 2")
    sites.locator("[name=p_number]").fill("12")
    sites.locator("[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator(".error-summary")).to_be_focused()
    if violations := axe_violations(page):
        found["a site with errors"] = violations
    anonymous = visitors(None, lang)
    page = anonymous.open("/login")
    page.locator("[name=email]").fill("nobody@example.org")
    page.locator("[name=password]").fill("wrong password")
    page.locator("form [type=submit]").click()
    page.wait_for_load_state("load")
    if violations := axe_violations(page):
        found["login with errors"] = violations
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


# -- What axe cannot see by itself ---------------------------------------------------------------------------------

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The innermost elements that reach past the right edge of the screen (what makes a page scroll sideways).
TOO_WIDE = """() => [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
        && ![...el.children].some(child => child.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        && !el.closest('.table-scroll'))
    .slice(0, 4).map(el => el.outerHTML.slice(0, 90))"""


@pytest.mark.parametrize("viewport", [PHONE, PORTRAIT], ids=["320px", "834px"])
def test_no_page_scrolls_sideways(world, visitors, viewport):
    """1.4.10 reflow (issue 13, item 16): the top bar wraps, and no page is wider than the screen at 320 px or on a
    portrait tablet (wide tables scroll inside their own region). The admin sees the longest top bar."""
    found = {}
    for role, paths in (
        ("admin", ["/", "/users", "/cases", f"/audits/{world.audit_id}", "/account"]),
        ("lead_auditor", [f"/audits/{world.audit_id}/history", f"/audits/{world.audit_id}/findings", "/audits/new"]),
    ):
        visitor = visitors(role, "da", viewport)
        for path in paths:
            page = visitor.open(path)
            if (overflow := page.evaluate(SIDEWAYS)) > 0:
                found[f"{role} {path}"] = (overflow, page.evaluate(TOO_WIDE))
    assert found == {}, f"pages wider than {viewport['width']} px by (px): {found}"


def test_history_table_scrolls_in_its_own_region(world, visitors):
    """Issue 13, item 20: the history table is no wider than the page; what does not fit scrolls inside a
    keyboard-reachable region with a name."""
    page = visitors("lead_auditor", "da", PORTRAIT).open(f"/audits/{world.audit_id}/history")
    region = page.locator(".table-scroll:has(table.events)")
    expect(region).to_have_attribute("role", "region")
    expect(region).to_have_attribute("tabindex", "0")
    assert page.evaluate(SIDEWAYS) <= 0
    assert region.bounding_box()["width"] <= PORTRAIT["width"]


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_focus_never_hidden_behind_the_sticky_conduct_header(world, visitors, viewport):
    """2.4.7/2.4.11 (issue 13, item 18): tabbing backwards up the conduct page, every focused element below the sticky
    header and section strip is shown below them, not under them."""
    page = visitors("lead_auditor", "da", viewport).open(f"/audits/{world.audit_id}/conduct")
    page.locator(".item-card").nth(12).locator("textarea").focus()
    hidden = []
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        state = page.evaluate(
            """() => {
                const el = document.activeElement;
                const rect = el.getBoundingClientRect();
                const across = (c) => c.getBoundingClientRect().left < rect.right && c.getBoundingClientRect().right > rect.left;
                const all = [document.querySelector('.conduct-head'), document.querySelector('.section-nav')];
                if (all.some(c => c && c.contains(el))) return null;
                const covers = all.filter(c => c && getComputedStyle(c).position === 'sticky' && across(c));
                const bottom = Math.max(...covers.map(c => c.getBoundingClientRect().bottom));
                const heading = el.closest('.conduct-section')?.querySelector('h2');
                const covered = heading && !heading.contains(el) ? Math.max(bottom, heading.getBoundingClientRect().bottom) : bottom;
                return {what: el.outerHTML.slice(0, 80), top: rect.top, covered};
            }"""
        )
        if state and state["top"] < state["covered"] - 1:
            hidden.append(state)
    assert hidden == [], f"{len(hidden)} of 60 focus stops hidden behind the sticky header: {hidden[:3]}"


def test_skip_link_and_language_marks(world, visitors):
    """Issue 13, item 20: the first Tab reaches a skip link to the main content; Danish interface text is not marked
    English; each question's language toggle says which question it shows in which language."""
    page = visitors("lead_auditor", "da", PORTRAIT).open(f"/audits/{world.audit_id}/conduct")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_have_text("Gå til indhold")
    skip.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    toggle_all = page.locator("#toggle-all-languages")
    expect(toggle_all).to_have_text("Vis spørgsmål på engelsk")
    assert toggle_all.evaluate("el => el.closest('[lang]').lang") == "da"
    toggles = page.locator(".item-card .lang-toggle")
    first_code = page.locator(".item-card .item-code").first.inner_text()
    expect(toggles.first).to_have_accessible_name(f"EN: Vis spørgsmål {first_code} på engelsk")
    names = toggles.evaluate_all("els => els.map(el => el.getAttribute('aria-label'))")
    assert len(set(names)) == len(names) > 100, "each toggle names its own question"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_form_errors_reach_screen_readers(world, visitors, lang):
    """Issue 13, item 19: a form sent back with errors opens on an error summary (an alert, focused) whose entries link
    to the fields by their labels; the field is aria-invalid and described by its message."""
    page = visitors("lead_auditor", lang).open("/audits/new")
    list(form_error_states(page, world))  # dates the wrong way round
    summary = page.locator(".error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_text(
        "Slutdato: Slutdatoen kan ikke ligge før startdatoen."
        if lang == "da"
        else "End date: The end date cannot be before the start date."
    )
    summary.locator("a").click()  # the entry takes the user to the field
    end = page.locator("[name=end_date]")
    expect(end).to_be_focused()
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_accessible_description(page.locator("#error-end_date").inner_text())
    # An error on a named field: empty title, sent past the browser's own check.
    page.locator("[name=title]").evaluate("el => { el.required = false; el.value = ''; }")
    end.fill("2026-12-06")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state("load")
    title = page.locator("[name=title]")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", "error-title")
    expect(title).to_have_accessible_description(page.locator("#error-title").inner_text())


def test_focus_follows_an_htmx_swap(world, visitors):
    """Issue 13, item 19: after an htmx swap (the plan form sent with an error) focus is on the error summary the swap
    brought, not lost on <body>; after a good swap it is in the swapped content."""
    page = visitors("lead_auditor", "en").open(f"/audits/{world.audit_id}")
    plan = page.locator("#plan form").last
    plan.locator("[name=day]").evaluate("el => { el.required = false; el.min = ''; el.max = ''; el.value = ''; }")
    plan.locator("[name=start_time]").fill("09:00")
    plan.locator("[name=activity]").fill("Interview")
    plan.locator("[type=submit]").click()
    expect(page.locator("#plan .field-error")).to_have_count(1)
    expect(page.locator("#plan .error-summary")).to_be_focused()
    day = page.locator("#plan [name=day]")
    expect(day).to_have_attribute("aria-invalid", "true")
    expect(day).to_have_attribute("aria-describedby", "plan-error-day")
    # Sent again, right this time: the plan is swapped in without errors and focus is in it, not on <body>.
    day.fill(str(date.today()))
    page.locator("#plan form").last.locator("[type=submit]").click()
    expect(page.locator("#plan .field-error")).to_have_count(0)
    assert page.evaluate("() => document.getElementById('plan').contains(document.activeElement)")


def test_typing_in_the_organisation_search_swaps_in_the_matches(world, visitors):
    """With htmx, typing in the organisation search swaps in the select of the matches (GET /organisations/choices)
    and the status line announces how many; focus stays in the search field; the page still has no axe violation."""
    page = visitors("lead_auditor", "en").open("/audits/new")
    search = page.locator("#organisation-q")
    search.press_sequentially("kunde 0")
    expect(page.locator("#field-organisation_id option")).to_have_count(10)
    expect(page.locator("#organisation-count")).to_have_text(re.compile(r"^10 of \d+ organisations match\.$"))
    expect(search).to_be_focused()
    search.fill("")
    search.press_sequentially("nordlys")
    # the matches, and the organisation chosen until now (the first listed), which stays
    expect(page.locator("#field-organisation_id option")).to_have_text(["Kunde 00", demo.ORGANISATION])
    assert axe_violations(page) == []


def test_finding_the_organisation_keeps_what_was_typed_in_the_form(world, visitors):
    """With JavaScript, pressing Enter in the organisation search or its Find button swaps in the matches: the form is
    not sent away, so its title and everything else typed stay (without JavaScript, Find shows the page again)."""
    page = visitors("lead_auditor", "en").open("/audits/new")
    page.locator("[name=title]").fill("Tilsyn på lageret")
    search = page.locator("#organisation-q")
    search.fill("kunde 0")
    search.press("Enter")
    expect(page.locator("#field-organisation_id option")).to_have_count(10)
    search.fill("nordlys")
    page.locator("button[form=organisation-find]").click()
    # the match, and the organisation chosen until now (the first of the earlier matches), which stays
    expect(page.locator("#field-organisation_id option")).to_have_text(["Kunde 00", demo.ORGANISATION])
    expect(page.locator("[name=title]")).to_have_value("Tilsyn på lageret")
    assert "organisation_q" not in page.url


def test_choosing_another_organisation_brings_its_sites(world, visitors):
    """The planning form's sites follow the organisation chosen (GET /audits/new/sites), after a search too; the new
    site typed stays, and the focus stays where the user is (the search field, the choice): never moved to the
    sites."""
    page = visitors("lead_auditor", "en").open("/audits/new")
    page.locator("[name=site]").fill("Nyt lager")
    search = page.locator("#organisation-q")
    search.fill("nordlys")
    search.press("Enter")
    choice = page.locator("#field-organisation_id")
    expect(choice.locator("option")).to_have_text(["Kunde 00", demo.ORGANISATION])
    expect(search).to_be_focused()
    choice.focus()
    choice.select_option(label=demo.ORGANISATION)
    sites = page.locator("#field-site_ids label.check")
    expect(sites).to_have_text(
        [
            re.compile(f"{re.escape(site)}.*{re.escape(demo.ORGANISATION)}")
            for site in (demo.HEAD_OFFICE, demo.WAREHOUSE)
        ]
    )
    expect(page.locator("[name=site]")).to_have_value("Nyt lager")
    expect(choice).to_be_focused()
    choice.select_option(label="Kunde 00")  # no sites
    expect(sites).to_have_count(0)
    expect(page.locator("[name=site]")).to_have_value("Nyt lager")
    assert axe_violations(page) == []


# -- The Nu HTML checker ----------------------------------------------------------------------------------------

HTMX_ATTRIBUTE = "“hx-"  # vnu does not know htmx's hx-* attributes; everything else must be valid HTML


def test_vnu_finds_no_errors(checked):
    """The rendered HTML (the DOM after the page's scripts ran) of every page state is valid HTML: 0 vnu errors other
    than htmx's attributes. The pages are those the axe tests check (the same visits, made once)."""
    require_tool(VNU, "vnu-jar")
    if shutil.which("java") is None:
        pytest.fail("java is missing: vnu needs Java 11 or later (apt-get install default-jre-headless)", pytrace=False)
    files = [file for role, lang in ROLE_LANGUAGES for file in checked(role, lang).files]
    files += checked("conduct", "da", PORTRAIT).files
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = sorted(
        {
            (Path(m.get("url", "")).name, m["message"], m.get("extract", "")[:80].replace("\n", " "))
            for m in messages
            if m["type"] == "error" and HTMX_ATTRIBUTE not in m["message"]
        }
    )
    assert errors == [], "\n".join(" | ".join(error) for error in errors)
