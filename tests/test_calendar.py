"""Each person's calendar: the month page and the iCalendar feed a calendar program subscribes to."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from auditor.models import CaseAction, Organisation, User
from auditor.paging import DEFAULT_LIMIT
from auditor.services import audits, cases
from auditor.services.calendar import DAY_LIMIT, TIME_ZONE
from tests.test_programmes import grant, reported

TODAY = datetime.now(TIME_ZONE).date()
FEED_ADDRESS = re.compile(r"https?://[^\s<\"]+/calendar/feeds/(cal_[A-Za-z0-9_-]+)\.ics")


def make_feed(client) -> str:
    """Make a feed on the account page and return its path, as the page shows it once."""
    page = client.post("/account/calendar-feeds")
    assert page.status_code == 200
    return f"/calendar/feeds/{FEED_ADDRESS.search(page.text).group(1)}.ics"


def events(anonymous, path: str) -> dict[str, object]:
    """The feed's events by summary, read as a calendar program does (no login)."""
    response = anonymous.get(path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/calendar")
    feed = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in feed.walk("VEVENT")}


@pytest.fixture
def audit(make_audit):
    return make_audit(
        title="Overvågning Nordlys", start_date=TODAY + timedelta(days=10), end_date=TODAY + timedelta(days=11)
    )


def owned_action(session, audit, owner: User, *, due: date, description: str = "Ny vagtplan") -> CaseAction:
    case = cases.open_case(
        session=session,
        actor=None,
        organisation_id=audit.organisation_id,
        statement="Arbejdstiden planlægges ikke",
        grade="minor_nc",
        source="audit",
        audit_id=audit.id,
    )
    action = CaseAction(
        case_id=case.id,
        description=description,
        owner_id=owner.id,
        due_date=due,
        prevention_level="primary",
        scope="collective",
    )
    session.add(action)
    session.flush()
    return action


def test_the_feed_holds_the_team_s_audit_its_meetings_at_local_time_and_your_actions(
    session, audit, login, lead, anonymous, make_audit, make_user
):
    owned_action(session, audit, lead, due=TODAY + timedelta(days=20), description="Ny vagtplan for natholdet")
    someone_else = make_user("lead_auditor")
    make_audit(title="Andres audit", lead_auditor_id=someone_else.id, start_date=TODAY, end_date=TODAY)
    found = events(anonymous, make_feed(login(lead)))

    assert set(found) == {
        "Audit: Overvågning Nordlys",
        "Opening meeting: Overvågning Nordlys",
        "Closing meeting: Overvågning Nordlys",
        "Corrective action due: NC-0001 · Nordlys Logistik A/S",
    }
    whole_days = found["Audit: Overvågning Nordlys"]
    assert (whole_days["dtstart"].dt, whole_days["dtend"].dt) == (audit.start_date, audit.end_date + timedelta(days=1))
    opening = found["Opening meeting: Overvågning Nordlys"]["dtstart"].dt
    assert (opening.date(), opening.hour, opening.minute, str(opening.tzinfo)) == (
        audit.start_date,
        8,
        30,
        "Europe/Copenhagen",
    )
    assert found["Corrective action due: NC-0001 · Nordlys Logistik A/S"]["dtstart"].dt == TODAY + timedelta(days=20)
    assert str(found["Audit: Overvågning Nordlys"]["url"]).endswith(f"/audits/{audit.id}")


def test_the_feed_carries_the_time_zone_and_never_an_action_s_description(session, audit, login, lead, anonymous):
    owned_action(session, audit, lead, due=TODAY + timedelta(days=3), description="Samtaler med Jens om mobning")
    text = anonymous.get(make_feed(login(lead))).text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Copenhagen" in text
    assert "Jens" not in text and "mobning" not in text and "Arbejdstiden" not in text


def test_a_quality_manager_sees_their_organisation_s_audits_and_nobody_else_s(
    session, audit, login, make_user, make_audit, make_organisation, anonymous
):
    own = session.get(Organisation, audit.organisation_id)
    make_audit(
        organisation=make_organisation(name="Fremmed A/S"), title="Fremmed audit", start_date=TODAY, end_date=TODAY
    )
    quality_manager = make_user("quality_manager", organisation=own)
    titles = set(events(anonymous, make_feed(login(quality_manager))))
    assert "Audit: Overvågning Nordlys" in titles and not any("Fremmed" in title for title in titles)


def test_an_admin_s_calendar_holds_their_own_audits_not_every_audit(audit, client, anonymous):
    assert events(anonymous, make_feed(client)) == {}


def test_a_revoked_an_unknown_or_a_deactivated_user_s_feed_is_not_found(session, audit, login, lead, anonymous):
    client = login(lead)
    path = make_feed(client)
    assert anonymous.get(path).status_code == 200
    feed_id = client.get("/account").text.split("/account/calendar-feeds/")[1].split("/revoke")[0]
    assert client.post(f"/account/calendar-feeds/{feed_id}/revoke", follow_redirects=False).status_code == 303
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/calendar/feeds/cal_nothing.ics").status_code == 404

    second = make_feed(client)
    lead.is_active = False
    session.add(lead)
    session.flush()
    assert anonymous.get(second).status_code == 404


def test_only_the_owner_revokes_a_feed_and_only_with_the_csrf_token(session, login, lead, make_user):
    client = login(lead)
    make_feed(client)
    feed_id = client.get("/account").text.split("/account/calendar-feeds/")[1].split("/revoke")[0]
    other = login(make_user("lead_auditor"))
    assert other.post(f"/account/calendar-feeds/{feed_id}/revoke").status_code == 404
    assert login(lead, csrf=False).post(f"/account/calendar-feeds/{feed_id}/revoke").status_code == 403
    assert login(lead, csrf=False).post("/account/calendar-feeds").status_code == 403


def test_the_feed_speaks_the_language_it_was_made_in(audit, login, lead, anonymous):
    titles = set(events(anonymous, make_feed(login(lead, language="da"))))
    assert "Åbningsmøde: Overvågning Nordlys" in titles and "Audit: Overvågning Nordlys" in titles


def test_the_month_page_shows_the_days_entries_and_moves_between_months(audit, login, lead):
    client = login(lead)
    month = audit.start_date.strftime("%Y-%m")
    page = client.get(f"/calendar?month={month}")
    assert page.status_code == 200
    assert f'href="/audits/{audit.id}"' in page.text and "Opening meeting: Overvågning Nordlys" in page.text
    assert "08:30" in page.text
    assert 'aria-current="date"' in client.get("/calendar").text  # today, in this month
    following = (audit.start_date.replace(day=1) + timedelta(days=40)).replace(day=1)
    assert f'href="/calendar?month={following.strftime("%Y-%m")}"' in page.text
    later = client.get(f"/calendar?month={following + timedelta(days=400):%Y-%m}")
    assert later.status_code == 200 and "Overvågning Nordlys" not in later.text


@pytest.mark.parametrize("month", ["2026-13", "nonsense", "99999-01", "-"])
def test_a_month_that_is_not_one_shows_this_month(client, month):
    page = client.get(f"/calendar?month={month}")
    assert page.status_code == 200 and f'href="/calendar?month={TODAY:%Y-%m}"' in page.text


def test_the_programme_s_audit_windows_open_and_close_in_the_calendar(
    session, login, lead, admin, make_user, make_audit, make_organisation
):
    organisation = make_organisation(name="Vinduer A/S")
    stage2 = make_audit(
        organisation=organisation,
        audit_type="stage2",
        title="Trin 2",
        start_date=date(2026, 2, 2),
        end_date=date(2026, 2, 3),
    )
    grant(session, reported(session, stage2, admin), admin, date(2026, 3, 10))
    # The first surveillance's window: 9 December 2026 to 9 March 2027; the second's: 9 December 2027 to 9 March 2028.
    client = login(lead)
    december = client.get("/calendar?month=2026-12").text
    assert "Audit window opens: Surveillance audit · Vinduer A/S" in december
    assert f'href="/organisations/{organisation.id}/programme"' in december
    assert "Audit window closes" not in december
    march = client.get("/calendar?month=2027-03").text
    assert "Audit window closes: Surveillance audit · Vinduer A/S" in march
    assert (
        "Auditvinduet lukker: Overvågningsaudit · Vinduer A/S"
        in login(lead, language="da").get("/calendar?month=2027-03").text
    )
    # The organisation's people see its windows; a lead auditor who has no audit of the organisation does not.
    quality_manager = make_user("quality_manager", organisation=organisation)
    assert "Audit window opens: Surveillance audit" in login(quality_manager).get("/calendar?month=2026-12").text
    assert "Vinduer" not in login(make_user("lead_auditor")).get("/calendar?month=2026-12").text
    # A window whose audit is held is done: only the windows still to fill are shown.
    held = make_audit(
        organisation=organisation, title="Overvågning 1", start_date=date(2027, 1, 11), end_date=date(2027, 1, 11)
    )
    audits.change_status(session=session, actor=admin, audit=held, status="in_progress")
    assert "Audit window closes" not in client.get("/calendar?month=2027-03").text
    assert "Audit window opens: Surveillance audit" in client.get("/calendar?month=2027-12").text


def test_a_day_of_the_month_shows_its_first_entries_and_the_rest_are_on_the_day_s_page_a_page_at_a_time(
    session, audit, login, lead
):
    day = audit.start_date  # the audit (over two days) and its opening meeting; and many actions due that day
    for _ in range(DEFAULT_LIMIT):
        owned_action(session, audit, lead, due=day)
    client = login(lead)
    month = client.get(f"/calendar?month={day:%Y-%m}").text
    [cell] = [
        cell for cell in re.findall(r"<td[^>]*>(.*?)</td>", month, re.S) if f"/calendar/{day.isoformat()}" in cell
    ]
    assert cell.count('<li class="entry') == DAY_LIMIT
    more = DEFAULT_LIMIT + 2 - DAY_LIMIT  # the actions, the audit and the meeting, less those shown
    assert f'<a class="more" href="/calendar/{day.isoformat()}">+{more} more' in cell
    assert month.count("Audit: Overvågning Nordlys") == 1  # the next day shows the audit: this day has no room
    assert "Opening meeting" not in month  # the meetings come after the whole days
    first = client.get(f"/calendar/{day.isoformat()}").text
    assert first.count('<li class="entry entry-action">') == DEFAULT_LIMIT
    assert pager_links(first) == [("next", f"http://testserver/calendar/{day.isoformat()}?offset={DEFAULT_LIMIT}")]
    rest = client.get(f"/calendar/{day.isoformat()}", params={"offset": DEFAULT_LIMIT}).text
    assert re.findall(r'<li class="entry entry-(\w+)">', rest) == ["audit", "meeting"]
    assert "Audit: Overvågning Nordlys" in rest and "08:30" in rest
    # smaller pages keep their size from page to page
    pages = [client.get(f"/calendar/{day.isoformat()}", params={"limit": 20, "offset": o}).text for o in (0, 20, 40)]
    assert [page.count('<li class="entry') for page in pages] == [20, 20, DEFAULT_LIMIT + 2 - 40]
    assert f"/calendar/{day.isoformat()}?limit=20&amp;offset=20" in pages[0]
    assert client.get("/calendar/2026-13-01").status_code == 404  # no such day, as any path that names nothing


def test_a_day_holds_only_your_own_calendar(audit, login, make_user):
    page = login(make_user("lead_auditor")).get(f"/calendar/{audit.start_date.isoformat()}")
    assert (
        page.status_code == 200 and "Overvågning Nordlys" not in page.text and "Nothing in your calendar" in page.text
    )


def pager_links(page: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="pager" aria-label="Pages of the day">(.*?)</nav>', page, re.S)
    assert nav, page
    return re.findall(r'rel="(\w+)" href="([^"]+)"', nav.group(1))
