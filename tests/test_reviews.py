"""Management review (ISO 45001 9.3): the compiled inputs with exact numbers, the trend, the charts, the Word
minutes read back, who may see and change a review, decisions that open cases, and the trail."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from docx import Document
from PIL import Image
from sqlmodel import select

from auditor.i18n import translate
from auditor.models import AuditEvent, Case, CaseAction, Finding, Site
from auditor.reports.charts import BarChart, TimeChart, to_png, to_svg
from auditor.services import cases, reviews

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
TODAY = date(2026, 1, 15)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture
def own(make_organisation):
    return make_organisation(name="Nordlys Logistik A/S", sites=("Aarhus lager", "Vejle kontor"))


@pytest.fixture
def world(session, own, make_organisation, make_audit, make_user, settings):
    """Audits with findings of several kinds, clauses, BEK tags and sites; cases in several states.
    The numbers the tests expect are worked out in the comments."""
    foreign = make_organisation(name="Fjord Kommune", cvr=None, sites=("Rådhuset",))
    aarhus, vejle = (
        session.exec(select(Site).where(Site.organisation_id == own.id, Site.name == name)).one()
        for name in ("Aarhus lager", "Vejle kontor")
    )

    def audit(organisation, start, end, sites, *findings):
        made = make_audit(
            organisation,
            start_date=date.fromisoformat(start),
            end_date=date.fromisoformat(end),
            site_ids=[s.id for s in sites],
        )
        for number, (kind, clauses, tags, statement, *where) in enumerate(findings, start=1):
            # a finding's own sites: those named, else the audit's only site, else none ("not stated")
            concerns = where[0] if where else (sites if len(sites) == 1 else [])
            session.add(
                Finding(
                    audit_id=made.id,
                    number=number,
                    kind=kind,
                    clauses=clauses,
                    tags=tags,
                    statement=statement,
                    site_ids=[s.id for s in concerns],
                )
            )
        session.flush()
        return made

    # In the period (2025): six findings in two audits.
    audit(
        own,
        "2025-03-10",
        "2025-03-11",
        [aarhus],
        (
            "major_nc",
            ["45003:6.1.2", "45001:6.1.2"],
            {"bek1406": ["workload"], "hazards": ["org.workload", "org.hours"]},
            "APV mangler",
        ),
        (
            "minor_nc",
            ["45001:5.4", "45003:5.4"],
            {"bek1406": ["workload", "violence"], "hazards": ["social.violence"]},
            "AMO ikke hørt",
        ),
        ("observation", ["45003:6.1.2.1"], {}, "Trivselsmåling uden opfølgning"),
    )
    audit(
        own,
        "2025-09-01",
        "2025-09-02",
        [aarhus, vejle],
        (
            "minor_nc",
            ["45003:8.1.2"],
            {"bek1406": ["offensive_behaviour"], "hazards": ["social.bullying", "social.harassment"]},
            "Ingen politik",
            [vejle],
        ),
        ("ofi", [], {}, "Introducér <trivselsmåling> & opfølgning"),  # names no site
        ("good_practice", ["45003:10.3"], {}, "God praksis", [aarhus, vejle]),
    )
    # The previous period (2024): two major nonconformities.
    audit(
        own,
        "2024-11-19",
        "2024-11-20",
        [vejle],
        ("major_nc", ["45003:6.1.2"], {}, "x"),
        ("major_nc", ["45003:7.2"], {}, "y"),
    )
    # Another organisation's audit in the period, and the organisation's next audit: neither counts.
    audit(foreign, "2025-05-05", "2025-05-05", [], ("major_nc", ["45003:6.1.2"], {"bek1406": ["workload"]}, "z"))
    audit(own, "2026-02-01", "2026-02-02", [])

    def case(
        number,
        grade,
        opened,
        status="closed",
        closed=None,
        verified=None,
        result=None,
        source="audit",
        organisation=own,
    ):
        made = Case(
            organisation_id=organisation.id,
            number=number,
            grade=grade,
            statement=f"Case {number}",
            status=status,
            source=source,
            opened_at=at(opened),
            closed_at=at(closed) if closed else None,
            verified_on=date.fromisoformat(verified) if verified else None,
            verification_result=result,
        )
        session.add(made)
        session.flush()
        return made

    by_number = {
        1: case(1, "major_nc", "2025-02-01", closed="2025-03-03", verified="2025-03-01", result="effective"),  # 30 days
        2: case(2, "minor_nc", "2025-03-12", closed="2025-06-10", verified="2025-06-01", result="effective"),  # 90 days
        3: case(3, "major_nc", "2024-12-01", closed="2025-01-20", verified="2025-01-15", result="effective"),  # 50 days
        4: case(
            4, "minor_nc", "2025-04-01", status="cause_found", verified="2025-10-01", result="ineffective"
        ),  # plan due 2025-05-01: overdue
        5: case(5, "major_nc", "2025-12-20", status="raised", source="complaint"),  # correction due 2026-01-19: not yet
        6: case(
            6, "minor_nc", "2025-06-01", status="plan_accepted"
        ),  # verification at the next audit, 2025-09-01: overdue
        7: case(7, "ofi", "2025-11-01", status="plan_accepted"),  # no deadline, but an action overdue
        8: case(8, "major_nc", "2024-03-01", closed="2024-05-30", verified="2024-05-15", result="effective"),  # 90 days
        9: case(9, "major_nc", "2024-06-01", closed="2024-06-11", verified="2024-06-10", result="effective"),  # 10 days
        10: case(10, "minor_nc", "2024-10-01", status="corrected"),  # plan due 2024-10-31: overdue
        11: case(11, "ofi", "2025-01-10", closed="2025-08-28", source="incident"),  # 230 days
    }
    case(1, "major_nc", "2025-05-06", status="raised", organisation=foreign)
    owner = make_user("action_owner", organisation=own)
    session.add(
        CaseAction(
            case_id=by_number[7].id,
            description="Workshop",
            owner_id=owner.id,
            due_date=date(2025, 12, 1),
            prevention_level="primary",
        )
    )
    session.commit()
    return {"own": own, "foreign": foreign, "cases": by_number, "policy": settings.deadline_policy}


def compile_for(session, world, period=PERIOD):
    return reviews.compile_inputs(
        session=session,
        organisation_id=world["own"].id,
        period_start=period[0],
        period_end=period[1],
        policy=world["policy"],
        today=TODAY,
    )


def test_audit_results_count_findings_by_kind_clause_factor_hazard_and_site(session, world):
    results = compile_for(session, world)["audit_results"]
    assert results["audit_count"] == 2 and results["findings"] == 6
    assert results["by_kind"] == {
        "major_nc": 1,
        "minor_nc": 2,
        "nc": 0,
        "area_of_concern": 0,
        "observation": 1,
        "ofi": 1,
        "good_practice": 1,
    }
    # under the first ISO 45003 clause (the minor NC's first clause is ISO 45001's)
    assert results["by_clause"] == [
        {"clause": "5", "count": 1},
        {"clause": "6", "count": 2},
        {"clause": "8", "count": 1},
        {"clause": "10", "count": 1},
    ]
    assert [(c["clause"], c["count"]) for c in results["by_full_clause"]] == [
        ("5.4", 1),
        ("6.1.2", 1),
        ("6.1.2.1", 1),
        ("8.1.2", 1),
        ("10.3", 1),
    ]
    assert results["without_clause"] == 1
    assert results["by_bek1406"] == {
        "workload": 2,
        "unclear_demands": 0,
        "emotional_demands": 0,
        "offensive_behaviour": 1,
        "violence": 1,
        "violence_outside_hours": 0,
        "general_s5": 0,
    }
    assert [(h["factor"], h["table"], h["count"]) for h in results["by_hazard"]] == [
        ("org.workload", 1, 1),
        ("org.hours", 1, 1),
        ("social.violence", 2, 1),
        ("social.harassment", 2, 1),
        ("social.bullying", 2, 1),
    ]
    assert results["by_hazard_table"] == [{"table": 1, "count": 1}, {"table": 2, "count": 2}, {"table": 3, "count": 0}]
    sites = {s["name"]: (s["audits"], s["findings"], s["nonconformities"]) for s in results["by_site"]}
    # each finding counts for its own sites, never for every site of its audit
    assert sites == {"Aarhus lager": (2, 4, 2), "Vejle kontor": (1, 2, 1)}
    assert results["site_not_stated"] == {"findings": 1, "nonconformities": 0}
    assert [(a["end_date"], a["findings"], a["nonconformities"]) for a in results["audits"]] == [
        ("2025-03-11", 3, 2),
        ("2025-09-02", 3, 1),
    ]


def test_cases_open_overdue_closed_days_to_close_and_effectiveness(session, world):
    figures = compile_for(session, world)["cases"]
    assert figures["open"] == 5
    assert figures["open_by_status"] == {"raised": 1, "corrected": 1, "cause_found": 1, "plan_accepted": 2}
    assert figures["overdue"] == 4
    assert [(c["reference"], c["due"]) for c in figures["overdue_cases"]] == [
        ("NC-0010", "2024-10-31"),
        ("NC-0004", "2025-05-01"),
        ("NC-0006", "2025-09-01"),
        ("SAG-0007", None),  # an audit's OFI followed up: a case, not a nonconformity (compiled in Danish)
    ]
    assert figures["opened_in_period"] == 7
    assert figures["opened_by_source"] == {"audit": 5, "complaint": 1, "incident": 1}
    assert figures["closed_in_period"] == 4 and figures["open_at_end"] == 5
    days = figures["days_to_close"]
    assert (days["count"], days["median"], days["mean"]) == (4, 70, 100.0)  # 30, 50, 90, 230
    assert [b["count"] for b in days["buckets"]] == [1, 1, 1, 0, 1]
    assert figures["effectiveness"] == {"effective": 3, "ineffective": 1}


def test_overdue_is_the_same_rule_as_case_row(session, world):
    """The review finds overdue cases in bulk; it must agree with cases.case_row case by case."""
    found = {
        row.case.id
        for row in reviews.overdue_cases(
            session=session, organisation_id=world["own"].id, policy=world["policy"], today=TODAY
        )
    }
    for case in world["cases"].values():
        assert (case.id in found) == cases.case_row(
            session=session, case=case, policy=world["policy"], today=TODAY
        ).overdue, case.number


def test_open_and_closed_month_by_month(session, world):
    months = compile_for(session, world)["over_time"]
    assert [m["month"] for m in months] == [f"2025-{n:02d}" for n in range(1, 13)]
    assert [m["opened"] for m in months] == [1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1]
    assert [m["closed"] for m in months] == [1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0]
    assert [m["open"] for m in months] == [2, 3, 3, 4, 4, 4, 4, 3, 3, 3, 4, 5]


def test_trend_against_the_previous_period(session, world):
    inputs = compile_for(session, world)
    assert inputs["previous_period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    trends = {row["measure"]: (row["previous"], row["current"], row["difference"]) for row in inputs["trends"]}
    assert trends["audits"] == (1, 2, 1)
    assert trends["findings"] == (2, 6, 4)
    assert trends["nonconformities"] == (2, 3, 1)
    assert trends["major_nc"] == (2, 1, -1)
    assert trends["cases_opened"] == (4, 7, 3)
    assert trends["cases_closed"] == (2, 4, 2)
    assert trends["open_at_end"] == (2, 5, 3)
    assert trends["median_days_to_close"] == (50, 70, 20)
    assert trends["mean_days_to_close"] == (50.0, 100.0, 50.0)
    assert trends["effective"] == (2, 3, 1) and trends["ineffective"] == (0, 1, 1)


def test_previous_period_of_equal_length():
    assert reviews.previous_period(date(2025, 1, 1), date(2025, 12, 31)) == (date(2024, 1, 1), date(2024, 12, 31))
    assert reviews.previous_period(date(2025, 3, 1), date(2025, 5, 31)) == (date(2024, 12, 1), date(2025, 2, 28))
    assert reviews.previous_period(date(2025, 3, 10), date(2025, 3, 19)) == (date(2025, 2, 28), date(2025, 3, 9))


def test_an_empty_period_compiles_to_zeros(session, world):
    inputs = compile_for(session, world, (date(2030, 1, 1), date(2030, 6, 30)))
    assert inputs["audit_results"]["findings"] == 0 and inputs["audit_results"]["by_clause"] == []
    assert inputs["cases"]["days_to_close"]["median"] is None
    assert [m["open"] for m in inputs["over_time"]] == [5] * 6  # the five cases still open


# The API and who may do what


@pytest.fixture
def quality_manager(make_user, own):
    return make_user("quality_manager", organisation=own)


def create(client, organisation_id, start="2025-01-01", end="2025-12-31"):
    return client.post(
        "/api/v1/management-reviews",
        json={"organisation_id": organisation_id, "period_start": start, "period_end": end},
    )


def test_a_quality_manager_compiles_a_review_of_their_organisation(login, quality_manager, world):
    client = login(quality_manager)
    response = create(client, world["own"].id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["organisation"] == "Nordlys Logistik A/S" and body["period_start"] == "2025-01-01"
    assert body["inputs"]["audit_results"]["by_kind"]["minor_nc"] == 2
    assert body["manual"] == dict.fromkeys(reviews.MANUAL_SECTIONS.values, "") and body["decisions"] == []
    assert [r["id"] for r in client.get("/api/v1/management-reviews").json()] == [body["id"]]
    assert client.get(f"/api/v1/management-reviews/{body['id']}").json()["inputs"] == body["inputs"]


def test_bad_periods_and_organisations_are_422_with_the_field(login, quality_manager, client, world):
    qm = login(quality_manager)
    response = create(qm, world["own"].id, start="2025-12-31", end="2025-01-01")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "period_end"
    assert create(client, 999_999).json()["errors"][0]["field"] == "organisation_id"
    assert (
        create(qm, world["foreign"].id).json()["errors"][0]["field"] == "organisation_id"
    )  # not theirs: as if unknown
    assert qm.post("/api/v1/management-reviews", json={"organisation_id": world["own"].id}).status_code == 422


def test_others_see_nothing_viewers_read_only(login, make_user, quality_manager, world):
    review_id = create(login(quality_manager), world["own"].id).json()["id"]
    foreign_qm = login(make_user("quality_manager", organisation=world["foreign"]))
    assert foreign_qm.get(f"/api/v1/management-reviews/{review_id}").status_code == 404
    assert foreign_qm.patch(f"/api/v1/management-reviews/{review_id}", json={"objectives": "x"}).status_code == 404
    assert foreign_qm.get(f"/api/v1/management-reviews/{review_id}.docx").status_code == 404
    assert foreign_qm.get("/api/v1/management-reviews").json() == []
    viewer = login(make_user("viewer", organisation=world["own"]))
    assert viewer.get(f"/api/v1/management-reviews/{review_id}").status_code == 200
    assert viewer.patch(f"/api/v1/management-reviews/{review_id}", json={"objectives": "x"}).status_code == 403
    assert viewer.post(f"/api/v1/management-reviews/{review_id}/decisions", json={"text": "x"}).status_code == 403
    assert viewer.post(f"/api/v1/management-reviews/{review_id}/recompile").status_code == 403
    assert create(viewer, world["own"].id).status_code == 403
    assert login(make_user("lead_auditor")).get(f"/api/v1/management-reviews/{review_id}").status_code == 404
    assert (
        login(make_user("action_owner", organisation=world["own"]))
        .get(f"/api/v1/management-reviews/{review_id}")
        .status_code
        == 404
    )
    assert create(login(make_user("lead_auditor")), world["own"].id).status_code == 403


def test_sections_decisions_and_every_change_in_the_trail(login, quality_manager, session, world):
    client = login(quality_manager)
    review_id = create(client, world["own"].id).json()["id"]
    url = f"/api/v1/management-reviews/{review_id}"
    response = client.patch(
        url, json={"objectives": "  Sygefravær under 4 %: nået  ", "resources": "En HR-konsulent mere"}
    )
    assert response.status_code == 200
    assert response.json()["manual"]["objectives"] == "Sygefravær under 4 %: nået"
    assert client.patch(url, json={"resources": ""}).json()["manual"] == {
        **dict.fromkeys(reviews.MANUAL_SECTIONS.values, ""),
        "objectives": "Sygefravær under 4 %: nået",
    }
    assert client.patch(url, json={"nonsense": "x"}).status_code == 422

    plain = client.post(f"{url}/decisions", json={"text": "Systemet er fortsat egnet"})
    assert plain.status_code == 201 and plain.json()["case_id"] is None
    acted = client.post(f"{url}/decisions", json={"text": "Indfør stressforebyggelse i lageret", "needs_action": True})
    assert acted.status_code == 201
    case = session.get(Case, acted.json()["case_id"])
    assert (case.source, case.grade, case.statement, case.organisation_id) == (
        "management_review",
        "ofi",
        "Indfør stressforebyggelse i lageret",
        world["own"].id,
    )
    # a decision is numbered as what it is, never as a nonconformity
    assert acted.json()["case_reference"] == cases.case_reference(case, "en") == "MR-0012"
    assert cases.case_reference(case, "da") == "LE-0012"
    assert client.post(f"{url}/decisions", json={"text": "  "}).status_code == 422
    shown = client.get(url).json()
    assert [(d["text"], d["case_reference"], d["case_status"]) for d in shown["decisions"]] == [
        ("Systemet er fortsat egnet", None, None),
        ("Indfør stressforebyggelse i lageret", "MR-0012", "raised"),
    ]
    assert client.post(f"{url}/recompile").json()["inputs"]["cases"]["open"] == 6  # the decision's case is open now

    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity.in_(("review", "review_decision"))).order_by(AuditEvent.id)
    ).all()
    assert [(e.entity, e.action) for e in events] == [
        ("review", "create"),
        ("review", "update"),
        ("review", "update"),
        ("review_decision", "create"),
        ("review_decision", "create"),
        ("review", "recompile"),
    ]
    assert (
        events[1].after["manual"]["objectives"] == "Sygefravær under 4 %: nået"
        and events[2].before["manual"]["resources"] == "En HR-konsulent mere"
    )
    assert events[4].after == {
        "review_id": review_id,
        "text": "Indfør stressforebyggelse i lageret",
        "case_id": case.id,
    }
    assert all(e.actor == quality_manager.email for e in events)
    assert session.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "case", AuditEvent.entity_id == str(case.id), AuditEvent.action == "create"
        )
    ).one()


def test_the_next_review_reports_on_the_earlier_decisions(login, quality_manager, session, world):
    client = login(quality_manager)
    first = create(client, world["own"].id, "2024-01-01", "2024-12-31").json()["id"]
    client.post(f"/api/v1/management-reviews/{first}/decisions", json={"text": "Ny APV", "needs_action": True})
    client.post(f"/api/v1/management-reviews/{first}/decisions", json={"text": "Ingen ændringer i politikken"})
    earlier = create(client, world["own"].id).json()["inputs"]["earlier_decisions"]
    assert earlier["previous_review"] == {"id": first, "period_start": "2024-01-01", "period_end": "2024-12-31"}
    assert [(d["text"], d["reference"], d["status"]) for d in earlier["decisions"]] == [
        ("Ny APV", "MR-0012", "raised"),
        ("Ingen ændringer i politikken", None, None),
    ]
    assert (earlier["total"], earlier["with_case"], earlier["open"], earlier["closed"]) == (2, 1, 1, 0)


# The pages


def test_the_review_page_shows_inputs_charts_forms_and_decisions(login, make_user, quality_manager, world):
    client = login(quality_manager)
    assert 'href="/management-reviews"' in client.get("/management-reviews").text  # in the top navigation
    page = client.post(
        "/management-reviews",
        data={"organisation_id": world["own"].id, "period_start": "2025-01-01", "period_end": "2025-12-31"},
        follow_redirects=False,
    )
    assert page.status_code == 303
    url = page.headers["location"]
    html = client.get(url).text
    assert (
        "a) Status of actions from previous management reviews" in html
        and "g) Opportunities for continual improvement" in html
    )
    assert html.count("<svg") == 4 and "<script" not in html.split("<main", 1)[1]
    assert "Introducér &lt;trivselsmåling&gt; &amp; opfølgning" in html
    assert 'name="objectives"' in html and 'name="needs_action"' in html

    saved = client.post(
        f"{url}/sections", data={"consultation": "MED-udvalget behandlede APV-en"}, headers={"HX-Request": "true"}
    )
    assert (
        saved.status_code == 200
        and 'id="section-consultation"' in saved.text
        and "Saved." in saved.text
        and "<html" not in saved.text
    )
    added = client.post(
        f"{url}/decisions", data={"text": "Mere ledelsestræning", "needs_action": "1"}, headers={"HX-Request": "true"}
    )
    assert added.status_code == 200 and "MR-0012" in added.text and 'href="/cases/' in added.text
    assert client.post(f"{url}/decisions", data={"text": ""}, headers={"HX-Request": "true"}).status_code == 422

    viewer = login(make_user("viewer", organisation=world["own"]))
    seen = viewer.get(url).text
    assert "MED-udvalget behandlede APV-en" in seen and "<textarea" not in seen and "Compile again" not in seen
    assert viewer.post(f"{url}/sections", data={"consultation": "x"}).status_code == 403
    assert "Compile a management review" not in viewer.get("/management-reviews").text


def test_the_form_shows_what_is_wrong(login, quality_manager, world):
    response = login(quality_manager).post(
        "/management-reviews",
        data={"organisation_id": world["own"].id, "period_start": "2025-12-31", "period_end": "2025-01-01"},
    )
    assert response.status_code == 422 and "The period cannot end before it starts." in response.text


# The Word minutes


def download(client, review_id, lang):
    response = client.get(f"/api/v1/management-reviews/{review_id}.docx", params={"lang": lang})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Document(io.BytesIO(response.content))


def table_with(document, *headings):
    return next(t for t in document.tables if [c.text for c in t.rows[0].cells] == list(headings))


def test_the_word_minutes_have_the_sections_tables_charts_and_decisions(login, quality_manager, world):
    client = login(quality_manager)
    review_id = create(client, world["own"].id).json()["id"]
    client.patch(f"/api/v1/management-reviews/{review_id}", json={"resources": "En HR-konsulent mere"})
    client.post(
        f"/api/v1/management-reviews/{review_id}/decisions",
        json={"text": "Indfør stressforebyggelse", "needs_action": True},
    )
    document = download(client, review_id, "en")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert [h for h in headings if p_is_input(h)] == [
        "a) Status of actions from previous management reviews",
        "b) Changes in external and internal issues",
        "c) Extent to which the OH&S policy and objectives have been met",
        "d) OH&S performance and trends",
        "e) Adequacy of resources",
        "f) Relevant communication with interested parties",
        "g) Opportunities for continual improvement",
    ]
    assert "Decisions" in headings and "Findings by clause of ISO 45003" in headings
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert (
        cover["Organisation"] == "Nordlys Logistik A/S (CVR 12345678)"
        and cover["Period"] == "1 January 2025 – 31 December 2025"
    )
    kinds = {row.cells[0].text: row.cells[1].text for row in table_with(document, "Kind", "Findings").rows[1:]}
    assert kinds["Minor nonconformity"] == "2" and kinds["Total"] == "6"
    trend = {
        row.cells[0].text: [c.text for c in row.cells[1:]]
        for row in table_with(document, "Measure", "Previous period", "This period", "Change").rows[1:]
    }
    assert trend["Major nonconformity"] == ["2", "1", "-1"] and trend["Findings"] == ["2", "6", "+4"]
    assert len(document.inline_shapes) == 4  # clause, BEK 1406, month by month, days to close
    decisions = table_with(document, "No.", "Decision", "Case", "Status")
    assert [c.text for c in decisions.rows[1].cells] == ["1", "Indfør stressforebyggelse", "MR-0012", "Raised"]
    assert "En HR-konsulent mere" in [p.text for p in document.paragraphs]


def p_is_input(heading: str) -> bool:
    return len(heading) > 3 and heading[1:3] == ") "


def test_the_word_minutes_in_danish(login, quality_manager, world):
    client = login(quality_manager)
    review_id = create(client, world["own"].id).json()["id"]
    document = download(client, review_id, "da")
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cover["Organisation"] == "Nordlys Logistik A/S (CVR 12345678)"
    assert cover[translate("Period", "da")] == "1. januar 2025 – 31. december 2025"  # dates in Danish
    rows = {
        row.cells[0].text: row.cells[1].text
        for table in document.tables[1:]
        for row in table.rows
        if len(row.cells) == 2
    }
    assert rows["Større afvigelse"] == "1" and rows["Mindre afvigelse"] == "2"  # the vocabulary's Danish labels
    assert document.core_properties.language == "da" and len(document.inline_shapes) == 4


# The charts


def test_svg_escapes_labels_and_carries_no_style_or_script():
    svg = to_svg(BarChart('Fund <b>"fed"</b>', [("<script>alert(1)</script> & Ø", 3), ("Arbejdsmængde", 0)]))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Ø" in svg and "<script" not in svg
    assert "style=" not in svg and 'fill="#2563eb"' in svg
    assert 'aria-label="Fund &lt;b&gt;&quot;fed&quot;&lt;/b&gt;"' in svg
    months = to_svg(TimeChart("Sager", [("jan. 2025", 2, 1, 4), ("feb. 2025", 0, 3, 1)], ("Åbnet", "Lukket", "Åbne")))
    assert "<polyline" in months and "Åbnet" in months


def test_png_opens_with_pillow():
    for chart in (
        BarChart("Fund efter punkt", [("6 Planlægning", 4), ("7 Støtte", 1.5)]),
        TimeChart("Sager", [(f"{m}/25", m, m % 3, 10 - m) for m in range(1, 13)], ("Åbnet", "Lukket", "Åbne")),
        BarChart("Tom", []),
    ):
        image = Image.open(io.BytesIO(to_png(chart)))
        assert image.format == "PNG" and image.width == 640 * 3
