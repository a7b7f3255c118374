"""The management review's record (ISO 45001 9.3): the meeting and its participants, monitoring and measurement per
period (d2), the authorities' decisions (d3), risks and opportunities (d6), the conclusion on suitability, adequacy
and effectiveness, approval (refused while a required section is empty) and the communication to AMO / MED; in the
API, the pages, the trail, the Word minutes (Danish and English) and the demo."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from sqlmodel import select

from auditor.demo import create_demo
from auditor.i18n import translate
from auditor.models import AuditEvent, ManagementReview
from auditor.reports.review_report import review_report_file
from auditor.services import reviews

SECTIONS = {
    "changes_in_issues": "Nyt nathold",
    "objectives": "Trivsel 70/100 næsten nået",
    "consultation": "AMO og MED hørt",
    "resources": "En HR-konsulent mere",
    "communications": "Dialog med Arbejdstilsynet",
    "compliance_evaluation": "Påbuddet er efterkommet",
    "risks_opportunities": "Høje følelsesmæssige krav i kundeservice",
    "suitability": "Systemet passer til virksomheden",
    "adequacy": "Systemet dækker kravene",
    "effectiveness": "Delvis effektivt",
}
MEETING = {
    "meeting_date": "2026-02-10",
    "participants": [
        {"role": "Administrerende direktør", "name": "Anne Holm"},
        {"role": "Arbejdsmiljørepræsentant (AMO)", "name": "Karim Said"},
    ],
}
MONITORING = {
    "rows": [
        {"period": "2025 H1", "absence_percent": 5.2, "survey": "Trivselsmåling 68/100", "injuries": 2},
        {"period": "2025 H2", "absence_percent": 4.6, "survey": "Pulsmåling 71/100", "injuries": 0},
    ]
}
COMPLIANCE = {
    "rows": [
        {
            "date": "2025-09-02",
            "kind": "guidance",
            "reference": "AT 2025-2",
            "description": "Vejledning om følelsesmæssige krav",
            "status": "open",
        },
        {
            "date": "2025-03-14",
            "kind": "order",
            "reference": "AT 2025-1",
            "description": "Påbud om vold og trusler",
            "status": "complied",
        },
    ]
}


@pytest.fixture
def own(make_organisation):
    return make_organisation(name="Nordlys Logistik A/S", sites=("Aarhus lager",))


@pytest.fixture
def manager(make_user, own):
    return make_user("quality_manager", organisation=own, name="Kvalitetschef")


@pytest.fixture
def api(login, manager, own):
    client = login(manager)
    review_id = client.post(
        "/api/v1/management-reviews",
        json={"organisation_id": own.id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
    ).json()["id"]
    return client, f"/api/v1/management-reviews/{review_id}", review_id


def fill(client, url):
    assert client.put(f"{url}/meeting", json=MEETING).status_code == 200
    assert client.put(f"{url}/monitoring", json=MONITORING).status_code == 200
    assert client.put(f"{url}/compliance", json=COMPLIANCE).status_code == 200
    assert client.patch(url, json=SECTIONS).status_code == 200


def test_approval_is_refused_while_a_required_section_is_empty_and_names_each(api, session):
    client, url, review_id = api
    refused = client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-02-10"})
    assert refused.status_code == 422, refused.text
    message = refused.text
    for missing in ("Meeting date", "Participants", "Monitoring and measurement results", "Is the system effective?"):
        assert missing in message
    assert client.get(url).json()["state"] == "draft"
    # Communication is recorded only after approval
    early = client.post(f"{url}/communication", json={"communicated_on": "2026-02-12", "communication": "AMO"})
    assert early.status_code == 409

    fill(client, url)
    client.patch(url, json={"effectiveness": ""})
    still = client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-02-10"})
    assert still.status_code == 422 and "Is the system effective?" in still.text and "Participants" not in still.text
    client.patch(url, json={"effectiveness": "Delvis effektivt"})
    before_meeting = client.post(f"{url}/approval", json={"approved_by": "Anne Holm", "approved_on": "2026-02-01"})
    assert before_meeting.status_code == 422

    approved = client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-02-10"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["state"], body["approved_by"], body["approved_on"]) == ("approved", "Anne Holm, CEO", "2026-02-10")
    assert [r["date"] for r in body["compliance"]] == ["2025-03-14", "2025-09-02"]  # by date
    assert body["participants"][0] == {"role": "Administrerende direktør", "name": "Anne Holm"}
    # An approved review is a record: its contents no longer change
    assert client.patch(url, json={"resources": "x"}).status_code == 409
    assert client.put(f"{url}/monitoring", json=MONITORING).status_code == 409
    assert client.post(f"{url}/decisions", json={"text": "x"}).status_code == 409
    told = client.post(
        f"{url}/communication",
        json={"communicated_on": "2026-02-13", "communication": "Gennemgået i AMO og MED; på intranettet"},
    )
    assert told.status_code == 200 and told.json()["state"] == "communicated"
    too_early = client.post(f"{url}/communication", json={"communicated_on": "2026-02-01", "communication": "x"})
    assert too_early.status_code == 422

    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "review", AuditEvent.entity_id == str(review_id))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events].count("approve") == 1
    approval = next(e for e in events if e.action == "approve")
    assert approval.before["approved_on"] is None and approval.after["approved_by"] == "Anne Holm, CEO"
    assert events[-1].after["communicated_on"] == "2026-02-13"
    assert any(e.after and e.after.get("monitoring") == MONITORING["rows"] for e in events)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("meeting", {"participants": [{"role": "", "name": "Anne"}]}),
        ("meeting", {"meeting_date": "not a date"}),
        ("monitoring", {"rows": [{"period": "2025", "absence_percent": 150}]}),
        ("monitoring", {"rows": [{"period": "2025", "injuries": -1}]}),
        ("monitoring", {"rows": [{"period": "", "injuries": 1}]}),
        ("compliance", {"rows": [{**COMPLIANCE["rows"][0], "kind": "nonsense"}]}),
        ("compliance", {"rows": [{**COMPLIANCE["rows"][0], "date": "2025-13-01"}]}),
        ("compliance", {"rows": [{**COMPLIANCE["rows"][0], "description": ""}]}),
    ],
)
def test_bad_record_input_is_422_never_500(api, path, body):
    client, url, _ = api
    response = client.put(f"{url}/{path}", json=body)
    assert response.status_code == 422, response.text


def test_a_service_caller_gets_the_same_rules(session, manager, own):
    review = reviews.create_review(
        session=session,
        actor=manager,
        organisation_id=own.id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        policy={},
    )
    with pytest.raises(reviews.Invalid):
        reviews.set_monitoring(session=session, actor=manager, review=review, rows=[{"period": "x", "injuries": True}])
    with pytest.raises(reviews.Invalid) as refused:
        reviews.approve(session=session, actor=manager, review=review, approved_by="CEO", approved_on=date(2026, 1, 1))
    assert "Meeting date" in refused.value.params["sections"]


def minutes(client, review_id, lang):
    response = client.get(f"/api/v1/management-reviews/{review_id}.docx", params={"lang": lang})
    assert response.status_code == 200
    return Document(io.BytesIO(response.content))


def rows_of(document, first_heading):
    table = next(t for t in document.tables if t.rows[0].cells[0].text == first_heading)
    return [[c.text for c in row.cells] for row in table.rows]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_minutes_carry_the_record_in_each_language(api, lang):
    client, url, review_id = api
    fill(client, url)
    client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-02-10"})
    client.post(f"{url}/communication", json={"communicated_on": "2026-02-13", "communication": "AMO og MED"})
    document = minutes(client, review_id, lang)

    def t(message):
        return translate(message, lang)

    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in (
        "Participants",
        "Monitoring and measurement results",
        "Decisions and orders of the authorities",
        "Evaluation of compliance",
        "Risks and opportunities",
        "Conclusion on the OH&S management system",
        "Is the system suitable?",
        "Is the system adequate?",
        "Is the system effective?",
        "Approval and communication to workers",
    ):
        assert t(heading) in headings, heading
    assert rows_of(document, t("Role"))[1:] == [
        ["Administrerende direktør", "Anne Holm"],
        ["Arbejdsmiljørepræsentant (AMO)", "Karim Said"],
    ]
    monitoring = rows_of(document, t("Period"))
    assert monitoring[0] == [
        t("Period"),
        t("Sickness absence in per cent"),
        t("Survey results"),
        t("Reported injuries"),
    ]
    assert monitoring[1] == ["2025 H1", "5,2" if lang == "da" else "5.2", "Trivselsmåling 68/100", "2"]
    compliance = rows_of(document, t("Date"))
    assert compliance[1][0] == ("14. marts 2025" if lang == "da" else "14 March 2025")
    assert compliance[1][1:] == [t("Order (påbud)"), "AT 2025-1", "Påbud om vold og trusler", t("Complied with")]
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cover[t("Meeting date")] == ("10. februar 2026" if lang == "da" else "10 February 2026")
    assert cover[t("Status")] == t("Approved and communicated")
    record = {row.cells[0].text: row.cells[1].text for row in document.tables[-1].rows}
    assert record == {
        t("Approved by"): "Anne Holm, CEO",
        t("Approved on"): "10. februar 2026" if lang == "da" else "10 February 2026",
        t("Communicated on"): "13. februar 2026" if lang == "da" else "13 February 2026",
        t("To whom and how"): "AMO og MED",
    }
    texts = [p.text for p in document.paragraphs]
    for text in SECTIONS.values():
        assert text in texts


def test_the_page_records_the_meeting_entries_approval_and_communication(login, manager, own, session):
    client = login(manager)
    url = client.post(
        "/management-reviews",
        data={"organisation_id": own.id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
        follow_redirects=False,
    ).headers["location"]
    html = client.get(url).text
    for form in ("meeting", "monitoring", "compliance", "approval"):
        assert f'action="{url}/{form}"' in html
    assert 'name="csrf_token"' in html or "csrf" in html

    refused = client.post(f"{url}/approval", data={"approved_by": "Anne Holm", "approved_on": "2026-02-10"})
    assert refused.status_code == 422 and "cannot be approved while these are empty" in refused.text
    assert "Meeting date" in refused.text

    assert (
        client.post(
            f"{url}/meeting",
            data={"meeting_date": "2026-02-10", "participants": "Administrerende direktør: Anne Holm\nHR-chef"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    bad = client.post(f"{url}/monitoring", data={"period-0": "2025", "absence_percent-0": "150"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert (
        client.post(
            f"{url}/monitoring",
            data={"period-0": "2025 H1", "absence_percent-0": "5.2", "survey-0": "68/100", "injuries-0": "2"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"{url}/compliance",
            data={
                "date-0": "2025-03-14",
                "kind-0": "order",
                "reference-0": "AT 1",
                "description-0": "Påbud",
                "status-0": "complied",
                "kind-1": "order",  # a blank row's choices alone make no row
                "status-1": "open",
            },
            follow_redirects=False,
        ).status_code
        == 303
    )
    for key, text in SECTIONS.items():
        client.post(f"{url}/sections", data={key: text})
    review = session.get(ManagementReview, int(url.rsplit("/", 1)[1]))
    session.refresh(review)
    assert review.participants == [
        {"role": "Administrerende direktør", "name": "Anne Holm"},
        {"role": "HR-chef", "name": ""},
    ]
    assert review.monitoring == [{"period": "2025 H1", "absence_percent": 5.2, "survey": "68/100", "injuries": 2}]
    assert [r["reference"] for r in review.compliance] == ["AT 1"]
    approved = client.post(
        f"{url}/approval", data={"approved_by": "Anne Holm", "approved_on": "2026-02-10"}, follow_redirects=False
    )
    assert approved.status_code == 303
    page = client.get(url).text
    assert '<textarea name="objectives"' not in page and f'action="{url}/communication"' in page

    danish = login(manager, language="da")
    assert "Godkendt" in danish.get(url).text


def test_a_state_change_without_the_csrf_token_is_refused(login, manager, own):
    client = login(manager)
    url = client.post(
        "/management-reviews",
        data={"organisation_id": own.id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
        follow_redirects=False,
    ).headers["location"]
    forged = login(manager, csrf=False)
    assert forged.post(f"{url}/meeting", data={"meeting_date": "2026-02-10"}).status_code == 403


def test_the_demo_has_a_review_with_every_input_approved_and_communicated(session, library):
    create_demo(session=session, library=library)
    review = session.exec(select(ManagementReview)).one()
    assert reviews.review_state(review) == "communicated"
    assert reviews.missing_for_approval(review) == []
    assert len(review.monitoring) == 2 and len(review.compliance) == 2 and len(review.participants) >= 4
    name, content = review_report_file(session=session, review=review, lang="da")
    document = Document(io.BytesIO(content))
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "Anne Holm, administrerende direktør" in "\n".join(
        c.text for t in document.tables for row in t.rows for c in row.cells
    )
    assert translate("Is the system effective?", "da") in texts


# Withdrawing the approval


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_approval_withdrawn_with_a_reason_makes_the_review_a_draft_to_change_and_approve_again(
    api, session, make_user, own, login, lang
):
    client, url, review_id = api
    fill(client, url)
    client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-02-10"})
    client.post(f"{url}/communication", json={"communicated_on": "2026-02-13", "communication": "AMO og MED"})
    # Only who may approve withdraws, only with a reason, only an approval that stands
    viewer = login(make_user("viewer", organisation=own))
    assert viewer.post(f"{url}/approval/withdrawal", json={"reason": "x"}).status_code == 403
    assert client.post(f"{url}/approval/withdrawal", json={"reason": "  "}).status_code == 422

    withdrawn = client.post(f"{url}/approval/withdrawal", json={"reason": "Forkert periode for fraværet"})
    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert (body["state"], body["approved_by"], body["approved_on"], body["communicated_on"]) == (
        "draft",
        "",
        None,
        None,
    )
    assert body["withdrawal_reason"] == "Forkert periode for fraværet" and body["withdrawn_on"]
    assert client.post(f"{url}/approval/withdrawal", json={"reason": "again"}).status_code == 409

    def t(message):
        return translate(message, lang)

    record = {row.cells[0].text: row.cells[1].text for row in minutes(client, review_id, lang).tables[-1].rows}
    assert record[t("Approved by")] == t("Not approved yet.")
    assert record[t("Why the approval was withdrawn")] == "Forkert periode for fraværet"
    assert t("Approval withdrawn on") in record

    # A draft again: it changes, and is approved again (the withdrawal then no longer stands)
    assert client.patch(url, json={"resources": "To HR-konsulenter"}).status_code == 200
    again = client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-03-01"})
    assert again.status_code == 200 and again.json()["state"] == "approved"
    assert again.json()["withdrawal_reason"] == "" and again.json()["withdrawn_on"] is None
    record = {row.cells[0].text: row.cells[1].text for row in minutes(client, review_id, lang).tables[-1].rows}
    assert t("Why the approval was withdrawn") not in record
    assert record[t("Approved on")] == ("1. marts 2026" if lang == "da" else "1 March 2026")

    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "review", AuditEvent.entity_id == str(review_id))
        .order_by(AuditEvent.id)
    ).all()
    withdrawal = next(e for e in events if e.action == "withdraw_approval")
    assert withdrawal.before["approved_by"] == "Anne Holm, CEO" and withdrawal.before["communication"] == "AMO og MED"
    assert withdrawal.after["withdrawal_reason"] == "Forkert periode for fraværet"
    assert withdrawal.after["approved_on"] is None
    assert [e.action for e in events].count("approve") == 2


def test_the_page_withdraws_an_approval_and_shows_why(login, manager, api):
    _, url, review_id = api
    client = login(manager)
    fill(client, url)
    client.post(f"{url}/approval", json={"approved_by": "Anne Holm, CEO", "approved_on": "2026-02-10"})
    page_url = f"/management-reviews/{review_id}"
    assert f'action="{page_url}/approval/withdrawal"' in client.get(page_url).text
    empty = client.post(f"{page_url}/approval/withdrawal", data={"reason": ""})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    done = client.post(f"{page_url}/approval/withdrawal", data={"reason": "Forkert periode"}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(page_url).text
    assert "Forkert periode" in page and f'action="{page_url}/approval"' in page
    assert f'action="{page_url}/approval/withdrawal"' not in page
