"""Every list that grows with use pages the one way (auditor/paging.py): a page is a slice of the whole list, in its
order, with the total over every page. The lists with tests of their own paging (audits, cases, findings,
organisations, management reviews, histories) are tested in their files; these are the others."""

from __future__ import annotations

import io
import re
from datetime import date, time, timedelta

import pytest
from PIL import Image

from auditor.models import CaseAction, Organisation, PlanEntry, Reminder
from auditor.paging import DEFAULT_LIMIT
from auditor.reports.starters import starter_template
from auditor.schemas import FindingIn
from auditor.services import audits, cases, findings, reports
from auditor.vocabulary import PreventionLevel
from tests.conftest import item_ids


def pages_are_slices(client, url: str, total: int, key: str = "id") -> list:
    """Pages of 2 from `url` make up the whole list in its order, each with the total; the default page holds up to
    DEFAULT_LIMIT rows. The whole list's keys, for the caller's own checks."""
    whole = client.get(url, params={"limit": 200})
    assert whole.status_code == 200, whole.text
    keys = [row[key] for row in whole.json()]
    assert len(keys) == total and whole.headers["X-Total-Count"] == str(total)
    pages = [client.get(url, params={"limit": 2, "offset": offset}) for offset in range(0, total, 2)]
    assert [[row[key] for row in page.json()] for page in pages] == [keys[n : n + 2] for n in range(0, total, 2)]
    assert {page.headers["X-Total-Count"] for page in pages} == {str(total)}
    assert 'rel="next"' in pages[0].headers["Link"] and 'rel="next"' not in pages[-1].headers["Link"]
    assert len(client.get(url).json()) == min(total, DEFAULT_LIMIT)
    assert client.get(url, params={"limit": 0}).status_code == 422
    return keys


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def case(session, make_audit, first_item_id, admin):
    audit = make_audit()
    finding = findings.create_finding(
        session=session,
        actor=admin,
        audit=audit,
        data=FindingIn(item_id=first_item_id, kind="minor_nc", statement="No routine"),
    )
    return cases.case_for_finding(session=session, finding_id=finding.id)


def test_a_cases_comments_page_oldest_first(client, session, case, admin):
    for n in range(5):
        cases.add_comment(session=session, actor=admin, case=case, text=f"Comment {n}")
    keys = pages_are_slices(client, f"/api/v1/cases/{case.id}/comments", 5, key="text")
    assert keys == [f"Comment {n}" for n in range(5)]


def pager_links(page: str, name: str) -> list[str]:
    """The pager's links of one list on a page: (rel, href)."""
    nav = re.search(rf'<nav class="pager" aria-label="{name}">(.*?)</nav>', page, re.S)
    assert nav, name
    return re.findall(r'rel="(\w+)" href="([^"]+)"', nav.group(1))


def test_the_case_page_pages_its_comments_and_its_history_each_on_its_own(client, session, case, admin):
    for n in range(DEFAULT_LIMIT + 2):
        cases.add_comment(session=session, actor=admin, case=case, text=f"Comment {n:02d}")
        cases.record_correction(session=session, actor=admin, case=case, correction=f"Correction {n:02d}")
    first = client.get(f"/cases/{case.id}").text
    assert "Comment 00" in first and f"Comment {DEFAULT_LIMIT - 1:02d}" in first
    assert f"Comment {DEFAULT_LIMIT:02d}" not in first
    assert pager_links(first, "Pages of the comments") == [
        ("next", f"http://testserver/cases/{case.id}?comments_offset={DEFAULT_LIMIT}#comment")
    ]
    assert pager_links(first, "Pages of the history") == [
        ("next", f"http://testserver/cases/{case.id}?history_offset={DEFAULT_LIMIT}#history")
    ]
    second = client.get(f"/cases/{case.id}", params={"comments_offset": DEFAULT_LIMIT}).text
    assert "Comment 00" not in second and f"Comment {DEFAULT_LIMIT + 1:02d}" in second
    assert "Correction 00" in second  # the history stays on its first page
    assert client.get(f"/cases/{case.id}", params={"history_offset": -1}).status_code == 422
    # a new comment is shown: the case page opens on the last page of the comments
    added = client.post(f"/cases/{case.id}/step/comment", data={"text": "The newest"}, follow_redirects=False)
    assert added.headers["location"] == f"/cases/{case.id}?comments_offset={DEFAULT_LIMIT}#comment"
    assert "The newest" in client.get(added.headers["location"]).text


def test_an_items_evidence_and_photos_and_a_findings_photos_page(client, make_audit, first_item_id):
    audit = make_audit()
    base = f"/api/v1/audits/{audit.id}"
    for n in range(5):
        proof = {"method": "document", "summary": f"APV {n}"}
        assert client.post(f"{base}/responses/{first_item_id}/evidence", json=proof).status_code == 201
    keys = pages_are_slices(client, f"{base}/responses/{first_item_id}/evidence", 5, key="summary")
    assert keys == [f"APV {n}" for n in range(5)]
    finding = client.post(f"{base}/findings", json={"kind": "ofi", "statement": "Photos"}).json()
    for n in range(3):
        files = {"file": (f"{n}.jpg", jpeg(), "image/jpeg")}
        assert client.post(f"{base}/responses/{first_item_id}/photos", files=files).status_code == 201
        assert client.post(f"{base}/findings/{finding['id']}/photos", files=files).status_code == 201
    pages_are_slices(client, f"{base}/responses/{first_item_id}/photos", 3)
    pages_are_slices(client, f"{base}/findings/{finding['id']}/photos", 3)


def test_an_audits_answers_and_plan_page(client, session, make_audit, library):
    audit = make_audit()
    base = f"/api/v1/audits/{audit.id}"
    answered = item_ids(library)[:5]
    for item_id in answered:
        assert client.put(f"{base}/responses/{item_id}", json={"verdict": "conform", "version": 0}).status_code == 200
    assert pages_are_slices(client, f"{base}/responses", 5, key="item_id") == answered
    for hour in (14, 9, 11, 10, 13):  # the agenda is in time order, whatever the order of entry
        entry = {"day": "2026-12-01", "start_time": f"{hour:02d}:00", "kind": "interview", "activity": f"At {hour}"}
        assert client.post(f"{base}/plan", json=entry).status_code == 201
    planned = len(audits.plan_entries(session=session, audit=audit).items)  # the meetings, and ours
    keys = [k for k in pages_are_slices(client, f"{base}/plan", planned, key="activity") if k.startswith("At ")]
    assert keys == [f"At {hour}" for hour in (9, 10, 11, 13, 14)]


def test_an_audits_follow_ups_page_by_case_number(client, session, make_audit, make_organisation, admin):
    organisation = make_organisation()
    audit = make_audit(organisation=organisation)
    for n in range(5):
        earlier = cases.open_case(
            session=session,
            actor=admin,
            organisation_id=organisation.id,
            statement=f"Earlier {n}",
            grade="minor_nc",
            source="other",
        )
        earlier.verify_in_audit_id = audit.id
        session.add(earlier)
    session.flush()
    keys = pages_are_slices(client, f"/api/v1/audits/{audit.id}/follow-ups", 5, key="statement")
    assert keys == [f"Earlier {n}" for n in range(5)]


def test_the_report_templates_page_and_in_use_is_the_newest_of_its_scope_on_every_page(client, session, admin):
    for n in range(3):
        for language in ("da", "en"):
            scope = reports.TemplateScope(None, "audit_report", language, None)
            content = starter_template("audit_report", language)
            reports.upload_template(session=session, actor=admin, scope=scope, filename=f"{n}.docx", content=content)
    keys = pages_are_slices(client, "/api/v1/report-templates", 6)
    whole = client.get("/api/v1/report-templates").json()
    newest = {row["language"]: max(r["id"] for r in whole if r["language"] == row["language"]) for row in whole}
    for offset in range(6):  # a page of one: the newest of each scope is in use whichever page shows it
        [row] = client.get("/api/v1/report-templates", params={"limit": 1, "offset": offset}).json()
        assert row["id"] == keys[offset] and row["in_use"] == (row["id"] == newest[row["language"]])
    page = client.get("/report-templates", params={"limit": 2, "offset": 2}).text
    shown = re.findall(r'/api/v1/report-templates/(\d+)\.docx"', page)
    assert [int(i) for i in shown] == keys[2:4]
    assert 'href="http://testserver/report-templates?limit=2&amp;offset=4#uploaded"' in page


def test_an_organisations_sites_page(client, make_organisation):
    organisation = make_organisation(sites=())
    names = [f"Site {n:02d}" for n in range(DEFAULT_LIMIT + 3)]
    for name in reversed(names):  # by name, whatever the order of entry
        response = client.post(f"/api/v1/organisations/{organisation.id}/sites", json={"name": name})
        assert response.status_code == 201
    keys = pages_are_slices(client, f"/api/v1/organisations/{organisation.id}/sites", len(names), key="name")
    assert keys == names
    shown = client.get(f"/api/v1/organisations/{organisation.id}").json()
    assert [s["name"] for s in shown["sites"]] == names[:DEFAULT_LIMIT] and shown["site_count"] == len(names)
    listed = client.get("/organisations").text
    assert names[DEFAULT_LIMIT - 1] in listed and names[DEFAULT_LIMIT] not in listed
    assert f'href="/organisations/{organisation.id}/sites?offset={DEFAULT_LIMIT}"' in listed
    rest = client.get(f"/organisations/{organisation.id}/sites", params={"offset": DEFAULT_LIMIT}).text
    assert names[DEFAULT_LIMIT] in rest and names[-1] in rest and names[DEFAULT_LIMIT - 1] not in rest
    assert f'href="http://testserver/organisations/{organisation.id}/sites?offset=0"' in rest


def test_the_reminders_log_pages_failed_first_then_newest_and_counts_every_failure(client, session, make_user):
    owner = make_user("auditor")
    for n in range(5):
        session.add(
            Reminder(
                key=f"action_due:1:{n}:2027-03-15:0",
                kind="action_due",
                user_id=owner.id,
                recipient="ejer@nordlys.example",
                subject=f"Reminder {n}",
                body="...",
                state="failed" if n in (1, 2) else "sent",
                attempts=1,
            )
        )
    session.flush()
    first = client.get("/reminders", params={"limit": 2}).text
    assert "Reminder 2" in first and "Reminder 1" in first and "Reminder 4" not in first
    assert "2 reminders failed" in first
    second = client.get("/reminders", params={"limit": 2, "offset": 2}).text
    assert "Reminder 4" in second and "Reminder 3" in second and "Reminder 1" not in second
    assert "2 reminders failed" in second  # counted over every page
    assert 'href="http://testserver/reminders?limit=2&amp;offset=4"' in second


def test_a_page_past_the_end_is_empty_with_the_total(client, session, case, admin):
    for n in range(3):
        cases.add_comment(session=session, actor=admin, case=case, text=f"Comment {n}")
    past = client.get(f"/api/v1/cases/{case.id}/comments", params={"offset": 10})
    assert past.json() == [] and past.headers["X-Total-Count"] == "3"
    last = client.get(f"/api/v1/cases/{case.id}/comments", params={"offset": 2})
    assert len(last.json()) == 1 and last.headers["X-Total-Count"] == "3"


def test_a_web_page_past_the_end_says_so_and_links_to_the_last_page(client, session, make_audit):
    """An old link after rows went (or an offset typed by hand): not "51–50 of 50" but what is there, and the way
    back to the list's last page."""
    audit = make_audit()
    for n in range(DEFAULT_LIMIT + 3):
        session.add(PlanEntry(audit_id=audit.id, day=audit.end_date, start_time=time(6, n % 60), activity=f"Step {n}"))
    session.flush()
    total = audits.plan_entries(session=session, audit=audit).total  # the audit's meetings besides these steps
    past = client.get(f"/audits/{audit.id}", params={"plan_offset": 200}).text
    assert shown_plan(past) == []
    assert f"Nothing on this page ({total} in all)" in past
    assert pager_links(past, "Pages of the audit plan") == [
        ("prev", f"/audits/{audit.id}?plan_offset={DEFAULT_LIMIT}#plan")
    ]


def test_my_actions_page_soonest_due_first(session, case, login, make_user):
    owner = make_user("action_owner", organisation=session.get(Organisation, case.organisation_id))
    for n in (3, 1, 4, 0, 2):
        session.add(
            CaseAction(
                case_id=case.id,
                description=f"Action due in {n} days",
                owner_id=owner.id,
                due_date=date(2027, 1, 1) + timedelta(days=n),
                prevention_level=PreventionLevel.PRIMARY,
            )
        )
    session.flush()
    mine = login(owner)
    shown = [
        re.findall(r"Action due in (\d) days", mine.get("/cases/mine", params={"limit": 2, "offset": o}).text)
        for o in (0, 2, 4)
    ]
    assert shown == [["0", "1"], ["2", "3"], ["4"]]
    first = mine.get("/cases/mine", params={"limit": 2}).text
    assert "1–2 of 5" in first and 'href="http://testserver/cases/mine?limit=2&amp;offset=2"' in first


def test_the_auditors_page_by_name(client, make_user):
    for n in (3, 1, 4, 0, 2):
        make_user("auditor", name=f"Auditor {n}")
    pages = [
        re.findall(r">Auditor (\d)</a>", client.get("/auditors", params={"limit": 2, "offset": o}).text)
        for o in (0, 2, 4)
    ]
    assert pages == [["0", "1"], ["2", "3"], ["4"]]


# Web pages whose lists page with the pager (templates/_macros.html): the first page holds a page, the next link leads
# to the rest and keeps the page's other query parameters.


def test_the_audit_page_pages_its_plan_and_shows_a_new_entry_on_its_page(client, session, make_audit):
    audit = make_audit()
    for n in range(DEFAULT_LIMIT + 3):  # 06:00, 06:01, ...: before the closing meeting
        session.add(
            PlanEntry(
                audit_id=audit.id, day=audit.end_date, start_time=time(6, n % 60, n // 60), activity=f"Step {n:02d}"
            )
        )
    session.flush()
    agenda = [entry.id for entry in audits.plan_entries(session=session, audit=audit).items]
    first = client.get(f"/audits/{audit.id}").text
    assert shown_plan(first) == agenda[:DEFAULT_LIMIT]
    [(rel, href)] = pager_links(first, "Pages of the audit plan")
    assert (rel, href) == ("next", f"/audits/{audit.id}?plan_offset={DEFAULT_LIMIT}#plan")
    rest = client.get(href).text
    assert shown_plan(rest) == agenda[DEFAULT_LIMIT:]
    assert pager_links(rest, "Pages of the audit plan") == [("prev", f"/audits/{audit.id}?plan_offset=0#plan")]
    # a new entry, late on the last day, is shown on the plan's page that holds it
    entry = {"day": audit.end_date.isoformat(), "start_time": "23:00", "kind": "activity", "activity": "Late"}
    added = client.post(f"/audits/{audit.id}/plan", data=entry, follow_redirects=False)
    assert added.headers["location"] == f"/audits/{audit.id}?plan_offset={DEFAULT_LIMIT}#plan"
    fragment = client.post(f"/audits/{audit.id}/plan", data=entry, headers={"HX-Request": "true"}).text
    assert fragment.count(">Late<") == 2 and f'href="/audits/{audit.id}?plan_offset=0#plan"' in fragment
    assert client.get(f"/audits/{audit.id}", params={"plan_offset": -1}).status_code == 422


def shown_plan(page: str) -> list[int]:
    """The ids of the plan entries a page lists (by their remove forms)."""
    return [int(i) for i in re.findall(r'action="/audits/\d+/plan/(\d+)/delete"', page)]


def carried_cases(session, audit, admin, count: int) -> list[int]:
    """`count` cases of the audit's organisation to verify in the audit, by number."""
    found = []
    for n in range(count):
        case = cases.open_case(
            session=session,
            actor=admin,
            organisation_id=audit.organisation_id,
            statement=f"Earlier {n:02d}",
            grade="minor_nc",
            source="other",
        )
        case.verify_in_audit_id = audit.id
        session.add(case)
        found.append(case.id)
    session.flush()
    return found


@pytest.mark.parametrize("where", ["report", "conduct"])
def test_the_report_and_conduct_pages_page_the_cases_carried_over(client, session, make_audit, admin, where):
    audit = make_audit()
    carried = carried_cases(session, audit, admin, DEFAULT_LIMIT + 2)
    address = f"/audits/{audit.id}/{where}"
    first = client.get(address).text
    assert shown_follow_ups(first) == carried[:DEFAULT_LIMIT]
    next_page = f"http://testserver{address}?follow_ups_offset={DEFAULT_LIMIT}#follow-ups"
    assert pager_links(first, "Pages of the earlier nonconformities") == [("next", next_page)]
    assert shown_follow_ups(client.get(next_page).text) == carried[DEFAULT_LIMIT:]


def test_a_follow_up_saved_without_javascript_comes_back_to_its_page(client, session, make_audit, admin, lead):
    audit = make_audit()
    last = carried_cases(session, audit, admin, DEFAULT_LIMIT + 1)[-1]
    verified = {"checked": "Seen on site", "result": "effective", "verified_by_id": str(lead.id)}
    for back, location in (
        ("report", f"report?follow_ups_offset={DEFAULT_LIMIT}&notice=verification_saved#follow-ups"),
        ("conduct", f"conduct?follow_ups_offset={DEFAULT_LIMIT}#follow-up-{last}"),
    ):
        saved = client.post(
            f"/audits/{audit.id}/follow-ups/{last}", data={**verified, "back": back}, follow_redirects=False
        )
        assert saved.headers["location"] == f"/audits/{audit.id}/{location}"
    refused = client.post(f"/audits/{audit.id}/follow-ups/{last}", data={**verified, "verified_by_id": "0"})
    assert refused.status_code == 422 and shown_follow_ups(refused.text) == [last]
    saved = client.post(f"/audits/{audit.id}/follow-ups/{last}", data=verified, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and shown_follow_ups(saved.text) == [last]


def shown_follow_ups(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="card follow-up" id="follow-up-(\d+)"', page)]


def test_the_finding_page_pages_its_history(client, session, make_audit, admin, first_item_id):
    audit = make_audit()
    data = FindingIn(item_id=first_item_id, kind="minor_nc", statement="Version 00")
    finding = findings.create_finding(session=session, actor=admin, audit=audit, data=data)
    for n in range(1, DEFAULT_LIMIT + 2):  # the creation's event and DEFAULT_LIMIT + 1 changes
        data = data.model_copy(update={"statement": f"Version {n:02d}"})
        findings.update_finding(session=session, actor=admin, audit=audit, finding=finding, data=data)
    address = f"/audits/{audit.id}/findings/{finding.id}/edit"
    first = client.get(address).text
    shown = re.findall(r"<ins>Version (\d\d)</ins>", first)  # the creation's event shows the first statement too
    assert shown == [f"{n:02d}" for n in range(DEFAULT_LIMIT)]
    next_page = f"{address}?history_offset={DEFAULT_LIMIT}#history"
    assert pager_links(first, "Pages of the history") == [("next", next_page)]
    rest = client.get(next_page).text
    assert re.findall(r"<ins>(Version \d\d)</ins>", rest) == ["Version 50", "Version 51"]
    # the form shown again after a refusal pages from the finding's page, not from the address it was sent to
    refused = client.post(f"/audits/{audit.id}/findings/{finding.id}", data={"kind": "minor_nc", "statement": ""})
    assert refused.status_code == 422
    assert pager_links(refused.text, "Pages of the history") == [("next", next_page)]
